using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>GreaterOrEqual with broadcasting; bool output.</summary>
internal sealed class GreaterOrEqual : ComparisonOperator
{
    public override string OpType => "GreaterOrEqual";

    protected override bool Compare(int sign) => sign >= 0;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>LessOrEqual with broadcasting; bool output.</summary>
internal sealed class LessOrEqual : ComparisonOperator
{
    public override string OpType => "LessOrEqual";

    protected override bool Compare(int sign) => sign <= 0;
}

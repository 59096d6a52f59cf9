using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Greater with broadcasting; bool output.</summary>
internal sealed class Greater : ComparisonOperator
{
    public override string OpType => "Greater";

    protected override bool Compare(int sign) => sign > 0;
}

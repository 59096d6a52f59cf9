using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Less with broadcasting; bool output.</summary>
internal sealed class Less : ComparisonOperator
{
    public override string OpType => "Less";

    protected override bool Compare(int sign) => sign < 0;
}

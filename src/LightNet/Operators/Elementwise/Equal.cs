using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Equal with broadcasting; bool output.</summary>
internal sealed class Equal : ComparisonOperator
{
    public override string OpType => "Equal";

    protected override bool Compare(int sign) => sign == 0;
}

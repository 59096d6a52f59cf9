using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>1 / x.</summary>
internal sealed class Reciprocal : UnaryOperator
{
    public override string OpType => "Reciprocal";

    protected override Func<double, double> Function(OpContext ctx) => x => 1 / x;
}

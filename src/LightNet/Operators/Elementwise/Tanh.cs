using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Hyperbolic tangent.</summary>
internal sealed class Tanh : UnaryOperator
{
    public override string OpType => "Tanh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Tanh;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Hyperbolic cosine.</summary>
internal sealed class Cosh : UnaryOperator
{
    public override string OpType => "Cosh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Cosh;
}

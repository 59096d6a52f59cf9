using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Hyperbolic sine.</summary>
internal sealed class Sinh : UnaryOperator
{
    public override string OpType => "Sinh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Sinh;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Inverse hyperbolic sine.</summary>
internal sealed class Asinh : UnaryOperator
{
    public override string OpType => "Asinh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Asinh;
}

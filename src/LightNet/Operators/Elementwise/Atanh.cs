using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Inverse hyperbolic tangent.</summary>
internal sealed class Atanh : UnaryOperator
{
    public override string OpType => "Atanh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Atanh;
}

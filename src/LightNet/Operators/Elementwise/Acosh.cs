using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Inverse hyperbolic cosine.</summary>
internal sealed class Acosh : UnaryOperator
{
    public override string OpType => "Acosh";

    protected override Func<double, double> Function(OpContext ctx) => Math.Acosh;
}

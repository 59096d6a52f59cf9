using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Cosine.</summary>
internal sealed class Cos : UnaryOperator
{
    public override string OpType => "Cos";

    protected override Func<double, double> Function(OpContext ctx) => Math.Cos;
}

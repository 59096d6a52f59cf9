using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Square root.</summary>
internal sealed class Sqrt : UnaryOperator
{
    public override string OpType => "Sqrt";

    protected override Func<double, double> Function(OpContext ctx) => Math.Sqrt;
}

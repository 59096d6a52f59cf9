using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Arcsine.</summary>
internal sealed class Asin : UnaryOperator
{
    public override string OpType => "Asin";

    protected override Func<double, double> Function(OpContext ctx) => Math.Asin;
}

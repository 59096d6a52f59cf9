using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x / (1 + |x|).</summary>
internal sealed class Softsign : UnaryOperator
{
    public override string OpType => "Softsign";

    protected override Func<double, double> Function(OpContext ctx) => x => x / (1 + Math.Abs(x));
}

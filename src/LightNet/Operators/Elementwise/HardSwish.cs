using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x * HardSigmoid(x; 1/6, 1/2).</summary>
internal sealed class HardSwish : UnaryOperator
{
    public override string OpType => "HardSwish";

    protected override Func<double, double> Function(OpContext ctx) => x => x * Math.Max(0, Math.Min(1, (x / 6) + 0.5));
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Round to nearest, halves to even.</summary>
internal sealed class Round : UnaryOperator
{
    public override string OpType => "Round";

    protected override Func<double, double> Function(OpContext ctx) => x => Math.Round(x, MidpointRounding.ToEven);
}

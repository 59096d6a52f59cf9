using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x where x > alpha, else 0.</summary>
internal sealed class ThresholdedRelu : UnaryOperator
{
    public override string OpType => "ThresholdedRelu";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 1f);
        return x => x > alpha ? x : 0;
    }
}

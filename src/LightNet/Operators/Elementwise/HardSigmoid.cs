using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>max(0, min(1, alpha·x + beta)).</summary>
internal sealed class HardSigmoid : UnaryOperator
{
    public override string OpType => "HardSigmoid";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 0.2f), beta = ctx.Float("beta", 0.5f);
        return x => Math.Max(0, Math.Min(1, (alpha * x) + beta));
    }
}

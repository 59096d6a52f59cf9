using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x for x ≥ 0, alpha·x below.</summary>
internal sealed class LeakyRelu : UnaryOperator
{
    public override string OpType => "LeakyRelu";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 0.01f);
        return x => x >= 0 ? x : alpha * x;
    }
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Exponential linear unit.</summary>
internal sealed class Elu : UnaryOperator
{
    public override string OpType => "Elu";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 1f);
        return x => x >= 0 ? x : alpha * (Math.Exp(x) - 1);
    }
}

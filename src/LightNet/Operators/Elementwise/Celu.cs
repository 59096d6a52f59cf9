using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Continuously differentiable ELU.</summary>
internal sealed class Celu : UnaryOperator
{
    public override string OpType => "Celu";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 1f);
        return x => Math.Max(0, x) + Math.Min(0, alpha * (Math.Exp(x / alpha) - 1));
    }
}

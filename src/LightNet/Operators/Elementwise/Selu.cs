using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Scaled ELU.</summary>
internal sealed class Selu : UnaryOperator
{
    public override string OpType => "Selu";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float alpha = ctx.Float("alpha", 1.67326319217681884765625f), gamma = ctx.Float("gamma", 1.05070102214813232421875f);
        return x => x > 0 ? gamma * x : gamma * ((alpha * Math.Exp(x)) - alpha);
    }
}

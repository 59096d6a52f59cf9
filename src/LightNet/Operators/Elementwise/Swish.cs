using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x · sigmoid(alpha · x).</summary>
internal sealed class Swish : UnaryOperator
{
    public override string OpType => "Swish";

    public override int SinceVersion => 24;

    protected override Func<double, double> Function(OpContext ctx)
    {
        double alpha = ctx.Float("alpha", 1f);
        return x => x / (1 + Math.Exp(-alpha * x));
    }
}

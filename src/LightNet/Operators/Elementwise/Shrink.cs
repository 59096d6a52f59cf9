using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Soft/hard shrinkage.</summary>
internal sealed class Shrink : UnaryOperator
{
    public override string OpType => "Shrink";

    protected override Func<double, double> Function(OpContext ctx)
    {
        float bias = ctx.Float("bias", 0f), lambd = ctx.Float("lambd", 0.5f);
        return x => x < -lambd ? x + bias : x > lambd ? x - bias : 0;
    }
}

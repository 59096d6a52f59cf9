using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Element-wise mean of one or more inputs with broadcasting.</summary>
internal sealed class Mean : OperatorDef
{
    public override string OpType => "Mean";

    public override void Execute(OpContext ctx)
    {
        OpTensor sum = Pointwise.Variadic(ctx, (a, b) => Pointwise.Binary(ctx, a, b, (x, y) => x + y));
        double n = ctx.InputCount;
        ctx.Set(0, Pointwise.Unary(ctx, sum, x => x / n));
    }
}

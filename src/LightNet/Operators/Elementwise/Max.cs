using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Element-wise maximum of one or more inputs with broadcasting (NaN propagates).</summary>
internal sealed class Max : OperatorDef
{
    public override string OpType => "Max";

    public override string Types => "float32, float16, float64, integers";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, Pointwise.Variadic(ctx, (a, b) => Pointwise.Binary(ctx, a, b,
            (x, y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Max(x, y), Math.Max, Math.Max)));
}

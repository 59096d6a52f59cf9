using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Clamps to [min, max]: attributes before opset 11, optional scalar inputs from opset 11; integers too.</summary>
internal sealed class Clip : OperatorDef
{
    public override string OpType => "Clip";

    public override string Types => "float32, float16, float64, integers";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (ctx.Opset < 11)
        {
            double lo0 = ctx.Float("min", float.MinValue), hi0 = ctx.Float("max", float.MaxValue);
            ctx.Set(0, Pointwise.Unary(ctx, x, v => Math.Min(Math.Max(v, lo0), hi0)));
            return;
        }

        OpTensor? min = ctx.Optional(1), max = ctx.Optional(2);
        if (min is { Length: not 1 } || max is { Length: not 1 })
        {
            throw ctx.Fail("min and max must be scalars");
        }

        if (x.IsFloat)
        {
            double lo = min?.GetDouble(0) ?? double.NegativeInfinity, hi = max?.GetDouble(0) ?? double.PositiveInfinity;
            ctx.Set(0, Pointwise.Unary(ctx, x, v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi)));
            return;
        }

        if (x.IsUnsigned)
        {
            ulong ulo = min is null ? ulong.MinValue : unchecked((ulong)min.GetLong(0)), uhi = max is null ? ulong.MaxValue : unchecked((ulong)max.GetLong(0));
            ctx.Set(0, Pointwise.Unary(ctx, x, v => v, null, v => Math.Min(Math.Max(v, ulo), uhi)));
            return;
        }

        long ilo = min?.GetLong(0) ?? long.MinValue, ihi = max?.GetLong(0) ?? long.MaxValue;
        ctx.Set(0, Pointwise.Unary(ctx, x, v => v, v => Math.Min(Math.Max(v, ilo), ihi)));
    }
}

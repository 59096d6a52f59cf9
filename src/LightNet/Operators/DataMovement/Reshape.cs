using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>The same elements in a new shape: 0 copies a dimension (unless allowzero), -1 is inferred.</summary>
internal sealed class Reshape : OperatorDef
{
    public override string OpType => "Reshape";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] shape = ctx.Opset < 5 ? ctx.Ints("shape") ?? [] : ctx.OptionalInts(1) ?? throw ctx.Fail("the shape input is required");
        bool allowZero = ctx.Int("allowzero", 0) != 0;
        var dims = new long[shape.Length];
        int infer = -1;
        long known = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            long v = shape[d];
            if (v == 0 && !allowZero)
            {
                v = d < x.Rank ? x.Dims[d] : throw ctx.Fail($"shape {Dimension.Format(shape)} copies dimension {d}, which the rank-{x.Rank} input lacks");
            }

            if (v == -1)
            {
                if (infer >= 0)
                {
                    throw ctx.Fail($"shape {Dimension.Format(shape)} has more than one -1");
                }

                infer = d;
                continue;
            }

            if (v < 0)
            {
                throw ctx.Fail($"shape {Dimension.Format(shape)} has a negative dimension");
            }

            dims[d] = v;
            known = checked(known * v);
        }

        if (infer >= 0)
        {
            dims[infer] = known == 0 ? (x.Length == 0 ? 0 : throw ctx.Fail($"cannot infer -1 in {Dimension.Format(shape)} with a zero dimension"))
                : x.Length % known == 0 ? x.Length / known : throw ctx.Fail($"{x} cannot be reshaped to {Dimension.Format(shape)}");
        }

        if (OpTensor.Count(dims) != x.Length)
        {
            throw ctx.Fail($"{x} cannot be reshaped to {Dimension.Format(shape)} ({Dimension.Format(dims)})");
        }

        ctx.Set(0, new OpTensor(x.Type, dims, x.Data));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Inserts dimensions of size 1 at the listed output positions (attribute before opset 13, input after).</summary>
internal sealed class Unsqueeze : OperatorDef
{
    public override string OpType => "Unsqueeze";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] axes = (ctx.Opset < 13 ? ctx.Ints("axes") : ctx.OptionalInts(1)) ?? throw ctx.Fail("axes are required");
        int rank = x.Rank + axes.Length;
        var insert = new bool[rank];
        foreach (long a in axes)
        {
            int d = ctx.Axis(a, rank, "axis");
            if (insert[d])
            {
                throw ctx.Fail($"axis {a} is repeated in {Dimension.Format(axes)}");
            }

            insert[d] = true;
        }

        var dims = new long[rank];
        for (int d = 0, k = 0; d < rank; d++)
        {
            dims[d] = insert[d] ? 1 : x.Dims[k++];
        }

        ctx.Set(0, new OpTensor(x.Type, dims, x.Data));
    }
}

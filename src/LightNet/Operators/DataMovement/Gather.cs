using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Entries of the data along an axis picked by an index tensor (negative indices count from the end).</summary>
internal sealed class Gather : OperatorDef
{
    public override string OpType => "Gather";

    public override string Types => "all data types; int32/int64 indices";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] idx = ctx.OptionalInts(1)!;
        long[] idxDims = ctx.Input(1).Dims;
        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        long size = x.Dims[axis];
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.Dims[d];
        long inner = 1;
        for (int d = axis + 1; d < x.Rank; d++) inner *= x.Dims[d];
        long[] dims = [.. x.Dims[..axis], .. idxDims, .. x.Dims[(axis + 1)..]];
        Array y = OpTensor.Allocate(x.Type, OpTensor.Count(dims));
        long o2 = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (long i in idx)
            {
                long k = Indexing.Index(ctx, i, size);
                Array.Copy(x.Data, ((o * size) + k) * inner, y, o2, inner);
                o2 += inner;
            }
        }

        ctx.Set(0, new OpTensor(x.Type, dims, y));
    }
}

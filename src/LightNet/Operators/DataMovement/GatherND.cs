namespace LightNet.Operators.DataMovement;

/// <summary>Slices of the data addressed by the last dimension of the indices, with batch_dims leading dimensions shared.</summary>
internal sealed class GatherND : OperatorDef
{
    public override string OpType => "GatherND";

    public override string Types => "all data types; int64 indices";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), index = ctx.Input(1);
        int b = (int)ctx.Int("batch_dims", 0);
        long[] idx = index.ToLongs();
        int k = (int)index.Dims[^1];
        if (b < 0 || b >= Math.Min(x.Rank, index.Rank) || k < 1 || b + k > x.Rank)
        {
            throw ctx.Fail($"indices {index} with batch_dims {b} do not address data {x}");
        }

        long[] dims = [.. index.Dims[..^1], .. x.Dims[(b + k)..]];
        long slice = 1;
        for (int d = b + k; d < x.Rank; d++) slice *= x.Dims[d];
        long[] strides = Indexing.Strides(x.Dims);
        long batch = 1;
        for (int d = 0; d < b; d++) batch *= x.Dims[d];
        long tuples = idx.Length / k;
        long perBatch = tuples / Math.Max(batch, 1);
        long batchStride = b == 0 ? 0 : strides[b - 1];
        Array y = OpTensor.Allocate(x.Type, OpTensor.Count(dims));
        for (long t = 0; t < tuples; t++)
        {
            long off = (t / Math.Max(perBatch, 1)) * batchStride;
            for (int j = 0; j < k; j++)
            {
                off += Indexing.Index(ctx, idx[(t * k) + j], x.Dims[b + j]) * strides[b + j];
            }

            Array.Copy(x.Data, off, y, t * slice, slice);
        }

        ctx.Set(0, new OpTensor(x.Type, dims, y));
    }
}

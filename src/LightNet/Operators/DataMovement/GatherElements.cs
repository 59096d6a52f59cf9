namespace LightNet.Operators.DataMovement;

/// <summary>out[i][j][k] = data[index[i][j][k]][j][k] along the axis (shape of the indices).</summary>
internal sealed class GatherElements : OperatorDef
{
    public override string OpType => "GatherElements";

    public override string Types => "all data types; int32/int64 indices";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), index = ctx.Input(1);
        if (index.Rank != x.Rank)
        {
            throw ctx.Fail($"indices {index} and data {x} have different ranks");
        }

        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        long[] idx = index.ToLongs();
        long[] strides = Indexing.Strides(x.Dims);
        var coords = new long[x.Rank];
        var offsets = new int[idx.Length];
        for (int i = 0; i < idx.Length; i++)
        {
            Indexing.Unravel(i, index.Dims, coords);
            long off = 0;
            for (int d = 0; d < x.Rank; d++)
            {
                long c = d == axis ? Indexing.Index(ctx, idx[i], x.Dims[d]) : coords[d];
                if (c >= x.Dims[d])
                {
                    throw ctx.Fail($"indices {index} exceed data {x} along dimension {d}");
                }

                off += c * strides[d];
            }

            offsets[i] = checked((int)off);
        }

        ctx.Set(0, x.Gather(index.Dims, offsets));
    }
}

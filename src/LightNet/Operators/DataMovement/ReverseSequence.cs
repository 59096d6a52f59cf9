namespace LightNet.Operators.DataMovement;

/// <summary>Reverses the first sequence_lens[b] elements along the time axis of each batch entry.</summary>
internal sealed class ReverseSequence : OperatorDef
{
    public override string OpType => "ReverseSequence";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] lens = ctx.OptionalInts(1)!;
        int timeAxis = (int)ctx.Int("time_axis", 0), batchAxis = (int)ctx.Int("batch_axis", 1);
        if (x.Rank < 2 || timeAxis is not (0 or 1) || batchAxis is not (0 or 1) || timeAxis == batchAxis || lens.Length != x.Dims[batchAxis])
        {
            throw ctx.Fail($"input {x} with time_axis {timeAxis}, batch_axis {batchAxis} and {lens.Length} lengths is not valid");
        }

        long[] strides = Indexing.Strides(x.Dims);
        var coords = new long[x.Rank];
        var offsets = new int[x.Length];
        for (int i = 0; i < offsets.Length; i++)
        {
            Indexing.Unravel(i, x.Dims, coords);
            long len = Math.Clamp(lens[coords[batchAxis]], 0, x.Dims[timeAxis]);
            if (coords[timeAxis] < len) coords[timeAxis] = len - 1 - coords[timeAxis];
            long off = 0;
            for (int d = 0; d < x.Rank; d++) off += coords[d] * strides[d];
            offsets[i] = (int)off;
        }

        ctx.Set(0, x.Gather(x.Dims, offsets));
    }
}

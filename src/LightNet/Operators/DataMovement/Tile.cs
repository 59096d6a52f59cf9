using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Repeats the input along each dimension.</summary>
internal sealed class Tile : OperatorDef
{
    public override string OpType => "Tile";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] repeats = ctx.OptionalInts(1) ?? throw ctx.Fail("repeats are required");
        if (repeats.Length != x.Rank || repeats.Any(r => r < 0))
        {
            throw ctx.Fail($"repeats {Dimension.Format(repeats)} do not fit a rank-{x.Rank} input");
        }

        long[] dims = x.Dims.Select((d, i) => checked(d * repeats[i])).ToArray();
        int n = OpTensor.Count(dims);
        long[] strides = Indexing.Strides(x.Dims);
        var coords = new long[dims.Length];
        var offsets = new int[n];
        for (int i = 0; i < n; i++)
        {
            Indexing.Unravel(i, dims, coords);
            long off = 0;
            for (int d = 0; d < dims.Length; d++) off += coords[d] % x.Dims[d] * strides[d];
            offsets[i] = (int)off;
        }

        ctx.Set(0, x.Gather(dims, offsets));
    }
}

namespace LightNet.Operators.Ml;

/// <summary>ai.onnx.ml ArrayFeatureExtractor: the elements of the last axis that the indices select.</summary>
internal sealed class ArrayFeatureExtractor : OperatorDef
{
    public override string OpType => "ArrayFeatureExtractor";

    public override string Domain => "ai.onnx.ml";

    public override string Types => "float32, float64, int32, int64, string";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] idx = ctx.OptionalInts(1)!;
        if (x.Rank == 0)
        {
            throw ctx.Fail("X must have rank 1 or more");
        }

        long last = x.Dims[^1];
        long rows = x.Length / Math.Max(last, 1);
        long[] dims = x.Rank == 1 ? [1, idx.Length] : [.. x.Dims[..^1], idx.Length];
        var offsets = new int[OpTensor.Count(dims)];
        for (long r = 0, k = 0; r < rows; r++)
        {
            foreach (long i in idx)
            {
                offsets[k++] = checked((int)((r * last) + DataMovement.Indexing.Index(ctx, i, last)));
            }
        }

        ctx.Set(0, x.Gather(dims, offsets));
    }
}

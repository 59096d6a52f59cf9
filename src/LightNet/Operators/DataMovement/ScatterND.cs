using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A copy of the data with slices replaced (or reduced) at the index tuples of the last dimension of the indices.</summary>
internal sealed class ScatterND : OperatorDef
{
    public override string OpType => "ScatterND";

    public override string Types => "all data types; int64 indices";

    public override void Validate(Node node, long opset, List<string> problems) => ScatterReduction.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), index = ctx.Input(1), updates = ctx.Input(2);
        int k = index.Rank == 0 ? 0 : (int)index.Dims[^1];
        if (index.Rank < 1 || k < 1 || k > x.Rank)
        {
            throw ctx.Fail($"indices {index} do not address data {x}");
        }

        long slice = 1;
        for (int d = k; d < x.Rank; d++) slice *= x.Dims[d];
        long[] idx = index.ToLongs();
        long tuples = idx.Length / k;
        if (updates.Length != tuples * slice)
        {
            throw ctx.Fail($"updates {updates} do not match indices {index} and data {x}");
        }

        long[] strides = Indexing.Strides(x.Dims);
        Array y = (Array)x.Data.Clone();
        Action<int, int> write = ScatterReduction.Writer(ctx, y, updates);
        for (long t = 0; t < tuples; t++)
        {
            long off = 0;
            for (int j = 0; j < k; j++)
            {
                off += Indexing.Index(ctx, idx[(t * k) + j], x.Dims[j]) * strides[j];
            }

            for (long s = 0; s < slice; s++)
            {
                write(checked((int)(off + s)), checked((int)((t * slice) + s)));
            }
        }

        ctx.Set(0, new OpTensor(x.Type, x.Dims, y));
    }
}

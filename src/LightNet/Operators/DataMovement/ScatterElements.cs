using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A copy of the data with updates written at the positions the indices give along an axis (with an optional reduction).</summary>
internal class ScatterElements : OperatorDef
{
    public override string OpType => "ScatterElements";

    public override string Types => "all data types; int32/int64 indices";

    public override void Validate(Node node, long opset, List<string> problems) => ScatterReduction.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), index = ctx.Input(1), updates = ctx.Input(2);
        if (index.Rank != x.Rank || !index.Dims.SequenceEqual(updates.Dims))
        {
            throw ctx.Fail($"data {x}, indices {index} and updates {updates} do not match");
        }

        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        Array y = (Array)x.Data.Clone();
        Action<int, int> write = ScatterReduction.Writer(ctx, y, updates);
        long[] idx = index.ToLongs();
        long[] strides = Indexing.Strides(x.Dims);
        var coords = new long[x.Rank];
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

            write(checked((int)off), i);
        }

        ctx.Set(0, new OpTensor(x.Type, x.Dims, y));
    }
}

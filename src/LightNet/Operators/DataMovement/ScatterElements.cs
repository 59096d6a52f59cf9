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
        int[] offsets = Indexing.ElementOffsets(ctx, x, index, axis);
        for (int i = 0; i < offsets.Length; i++)
        {
            write(offsets[i], i);
        }

        ctx.Set(0, new OpTensor(x.Type, x.Dims, y));
    }
}

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
        int[] offsets = Indexing.ElementOffsets(ctx, x, index, axis);
        ctx.Set(0, x.Gather(index.Dims, offsets));
    }
}

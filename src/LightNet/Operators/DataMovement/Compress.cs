namespace LightNet.Operators.DataMovement;

/// <summary>The slices along an axis (or elements of the flattened input) where the condition is true.</summary>
internal sealed class Compress : OperatorDef
{
    public override string OpType => "Compress";

    public override bool ShapeDependsOnValues => true;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        bool[] cond = ctx.Input(1).ToBools();
        if (!ctx.HasAttribute("axis"))
        {
            int[] keep = Enumerable.Range(0, Math.Min(cond.Length, x.Length)).Where(i => cond[i]).ToArray();
            ctx.Set(0, x.Gather([keep.Length], keep));
            return;
        }

        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        long size = x.Dims[axis];
        if (cond.Length > size)
        {
            throw ctx.Fail($"condition has {cond.Length} values for a dimension of {size}");
        }

        long[] chosen = Enumerable.Range(0, cond.Length).Where(i => cond[i]).Select(i => (long)i).ToArray();
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.Dims[d];
        long inner = 1;
        for (int d = axis + 1; d < x.Rank; d++) inner *= x.Dims[d];
        long[] dims = (long[])x.Dims.Clone();
        dims[axis] = chosen.Length;
        Array y = OpTensor.Allocate(x.Type, OpTensor.Count(dims));
        long o2 = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (long c in chosen)
            {
                Array.Copy(x.Data, ((o * size) + c) * inner, y, o2, inner);
                o2 += inner;
            }
        }

        ctx.Set(0, new OpTensor(x.Type, dims, y));
    }
}

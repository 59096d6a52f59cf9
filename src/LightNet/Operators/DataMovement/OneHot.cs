using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>One-hot encoding: a new axis of size depth, on_value at the index, off_value elsewhere (negative indices count from the end).</summary>
internal sealed class OneHot : OperatorDef
{
    public override string OpType => "OneHot";

    public override string Types => "indices: numeric; values: all numeric";

    public override void Execute(OpContext ctx)
    {
        OpTensor indices = ctx.Input(0), depthT = ctx.Input(1), values = ctx.Input(2);
        long depth = depthT.Length == 1 ? (long)depthT.GetDouble(0) : throw ctx.Fail($"depth must be a scalar, not {depthT}");
        if (depth < 1 || values.Length != 2)
        {
            throw ctx.Fail($"depth {depth} must be positive and values must hold [off, on]");
        }

        int rank = indices.Rank + 1;
        int axis = ctx.Axis(ctx.Int("axis", -1), rank);
        long[] dims = [.. indices.Dims[..axis], depth, .. indices.Dims[axis..]];
        double[] idx = indices.ToDoubles();
        long inner = 1;
        for (int d = axis; d < indices.Rank; d++) inner *= indices.Dims[d];
        var pick = new int[OpTensor.Count(dims)];
        for (long i = 0; i < idx.Length; i++)
        {
            long v = (long)idx[i];
            v = v < 0 ? v + depth : v;
            if (v < 0 || v >= depth) continue;
            long outer = i / inner, inn = i % inner;
            pick[(outer * depth * inner) + (v * inner) + inn] = 1;
        }

        ctx.Set(0, values.Gather(dims, pick));
    }
}

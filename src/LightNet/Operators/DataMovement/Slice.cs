using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A strided slice: starts/ends/axes as attributes before opset 10, inputs (with steps) after; bounds clamped as the spec says.</summary>
internal sealed class Slice : OperatorDef
{
    public override string OpType => "Slice";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        int rank = x.Rank;
        long[] starts, ends;
        long[]? axes, steps = null;
        if (ctx.Opset < 10)
        {
            starts = ctx.Ints("starts") ?? throw ctx.Fail("attribute 'starts' is required");
            ends = ctx.Ints("ends") ?? throw ctx.Fail("attribute 'ends' is required");
            axes = ctx.Ints("axes");
        }
        else
        {
            starts = ctx.OptionalInts(1) ?? throw ctx.Fail("input 'starts' is required");
            ends = ctx.OptionalInts(2) ?? throw ctx.Fail("input 'ends' is required");
            axes = ctx.OptionalInts(3);
            steps = ctx.OptionalInts(4);
        }

        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            throw ctx.Fail($"starts, ends, axes and steps have different lengths ({starts.Length}, {ends.Length}, {axes.Length}, {steps.Length})");
        }

        long[] begin = new long[rank], step = Enumerable.Repeat(1L, rank).ToArray(), dims = (long[])x.Dims.Clone();
        var seen = new bool[rank];
        for (int i = 0; i < starts.Length; i++)
        {
            int a = ctx.Axis(axes[i], rank);
            if (seen[a])
            {
                throw ctx.Fail($"axis {axes[i]} is repeated");
            }

            seen[a] = true;
            long size = x.Dims[a], s = steps[i];
            if (s == 0)
            {
                throw ctx.Fail("a step is zero");
            }

            long b = Clamp(starts[i], size, s), e = Clamp(ends[i], size, s);
            long count = s > 0 ? (e > b ? ((e - b - 1) / s) + 1 : 0) : (b > e ? ((b - e - 1) / -s) + 1 : 0);
            begin[a] = b;
            step[a] = s;
            dims[a] = count;
        }

        long[] strides = Indexing.Strides(x.Dims);
        long start = 0;
        var src = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            start += dims[d] == 0 ? 0 : begin[d] * strides[d];
            src[d] = strides[d] * step[d];
        }

        ctx.Set(0, x.Gather(dims, Indexing.StridedOffsets(dims, src, start)));
    }

    /// <summary>A start or end index clamped as the spec says: [0, size] for positive steps, [-1, size-1] for negative.</summary>
    private static long Clamp(long v, long size, long step)
    {
        if (v < 0)
        {
            v = v < -size ? -1 : v + size;
        }

        return step > 0 ? Math.Clamp(v, 0, size) : Math.Clamp(v, -1, size - 1);
    }
}

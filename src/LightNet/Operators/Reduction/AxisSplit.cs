namespace LightNet.Operators.Reduction;

/// <summary>A tensor seen as [outer, length, inner] around one axis: element (o, k, i) is at (o * length + k) * inner + i.</summary>
internal readonly record struct AxisSplit(int Outer, int Length, int Inner)
{
    /// <summary>The split of <paramref name="dims"/> at <paramref name="axis"/> (already normalized).</summary>
    public static AxisSplit At(long[] dims, int axis)
    {
        if (dims.Length == 0)
        {
            return new AxisSplit(1, 1, 1);
        }

        return new AxisSplit(OpTensor.Count(dims.AsSpan(0, axis)), (int)dims[axis], OpTensor.Count(dims.AsSpan(axis + 1)));
    }

    /// <summary>The split of <paramref name="dims"/> coerced to 2-D at <paramref name="axis"/>: [prod(dims[..axis]), prod(dims[axis..])].</summary>
    public static AxisSplit Coerced(long[] dims, int axis) =>
        new(OpTensor.Count(dims.AsSpan(0, axis)), OpTensor.Count(dims.AsSpan(axis)), 1);
}

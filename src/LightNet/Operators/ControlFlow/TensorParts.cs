using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Slicing, stacking, concatenating and splitting run-time tensors along one axis (any element type).</summary>
internal static class TensorParts
{
    /// <summary>Product of <paramref name="dims"/>[from..to), checked.</summary>
    public static long Product(long[] dims, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++)
        {
            p = checked(p * dims[i]);
        }

        return p;
    }

    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="axis"/>, that axis removed.</summary>
    public static OpTensor Slice(OpTensor t, int axis, long index)
    {
        long[] dims = t.Dims;
        long[] outDims = dims.Take(axis).Concat(dims.Skip(axis + 1)).ToArray();
        int count = OpTensor.Count(outDims);
        Array dst = OpTensor.Allocate(t.Type, count);
        int inner = (int)Product(dims, axis + 1, dims.Length);
        int outer = (int)Product(dims, 0, axis);
        int len = (int)dims[axis];
        for (int o = 0; o < outer && inner > 0; o++)
        {
            Array.Copy(t.Data, ((long)o * len + index) * inner, dst, (long)o * inner, inner);
        }

        return new OpTensor(t.Type, outDims, dst);
    }

    /// <summary>Stacks equal-shaped tensors along a new axis <paramref name="axis"/>.</summary>
    public static OpTensor Stack(IReadOnlyList<OpTensor> items, int axis, OpContext ctx)
    {
        OpTensor first = items[0];
        foreach (OpTensor it in items)
        {
            if (it.Type != first.Type || !it.Dims.AsSpan().SequenceEqual(first.Dims))
            {
                throw ctx.Fail($"cannot stack {it} with {first}: every part must have the same type and shape");
            }
        }

        long[] dims = first.Dims;
        long[] outDims = [.. dims.Take(axis), items.Count, .. dims.Skip(axis)];
        Array dst = OpTensor.Allocate(first.Type, OpTensor.Count(outDims));
        int inner = (int)Product(dims, axis, dims.Length);
        int outer = (int)Product(dims, 0, axis);
        int n = items.Count;
        for (int k = 0; k < n; k++)
        {
            Array src = items[k].Data;
            for (int o = 0; o < outer && inner > 0; o++)
            {
                Array.Copy(src, (long)o * inner, dst, ((long)o * n + k) * inner, inner);
            }
        }

        return new OpTensor(first.Type, outDims, dst);
    }

    /// <summary>Concatenates tensors of one type along an existing axis.</summary>
    public static OpTensor Concat(IReadOnlyList<OpTensor> items, int axis, OpContext ctx)
    {
        OpTensor first = items[0];
        long total = 0;
        foreach (OpTensor it in items)
        {
            bool same = it.Type == first.Type && it.Rank == first.Rank;
            for (int d = 0; same && d < it.Rank; d++)
            {
                same = d == axis || it.Dims[d] == first.Dims[d];
            }

            if (!same)
            {
                throw ctx.Fail($"cannot concatenate {it} with {first} along axis {axis}");
            }

            total = checked(total + it.Dims[axis]);
        }

        long[] outDims = (long[])first.Dims.Clone();
        outDims[axis] = total;
        Array dst = OpTensor.Allocate(first.Type, OpTensor.Count(outDims));
        int inner = (int)Product(first.Dims, axis + 1, first.Rank);
        int outer = (int)Product(first.Dims, 0, axis);
        long offset = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (OpTensor it in items)
            {
                long chunk = it.Dims[axis] * inner;
                Array.Copy(it.Data, o * chunk, dst, offset, chunk);
                offset += chunk;
            }
        }

        return new OpTensor(first.Type, outDims, dst);
    }

    /// <summary>The part [start, start+length) of <paramref name="t"/> along <paramref name="axis"/>.</summary>
    public static OpTensor Range(OpTensor t, int axis, long start, long length)
    {
        long[] outDims = (long[])t.Dims.Clone();
        outDims[axis] = length;
        Array dst = OpTensor.Allocate(t.Type, OpTensor.Count(outDims));
        int inner = (int)Product(t.Dims, axis + 1, t.Rank);
        int outer = (int)Product(t.Dims, 0, axis);
        long chunk = length * inner;
        for (int o = 0; o < outer && chunk > 0; o++)
        {
            Array.Copy(t.Data, ((o * t.Dims[axis]) + start) * inner, dst, o * chunk, chunk);
        }

        return new OpTensor(t.Type, outDims, dst);
    }

    /// <summary>An empty tensor standing for zero stacked parts: the declared element type and shape of <paramref name="info"/> behind a leading 0 where known.</summary>
    public static OpTensor EmptyStack(ValueInfo info, int axis)
    {
        TensorElementType type = OpTensor.IsSupported(info.ElementType) ? info.ElementType : TensorElementType.Float;
        long[] part = info.Shape is { } s && s.All(d => d.IsFixed) ? s.Select(d => d.Value!.Value).ToArray() : [];
        axis = Math.Min(axis, part.Length);
        long[] dims = [.. part.Take(axis), 0, .. part.Skip(axis)];
        return OpTensor.Zeros(type, dims);
    }
}

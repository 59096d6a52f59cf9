using LightNet.Onnx;

namespace LightNet.Operators.Support;

/// <summary>Numpy-style multidirectional broadcasting: the output shape and, per input, the source offset of each output element.</summary>
internal static class Broadcasting
{
    /// <summary>The broadcast shape of <paramref name="shapes"/>, or a failure naming them.</summary>
    public static long[] Shape(OpContext ctx, params long[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var result = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long dim = 1;
            foreach (long[] s in shapes)
            {
                int k = d - (rank - s.Length);
                if (k < 0)
                {
                    continue;
                }

                long v = s[k];
                if (v == dim || v == 1)
                {
                    continue;
                }

                if (dim != 1)
                {
                    throw ctx.Fail($"shapes {string.Join(", ", shapes.Select(x => Dimension.Format(x)))} cannot be broadcast together");
                }

                dim = v;
            }

            result[d] = dim;
        }

        return result;
    }

    /// <summary>For every element of <paramref name="outDims"/>, the offset of the element of a tensor of <paramref name="dims"/> it reads; null when the shapes are equal (identity).</summary>
    public static int[]? Offsets(long[] dims, long[] outDims)
    {
        if (dims.AsSpan().SequenceEqual(outDims))
        {
            return null;
        }

        int rank = outDims.Length;
        int count = OpTensor.Count(outDims);
        var strides = new long[rank];
        long s = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            int od = d + (rank - dims.Length);
            strides[od] = dims[d] == 1 ? 0 : s;
            s *= dims[d];
        }

        var offsets = new int[count];
        if (count == 0)
        {
            return offsets;
        }

        // Walk the output in row-major order; the innermost dimension is a plain strided run.
        long inner = rank == 0 ? 1 : outDims[rank - 1];
        long innerStride = rank == 0 ? 0 : strides[rank - 1];
        var idx = new long[Math.Max(rank - 1, 0)];
        long baseOff = 0;
        for (int i = 0; i < count; i += (int)inner)
        {
            for (long k = 0; k < inner; k++)
            {
                offsets[i + k] = (int)(baseOff + (k * innerStride));
            }

            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                baseOff += strides[d];
                if (idx[d] < outDims[d])
                {
                    break;
                }

                baseOff -= idx[d] * strides[d];
                idx[d] = 0;
            }
        }

        return offsets;
    }

    /// <summary>Like <see cref="Offsets"/>, but the identity map (0, 1, 2, ...) instead of null when the shapes are equal.</summary>
    public static int[] OffsetsOrIdentity(long[] dims, long[] outDims)
    {
        if (Offsets(dims, outDims) is { } offsets)
        {
            return offsets;
        }

        var identity = new int[OpTensor.Count(outDims)];
        for (int i = 0; i < identity.Length; i++)
        {
            identity[i] = i;
        }

        return identity;
    }

    /// <summary>Row-major strides of <paramref name="dims"/>.</summary>
    public static long[] Strides(long[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= dims[d];
        }

        return strides;
    }
}

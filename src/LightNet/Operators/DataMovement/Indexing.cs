using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.DataMovement;

/// <summary>Index arithmetic shared by the data-movement operators.</summary>
internal static class Indexing
{
    /// <summary>Source offsets of a strided view: out[i] = in[start + Σ idx_d · step_d].</summary>
    public static int[] StridedOffsets(long[] outDims, long[] srcStrides, long start)
    {
        int n = OpTensor.Count(outDims);
        var offsets = new int[n];
        int rank = outDims.Length;
        if (n == 0)
        {
            return offsets;
        }

        var idx = new long[rank];
        long off = start;
        for (int i = 0; i < n; i++)
        {
            offsets[i] = checked((int)off);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += srcStrides[d];
                if (idx[d] < outDims[d])
                {
                    break;
                }

                off -= idx[d] * srcStrides[d];
                idx[d] = 0;
            }
        }

        return offsets;
    }

    /// <summary>Unravels a flat index into coordinates.</summary>
    public static void Unravel(long flat, long[] dims, long[] coords)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            long size = dims[d];
            coords[d] = size == 0 ? 0 : flat % size;
            flat = size == 0 ? 0 : flat / size;
        }
    }

    /// <summary>An index normalized into [0, size), or a failure naming the index and the dimension.</summary>
    public static long Index(OpContext ctx, long index, long size, string what = "index")
    {
        long i = index < 0 ? index + size : index;
        return i < 0 || i >= size ? throw ctx.Fail($"{what} {index} is out of range for a dimension of {size}") : i;
    }

    /// <summary>A shape input given as integers, checked for negative values.</summary>
    public static long[] ShapeInput(OpContext ctx, int input)
    {
        long[] shape = ctx.OptionalInts(input) ?? throw ctx.Fail($"input {input} (a shape) is required");
        return shape.Any(d => d < 0) ? throw ctx.Fail($"shape {Dimension.Format(shape)} has a negative dimension") : shape;
    }

    public static long[] Strides(long[] dims) => Broadcasting.Strides(dims);

    /// <summary>
    /// GatherElements/ScatterElements addressing: for each element of <paramref name="index"/>, the offset in
    /// <paramref name="x"/> of its own coordinates with the one along <paramref name="axis"/> replaced by its value.
    /// </summary>
    public static int[] ElementOffsets(OpContext ctx, OpTensor x, OpTensor index, int axis)
    {
        long[] idx = index.ToLongs();
        long[] strides = Strides(x.Dims);
        var coords = new long[x.Rank];
        var offsets = new int[idx.Length];
        for (int i = 0; i < idx.Length; i++)
        {
            Unravel(i, index.Dims, coords);
            long off = 0;
            for (int d = 0; d < x.Rank; d++)
            {
                long c = d == axis ? Index(ctx, idx[i], x.Dims[d]) : coords[d];
                if (c >= x.Dims[d])
                {
                    throw ctx.Fail($"indices {index} exceed data {x} along dimension {d}");
                }

                off += c * strides[d];
            }

            offsets[i] = checked((int)off);
        }

        return offsets;
    }

    /// <summary>Copies a contiguous run of elements between typed arrays of the same type.</summary>
    public static void CopyRun(Array src, int srcIndex, Array dst, int dstIndex, int count) => Array.Copy(src, srcIndex, dst, dstIndex, count);
}

using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Quantization;

/// <summary>
/// Integer matrix products for MatMulInteger and QLinearMatMul: zero points removed per tensor, per row of A or per
/// column of B, then a numpy-style matmul (1-D operands promoted, batch dimensions broadcast) accumulating in 32 bits.
/// </summary>
internal static class IntegerMatMul
{
    /// <summary>
    /// The values of <paramref name="x"/> minus its zero point: a scalar, a vector (one per row of A when
    /// <paramref name="rows"/>, one per column of B otherwise) or a tensor broadcasting to x's shape.
    /// </summary>
    public static int[] Centered(OpContext ctx, OpTensor x, OpTensor? zp, bool rows, string what)
    {
        if (x.Type is not (TensorElementType.UInt8 or TensorElementType.Int8))
        {
            throw ctx.Fail($"{what} is {x.Type}; it must be uint8 or int8");
        }

        long[] xv = ElementConversion.Longs(x);
        var r = new int[xv.Length];
        if (zp is null || (zp.Length == 1 && zp.Rank <= 1))
        {
            if (zp is not null && zp.Type != x.Type)
            {
                throw ctx.Fail($"{what} is {x.Type} but its zero point is {zp.Type}");
            }

            long z = zp is null ? 0 : ElementConversion.Longs(zp)[0];
            for (int i = 0; i < r.Length; i++) r[i] = (int)(xv[i] - z);
            return r;
        }

        if (zp.Type != x.Type)
        {
            throw ctx.Fail($"{what} is {x.Type} but its zero point is {zp.Type}");
        }

        long[] zDims = zp.Dims;
        if (zp.Rank == 1 && x.Rank >= 2)
        {
            zDims = rows ? [zp.Dims[0], 1] : [1, zp.Dims[0]];
        }

        long[] shape = Broadcasting.Shape(ctx, x.Dims, zDims);
        if (!shape.AsSpan().SequenceEqual(x.Dims))
        {
            throw ctx.Fail($"the zero point {Dimension.Format(zp.Dims)} of {what} does not fit its shape {Dimension.Format(x.Dims)}");
        }

        int[] off = Broadcasting.Offsets(zDims, x.Dims) ?? Enumerable.Range(0, r.Length).ToArray();
        long[] zv = ElementConversion.Longs(zp);
        for (int i = 0; i < r.Length; i++) r[i] = (int)(xv[i] - zv[off[i]]);
        return r;
    }

    /// <summary>numpy matmul of two integer tensors; 32-bit accumulation wraps as ONNX Runtime's does.</summary>
    public static (long[] Dims, int[] Values, int M, int N) Multiply(OpContext ctx, int[] a, long[] aDims, int[] b, long[] bDims)
    {
        if (aDims.Length == 0 || bDims.Length == 0)
        {
            throw ctx.Fail("MatMul operands must have at least one dimension");
        }

        long[] ad = aDims.Length == 1 ? [1, aDims[0]] : aDims;
        long[] bd = bDims.Length == 1 ? [bDims[0], 1] : bDims;
        long m = ad[^2], k = ad[^1], k2 = bd[^2], n = bd[^1];
        if (k != k2)
        {
            throw ctx.Fail($"shapes {Dimension.Format(aDims)} and {Dimension.Format(bDims)} cannot be multiplied");
        }

        long[] aBatch = ad[..^2], bBatch = bd[..^2];
        long[] batch = Broadcasting.Shape(ctx, aBatch, bBatch);
        int batches = OpTensor.Count(batch);
        int[]? ao = Broadcasting.Offsets(aBatch, batch), bo = Broadcasting.Offsets(bBatch, batch);
        var dims = new List<long>(batch);
        if (aDims.Length > 1)
        {
            dims.Add(m);
        }

        if (bDims.Length > 1)
        {
            dims.Add(n);
        }

        long[] outDims = dims.ToArray();
        int total = OpTensor.Count([batches, m, n]);
        var c = new int[total];
        int mi = (int)m, ki = (int)k, ni = (int)n;
        unchecked
        {
            for (int t = 0; t < batches; t++)
            {
                int aBase = (ao?[t] ?? t) * mi * ki, bBase = (bo?[t] ?? t) * ki * ni, cBase = t * mi * ni;
                for (int i = 0; i < mi; i++)
                {
                    int row = cBase + (i * ni);
                    for (int p = 0; p < ki; p++)
                    {
                        int av = a[aBase + (i * ki) + p];
                        if (av == 0)
                        {
                            continue;
                        }

                        int bRow = bBase + (p * ni);
                        for (int j = 0; j < ni; j++) c[row + j] += av * b[bRow + j];
                    }
                }
            }
        }

        return (outDims, c, mi, ni);
    }
}

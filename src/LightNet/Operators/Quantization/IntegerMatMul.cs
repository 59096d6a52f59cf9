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
    /// For every element of a tensor of <paramref name="xDims"/>, the index of its quantization parameter in <paramref name="p"/>:
    /// null for a scalar (or one-element vector); a vector holds one value per row of A when <paramref name="rows"/>,
    /// per column of B otherwise; any other shape must broadcast to x's (e.g. [batch, M, 1] or [batch, 1, N]).
    /// </summary>
    public static int[]? ParameterMap(OpContext ctx, OpTensor p, long[] xDims, bool rows, string what)
    {
        if (p.Length == 1 && p.Rank <= 1)
        {
            return null;
        }

        long[] pDims = p.Dims;
        if (p.Rank == 1 && xDims.Length >= 2)
        {
            pDims = rows ? [p.Dims[0], 1] : [1, p.Dims[0]];
        }

        if (pDims.Length > xDims.Length || !Broadcasting.Shape(ctx, xDims, pDims).AsSpan().SequenceEqual(xDims))
        {
            throw ctx.Fail($"{what} {Dimension.Format(p.Dims)} does not fit the shape {Dimension.Format(xDims)} (a scalar, one value per {(rows ? "row" : "column")}, or a shape that broadcasts)");
        }

        return Broadcasting.OffsetsOrIdentity(pDims, xDims);
    }

    /// <summary>The values of <paramref name="x"/> (uint8 or int8) minus its zero point, mapped as <see cref="ParameterMap"/> says.</summary>
    public static int[] Centered(OpContext ctx, OpTensor x, OpTensor? zp, bool rows, string what)
    {
        if (x.Type is not (TensorElementType.UInt8 or TensorElementType.Int8))
        {
            throw ctx.Fail($"{what} is {x.Type}; it must be uint8 or int8");
        }

        if (zp is not null && zp.Type != x.Type)
        {
            throw ctx.Fail($"{what} is {x.Type} but its zero point is {zp.Type}");
        }

        long[] xv = ElementConversion.Longs(x);
        var r = new int[xv.Length];
        if (zp is null)
        {
            for (int i = 0; i < r.Length; i++) r[i] = (int)xv[i];
            return r;
        }

        int[]? map = ParameterMap(ctx, zp, x.Dims, rows, $"the zero point of {what}");
        long[] zv = ElementConversion.Longs(zp);
        for (int i = 0; i < r.Length; i++) r[i] = (int)(xv[i] - zv[map?[i] ?? 0]);
        return r;
    }

    /// <summary>numpy matmul of two integer tensors; 32-bit accumulation wraps as ONNX Runtime's does.</summary>
    public static (long[] Dims, int[] Values, int M, int N, int K, int[]? ABatch, int[]? BBatch) Multiply(OpContext ctx, int[] a, long[] aDims, int[] b, long[] bDims)
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

        return (outDims, c, mi, ni, ki, ao, bo);
    }
}

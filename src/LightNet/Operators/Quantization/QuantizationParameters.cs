using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>
/// What the quantization operators share: the integer ranges of the quantized types, round half to even, and the
/// mapping of each element of a tensor to its scale / zero point (per tensor, per axis, or blocked along an axis).
/// </summary>
internal static class QuantizationParameters
{
    /// <summary>True for the integer types quantized tensors may have here (uint8, int8, uint16, int16).</summary>
    public static bool IsQuantized(TensorElementType t) =>
        t is TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.UInt16 or TensorElementType.Int16;

    /// <summary>The representable range of an integer type.</summary>
    public static (long Min, long Max) Range(TensorElementType t) => t switch
    {
        TensorElementType.UInt8 => (byte.MinValue, byte.MaxValue),
        TensorElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        TensorElementType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        TensorElementType.Int16 => (short.MinValue, short.MaxValue),
        TensorElementType.Int32 => (int.MinValue, int.MaxValue),
        TensorElementType.UInt32 => (uint.MinValue, uint.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    /// <summary>Rounds to the nearest integer, halves to even, then adds <paramref name="zeroPoint"/> and saturates; NaN gives the zero point.</summary>
    public static long Saturate(double value, long zeroPoint, long min, long max)
    {
        if (double.IsNaN(value))
        {
            return Math.Clamp(zeroPoint, min, max);
        }

        double v = Math.Round(value, MidpointRounding.ToEven) + zeroPoint;
        return v <= min ? min : v >= max ? max : (long)v;
    }

    /// <summary>The problem with a quantized-type attribute such as 'output_dtype' (0 = not set), or null.</summary>
    public static string? CheckQuantizedType(string attribute, long code)
    {
        if (code == 0 || (code is >= 1 and <= 16 && IsQuantized((TensorElementType)code)))
        {
            return null;
        }

        return ElementConversion.Refusal(code) is { } why
            ? $"attribute '{attribute}' = {ElementConversion.TypeName(code)}: {why}"
            : $"attribute '{attribute}' = {ElementConversion.TypeName(code)}: only UINT8, INT8, UINT16 and INT16 are quantized types here";
    }

    /// <summary>
    /// For every element of a tensor of <paramref name="dims"/>, the index of its scale in a tensor of
    /// <paramref name="scaleDims"/>: null for one scale (a scalar or one-element vector), per axis for a vector
    /// as long as dimension <paramref name="axis"/>, blocked (ceil(D / block) along the axis, the other dimensions
    /// equal) when <paramref name="blockSize"/> is positive.
    /// </summary>
    public static int[]? Map(OpContext ctx, long[] dims, long[] scaleDims, long axis, long blockSize, string what)
    {
        int count = OpTensor.Count(scaleDims);
        if (count == 1 && scaleDims.Length <= 1)
        {
            return null;
        }

        int rank = dims.Length;
        if (rank == 0)
        {
            throw ctx.Fail($"{what} {Dimension.Format(scaleDims)} must be a scalar for a scalar input");
        }

        int a = ctx.Axis(axis, rank);
        long outer = 1, inner = 1, d = dims[a];
        for (int k = 0; k < a; k++) outer *= dims[k];
        for (int k = a + 1; k < rank; k++) inner *= dims[k];
        var map = new int[OpTensor.Count(dims)];
        if (blockSize > 0)
        {
            long blocks = d == 0 ? 0 : ((d - 1) / blockSize) + 1;
            bool ok = scaleDims.Length == rank;
            for (int k = 0; ok && k < rank; k++)
            {
                ok = scaleDims[k] == (k == a ? blocks : dims[k]);
            }

            if (!ok)
            {
                throw ctx.Fail($"{what} {Dimension.Format(scaleDims)} does not fit blocks of {blockSize} along axis {a} of an input {Dimension.Format(dims)}");
            }

            int i = 0;
            for (long o = 0; o < outer; o++)
            {
                for (long x = 0; x < d; x++)
                {
                    long row = ((o * blocks) + (x / blockSize)) * inner;
                    for (long j = 0; j < inner; j++) map[i++] = (int)(row + j);
                }
            }

            return map;
        }

        if (scaleDims.Length != 1 || scaleDims[0] != d)
        {
            throw ctx.Fail($"{what} {Dimension.Format(scaleDims)} must be a scalar or a vector of {d} (axis {a} of an input {Dimension.Format(dims)})");
        }

        int n = 0;
        for (long o = 0; o < outer; o++)
        {
            for (long x = 0; x < d; x++)
            {
                for (long j = 0; j < inner; j++) map[n++] = (int)x;
            }
        }

        return map;
    }

    /// <summary>Fails unless a zero point has the shape of its scale.</summary>
    public static void CheckZeroPoint(OpContext ctx, OpTensor scale, OpTensor? zeroPoint, string what)
    {
        if (zeroPoint is null || zeroPoint.Dims.AsSpan().SequenceEqual(scale.Dims) || (zeroPoint.Length == 1 && scale.Length == 1))
        {
            return;
        }

        throw ctx.Fail($"{what} zero point {Dimension.Format(zeroPoint.Dims)} and scale {Dimension.Format(scale.Dims)} differ in shape");
    }
}

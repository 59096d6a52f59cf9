namespace LightNet.Onnx;

/// <summary>Shape arithmetic shared by the IR, shape inference and the builders.</summary>
internal static class Shapes
{
    /// <summary>Largest single dimension accepted anywhere (2^31 - 1 elements along one axis).</summary>
    public const long MaxDimension = int.MaxValue;

    /// <summary>Product of the dims, 1 for a scalar. Caller guarantees the dims were validated.</summary>
    public static long ElementCount(ReadOnlySpan<long> dims)
    {
        long n = 1;
        foreach (long d in dims)
        {
            n = checked(n * d);
        }

        return n;
    }

    /// <summary>Product of the dims as a long, or an InvalidShape error naming <paramref name="what"/>.</summary>
    public static long[] Validate(ReadOnlySpan<long> dims, string what, long maxElements = long.MaxValue)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"{Capitalize(what)} has a negative dimension {d} in shape {Dimension.Format(dims.ToArray())}.");
            }

            if (d > MaxDimension)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"{Capitalize(what)} has an absurd dimension {d} (over {MaxDimension}) in shape {Dimension.Format(dims.ToArray())}.");
            }

            try
            {
                n = checked(n * d);
            }
            catch (OverflowException)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"{Capitalize(what)}: shape {Dimension.Format(dims.ToArray())} has more elements than a 64-bit count holds.");
            }
        }

        if (n > maxElements)
        {
            throw new LightNetException(ErrorCode.ModelTooLarge, $"{Capitalize(what)}: shape {Dimension.Format(dims.ToArray())} has {n} elements, over the limit of {maxElements}.");
        }

        return dims.ToArray();
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}

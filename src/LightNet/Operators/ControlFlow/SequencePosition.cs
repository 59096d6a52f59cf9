namespace LightNet.Operators.ControlFlow;

/// <summary>Reads the optional position input of the sequence operators.</summary>
internal static class SequencePosition
{
    /// <summary>
    /// The position input <paramref name="input"/> normalized into [0, count] (or [0, count) when
    /// <paramref name="allowEnd"/> is false); <paramref name="fallback"/> when the input is omitted.
    /// </summary>
    public static int Read(OpContext ctx, int input, int count, bool allowEnd, int fallback)
    {
        OpTensor? p = ctx.Optional(input);
        if (p is null)
        {
            return fallback;
        }

        if (p.Length != 1 || p.IsFloat)
        {
            throw ctx.Fail($"the position must be an integer scalar, not {p}");
        }

        long pos = p.GetLong(0);
        long normalized = pos < 0 ? pos + count : pos;
        long max = allowEnd ? count : count - 1;
        return normalized < 0 || normalized > max
            ? throw ctx.Fail($"position {pos} is out of range for a sequence of {count} tensors")
            : (int)normalized;
    }
}

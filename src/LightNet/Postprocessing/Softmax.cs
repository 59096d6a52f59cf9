using System.Numerics;

namespace LightNet.Postprocessing;

/// <summary>Turns logits into probabilities: exp(x − max) / Σ exp(x − max), stable for any finite input.</summary>
public static class Softmax
{
    /// <summary>Softmax of <paramref name="logits"/> into a new array.</summary>
    /// <param name="logits">One or more finite scores.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty input or a NaN/infinite value.</exception>
    public static float[] Compute(ReadOnlySpan<float> logits)
    {
        var result = new float[logits.Length];
        Compute(logits, result);
        return result;
    }

    /// <summary>Softmax of <paramref name="logits"/> into <paramref name="destination"/> (which may be the same memory). Allocates nothing.</summary>
    /// <param name="logits">One or more finite scores.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty input, a short destination or a NaN/infinite value.</exception>
    public static void Compute(ReadOnlySpan<float> logits, Span<float> destination)
    {
        if (logits.IsEmpty)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Softmax needs at least one value.");
        }

        if (destination.Length < logits.Length)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Softmax destination holds {destination.Length} values, fewer than the {logits.Length} inputs.");
        }

        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            float v = logits[i];
            if (!float.IsFinite(v))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Softmax input {i} is {v}; every value must be finite.");
            }

            max = Math.Max(max, v);
        }

        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float e = MathF.Exp(logits[i] - max);
            destination[i] = e;
            sum += e;
        }

        float inverse = (float)(1.0 / sum);
        Span<float> d = destination[..logits.Length];
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<float>(inverse);
            for (; j <= d.Length - Vector<float>.Count; j += Vector<float>.Count)
            {
                (new Vector<float>(d.Slice(j, Vector<float>.Count)) * scale).CopyTo(d.Slice(j, Vector<float>.Count));
            }
        }

        for (; j < d.Length; j++)
        {
            d[j] *= inverse;
        }
    }

    /// <summary>
    /// True when <paramref name="values"/> already look like probabilities: all in [0, 1] and summing to 1 within
    /// <paramref name="tolerance"/> (a model that ends in Softmax).
    /// </summary>
    /// <param name="values">The scores.</param>
    /// <param name="tolerance">Allowed deviation of the sum from 1.</param>
    public static bool IsDistribution(ReadOnlySpan<float> values, float tolerance = 1e-3f)
    {
        if (values.IsEmpty)
        {
            return false;
        }

        double sum = 0;
        foreach (float v in values)
        {
            if (!(v >= 0f && v <= 1f))
            {
                return false;
            }

            sum += v;
        }

        return Math.Abs(sum - 1) <= tolerance;
    }
}

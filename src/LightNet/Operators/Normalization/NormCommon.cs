using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Normalization;

/// <summary>Helpers shared by the normalization, attention and recurrent operators of this group.</summary>
internal static class NormCommon
{
    /// <summary>The input as doubles, refusing non floating-point element types.</summary>
    public static double[] Floats(OpContext ctx, OpTensor t, string what)
    {
        if (!t.IsFloat)
        {
            throw ctx.Unsupported($"{what} has element type {t.Type}; only float32, float16, bfloat16 and float64 are supported");
        }

        return t.ToDoubles();
    }

    /// <summary>
    /// <paramref name="t"/> broadcast (unidirectionally, numpy rules) to <paramref name="target"/>, as doubles of the
    /// target's element count; fails naming the shapes when it does not broadcast.
    /// </summary>
    public static double[] BroadcastTo(OpContext ctx, OpTensor t, long[] target, string what)
    {
        double[] v = Floats(ctx, t, what);
        if (t.Rank > target.Length)
        {
            throw ctx.Fail($"{what} of shape {Dimension.Format(t.Dims)} does not broadcast to {Dimension.Format(target)}");
        }

        for (int i = 0; i < t.Rank; i++)
        {
            long d = t.Dims[t.Rank - 1 - i], e = target[target.Length - 1 - i];
            if (d != 1 && d != e)
            {
                throw ctx.Fail($"{what} of shape {Dimension.Format(t.Dims)} does not broadcast to {Dimension.Format(target)}");
            }
        }

        int[]? offsets = Broadcasting.Offsets(t.Dims, target);
        if (offsets is null)
        {
            return v;
        }

        var r = new double[offsets.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = v[offsets[i]];
        }

        return r;
    }

    /// <summary>Product of dims[from..to).</summary>
    public static int Product(long[] dims, int from, int to)
    {
        return OpTensor.Count(dims.AsSpan(from, to - from));
    }

    /// <summary>The element type a stash_type attribute names (float32, float64, float16, bfloat16).</summary>
    public static TensorElementType StashType(OpContext ctx, long stash)
    {
        return stash switch
        {
            1 => TensorElementType.Float,
            10 => TensorElementType.Float16,
            11 => TensorElementType.Double,
            16 => TensorElementType.BFloat16,
            _ => throw ctx.Fail($"attribute 'stash_type' = {stash} is not a floating-point element type"),
        };
    }

    /// <summary>Adds a problem when the stash_type attribute is not a floating-point type.</summary>
    public static void ValidateStash(Node node, List<string> problems)
    {
        long s = node.GetInt("stash_type", 1);
        if (s is not (1 or 10 or 11 or 16))
        {
            problems.Add($"attribute 'stash_type' = {s} is not a floating-point element type");
        }
    }

    /// <summary>
    /// Normalizes rows of length <paramref name="inner"/>: mean and variance per row (or only the mean square for
    /// RMS), writing the normalized values into <paramref name="y"/> and returning per-row mean and 1/std.
    /// </summary>
    public static void NormalizeRows(double[] x, double[] y, int rows, int inner, double epsilon, bool rms, double[] mean, double[] invStd)
    {
        for (int r = 0; r < rows; r++)
        {
            int o = r * inner;
            double m = 0;
            if (!rms)
            {
                for (int i = 0; i < inner; i++) m += x[o + i];
                m /= inner;
            }

            double v = 0;
            for (int i = 0; i < inner; i++)
            {
                double d = x[o + i] - m;
                v += d * d;
            }

            v /= inner;
            double inv = 1.0 / Math.Sqrt(v + epsilon);
            for (int i = 0; i < inner; i++) y[o + i] = (x[o + i] - m) * inv;
            mean[r] = m;
            invStd[r] = inv;
        }
    }
}

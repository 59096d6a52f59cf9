using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// The separable resampling behind Resize and Upsample: per resized axis, every output index reads a few input
/// indices with weights (nearest, linear, cubic, antialiased), then the axes are applied one after the other.
/// </summary>
internal static class Interpolation
{
    /// <summary>How one axis is resampled.</summary>
    public sealed class AxisPlan
    {
        public required int Axis { get; init; }

        public required int[] Index { get; init; }

        public required double[] Weight { get; init; }

        public required int Taps { get; init; }

        /// <summary>Output positions outside the crop (tf_crop_and_resize), filled with the extrapolation value.</summary>
        public required bool[] Outside { get; init; }

        public required long OutLength { get; init; }
    }

    public sealed class Settings
    {
        public string Mode { get; init; } = "nearest";

        public string CoordinateMode { get; init; } = "half_pixel";

        public string NearestMode { get; init; } = "round_prefer_floor";

        public double CubicA { get; init; } = -0.75;

        public bool ExcludeOutside { get; init; }

        public bool Antialias { get; init; }

        /// <summary>The Upsample / Resize-10 nearest rule: truncate when upsampling, ceil when downsampling.</summary>
        public bool SimpleNearest { get; init; }
    }

    /// <summary>The original (input) coordinate of output index <paramref name="x"/> along one axis.</summary>
    public static double Original(OpContext ctx, string mode, double x, long inLen, long outLen, double scale, double roiStart, double roiEnd)
    {
        double outWidth = scale * inLen;
        switch (mode)
        {
            case "half_pixel":
                return ((x + 0.5) / scale) - 0.5;
            case "half_pixel_symmetric":
            {
                double adjustment = outLen / outWidth;
                double center = inLen / 2.0;
                double offset = center * (1 - adjustment);
                return offset + ((x + 0.5) / scale) - 0.5;
            }

            case "pytorch_half_pixel":
                return outLen > 1 ? ((x + 0.5) / scale) - 0.5 : -0.5;
            case "align_corners":
                return outWidth == 1 || outLen == 1 ? 0 : x * (inLen - 1) / (outWidth - 1);
            case "asymmetric":
                return x / scale;
            case "tf_half_pixel_for_nn":
                return (x + 0.5) / scale;
            case "tf_crop_and_resize":
                return outLen > 1
                    ? (roiStart * (inLen - 1)) + (x * (roiEnd - roiStart) * (inLen - 1) / (outLen - 1))
                    : (roiStart * (inLen - 1)) + ((roiEnd - roiStart) * (inLen - 1) / 2);
            default:
                throw ctx.Fail($"attribute 'coordinate_transformation_mode' = '{mode}' is not supported");
        }
    }

    private static double CubicCoeff(double x, double a)
    {
        x = Math.Abs(x);
        return x <= 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? (((((a * x) - (5 * a)) * x) + (8 * a)) * x) - (4 * a)
            : 0;
    }

    /// <summary>The taps of one axis for every output index.</summary>
    public static AxisPlan Plan(OpContext ctx, Settings s, int axis, long inLen, long outLen, double scale, double roiStart, double roiEnd)
    {
        if (inLen <= 0 && outLen > 0)
        {
            throw ctx.Fail($"cannot resize an empty axis {axis} to {outLen}");
        }

        if (outLen < 0 || outLen > OpTensor.MaxElements)
        {
            throw ctx.Fail($"output length {outLen} of axis {axis} is out of range");
        }

        int outN = (int)outLen;
        bool down = scale < 1 && s.Antialias && s.Mode != "nearest";
        int taps;
        int start;
        if (s.Mode == "nearest")
        {
            taps = 1;
            start = 0;
        }
        else if (s.Mode == "linear")
        {
            start = down ? (int)Math.Floor(-1 / scale) + 1 : 0;
            taps = 2 - (2 * start);
        }
        else
        {
            start = down ? (int)Math.Floor(-2 / scale) + 1 : -1;
            taps = 2 - (2 * start);
        }

        if ((long)outN * taps > OpTensor.MaxElements)
        {
            throw ctx.Fail($"resizing axis {axis} from {inLen} to {outLen} needs {taps} taps per output, too many");
        }

        var index = new int[outN * taps];
        var weight = new double[index.Length];
        var outside = new bool[outN];
        var w = new double[taps];
        for (int o = 0; o < outN; o++)
        {
            double xo = Original(ctx, s.CoordinateMode, o, inLen, outLen, scale, roiStart, roiEnd);
            if (s.CoordinateMode == "tf_crop_and_resize" && (xo < 0 || xo > inLen - 1))
            {
                outside[o] = true;
            }

            int baseIdx = o * taps;
            if (s.Mode == "nearest")
            {
                long pick;
                if (s.SimpleNearest)
                {
                    pick = scale < 1 ? (long)Math.Ceiling(xo) : (long)xo;
                }
                else
                {
                    double fl = Math.Floor(xo), ratio = xo - fl;
                    pick = ratio == 0 ? (long)fl : s.NearestMode switch
                    {
                        "round_prefer_floor" => ratio <= 0.5 ? (long)fl : (long)fl + 1,
                        "round_prefer_ceil" => ratio < 0.5 ? (long)fl : (long)fl + 1,
                        "floor" => (long)fl,
                        "ceil" => (long)fl + 1,
                        _ => throw ctx.Fail($"attribute 'nearest_mode' = '{s.NearestMode}' is not supported"),
                    };
                }

                index[baseIdx] = (int)Math.Clamp(pick, 0, inLen - 1);
                weight[baseIdx] = 1;
                continue;
            }

            double f = Math.Floor(xo), r = xo - f;
            if (r == 0)
            {
                f -= 1;
                r = 1;
            }

            double sc = down ? scale : 1;
            double sum = 0;
            for (int t = 0; t < taps; t++)
            {
                double arg = (start + t - r) * sc;
                w[t] = s.Mode == "linear" ? Math.Clamp(1 - Math.Abs(arg), 0, 1) : CubicCoeff(arg, s.CubicA);
                sum += w[t];
            }

            if (down && sum != 0)
            {
                for (int t = 0; t < taps; t++) w[t] /= sum;
            }

            if (s.ExcludeOutside)
            {
                sum = 0;
                for (int t = 0; t < taps; t++)
                {
                    long idx = (long)f + start + t;
                    if (idx < 0 || idx >= inLen)
                    {
                        w[t] = 0;
                    }

                    sum += w[t];
                }

                if (sum != 0)
                {
                    for (int t = 0; t < taps; t++) w[t] /= sum;
                }
            }

            for (int t = 0; t < taps; t++)
            {
                index[baseIdx + t] = (int)Math.Clamp((long)f + start + t, 0, inLen - 1);
                weight[baseIdx + t] = w[t];
            }
        }

        return new AxisPlan { Axis = axis, Index = index, Weight = weight, Taps = taps, Outside = outside, OutLength = outLen };
    }

    /// <summary>Applies the plans axis by axis, then writes the extrapolation value where any axis fell outside the crop.</summary>
    public static OpTensor Apply(OpTensor x, IReadOnlyList<AxisPlan> plans, double extrapolation)
    {
        long[] dims = (long[])x.Dims.Clone();
        bool nearestOnly = plans.All(p => p.Taps == 1);
        if (nearestOnly && !plans.Any(p => p.Outside.Any(v => v)))
        {
            // Pure gathers keep any element type exactly.
            int[]? idx = null;
            OpTensor cur = x;
            foreach (AxisPlan p in plans)
            {
                long[] nd = (long[])cur.Dims.Clone();
                nd[p.Axis] = p.OutLength;
                idx = GatherIndices(cur.Dims, p, nd);
                cur = cur.Gather(nd, idx);
            }

            return cur;
        }

        double[] data = x.ToDoubles();
        foreach (AxisPlan p in plans)
        {
            long outer = 1, inner = 1;
            for (int d = 0; d < p.Axis; d++) outer *= dims[d];
            for (int d = p.Axis + 1; d < dims.Length; d++) inner *= dims[d];
            long inLen = dims[p.Axis];
            dims[p.Axis] = p.OutLength;
            var y = new double[OpTensor.Count(dims)];
            int taps = p.Taps, outLen = (int)p.OutLength, inn = (int)inner;
            for (long o = 0; o < outer; o++)
            {
                int src = checked((int)(o * inLen * inner)), dst = checked((int)(o * p.OutLength * inner));
                for (int j = 0; j < outLen; j++)
                {
                    int yRow = dst + (j * inn);
                    for (int t = 0; t < taps; t++)
                    {
                        double w = p.Weight[(j * taps) + t];
                        if (w == 0)
                        {
                            continue;
                        }

                        int xRow = src + (p.Index[(j * taps) + t] * inn);
                        for (int i = 0; i < inn; i++)
                        {
                            y[yRow + i] += w * data[xRow + i];
                        }
                    }
                }
            }

            data = y;
        }

        if (plans.Any(p => p.Outside.Any(v => v)))
        {
            var pos = new long[dims.Length];
            for (int i = 0; i < data.Length; i++)
            {
                SpatialGeometry.Unflatten(i, dims, pos);
                foreach (AxisPlan p in plans)
                {
                    if (p.Outside[pos[p.Axis]])
                    {
                        data[i] = extrapolation;
                        break;
                    }
                }
            }
        }

        return OpTensor.FromDoubles(x.Type, dims, data);
    }

    /// <summary>
    /// The opset 7-10 form (Upsample, Resize-10): one scale per axis, floor(in * scale) outputs, asymmetric
    /// coordinates, nearest truncating when upsampling and rounding up when downsampling.
    /// </summary>
    public static OpTensor Legacy(OpContext ctx, OpTensor x, double[] scales, string mode)
    {
        if (scales.Length != x.Rank)
        {
            throw ctx.Fail($"scales has {scales.Length} values but X {x} has rank {x.Rank}");
        }

        if (mode == "bilinear" || mode == "trilinear")
        {
            mode = "linear";
        }

        if (mode is not ("nearest" or "linear"))
        {
            throw ctx.Fail($"attribute 'mode' = '{mode}' is not nearest or linear");
        }

        if (mode == "linear" && x.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"linear resizing of {x.Type} values");
        }

        var settings = new Settings { Mode = mode, CoordinateMode = "asymmetric", SimpleNearest = true };
        OpTensor.Count(x.Dims.Select((d, a) => (long)Math.Min(Math.Floor(d * scales[a]), OpTensor.MaxElements + 1.0)).ToArray());
        var plans = new List<AxisPlan>();
        for (int a = 0; a < x.Rank; a++)
        {
            double sc = scales[a];
            if (!(sc > 0) || double.IsInfinity(sc))
            {
                throw ctx.Fail($"scale {sc} for axis {a} must be positive and finite");
            }

            long outLen = (long)Math.Floor(x.Dims[a] * sc);
            if (sc == 1 && outLen == x.Dims[a])
            {
                continue;
            }

            plans.Add(Plan(ctx, settings, a, x.Dims[a], outLen, sc, 0, 1));
        }

        return Apply(x, plans, 0);
    }

    private static int[] GatherIndices(long[] inDims, AxisPlan p, long[] outDims)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < p.Axis; d++) outer *= inDims[d];
        for (int d = p.Axis + 1; d < inDims.Length; d++) inner *= inDims[d];
        var idx = new int[OpTensor.Count(outDims)];
        int k = 0;
        for (long o = 0; o < outer; o++)
        {
            for (int j = 0; j < p.OutLength; j++)
            {
                long src = ((o * inDims[p.Axis]) + p.Index[j]) * inner;
                for (long i = 0; i < inner; i++)
                {
                    idx[k++] = (int)(src + i);
                }
            }
        }

        return idx;
    }
}

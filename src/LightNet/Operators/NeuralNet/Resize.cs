using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// Resizes N-D tensors by scales or sizes: nearest (every nearest_mode), linear or cubic (cubic_coeff_a,
/// exclude_outside, antialias), every coordinate_transformation_mode including tf_crop_and_resize, axes and
/// keep_aspect_ratio_policy; the opset 10 form takes scales only.
/// </summary>
internal sealed class Resize : OperatorDef
{
    private static readonly string[] s_coordinateModes =
        ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"];

    public override string OpType => "Resize";

    public override int SinceVersion => 10;

    public override string Types => "all (nearest); numeric (linear, cubic)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string mode = node.GetString("mode", "nearest");
        if (mode is not ("nearest" or "linear" or "cubic") || (opset < 11 && mode == "cubic"))
        {
            problems.Add($"attribute 'mode' = '{mode}' is not supported");
        }

        string ct = node.GetString("coordinate_transformation_mode", "half_pixel");
        if (!s_coordinateModes.Contains(ct))
        {
            problems.Add($"attribute 'coordinate_transformation_mode' = '{ct}' is not supported");
        }

        string nm = node.GetString("nearest_mode", "round_prefer_floor");
        if (nm is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
        {
            problems.Add($"attribute 'nearest_mode' = '{nm}' is not supported");
        }

        string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
        if (policy is not ("stretch" or "not_larger" or "not_smaller"))
        {
            problems.Add($"attribute 'keep_aspect_ratio_policy' = '{policy}' is not supported");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        string mode = ctx.String("mode", "nearest");
        if (ctx.Opset < 11)
        {
            OpTensor sc = ctx.Input(1);
            ctx.Set(0, Interpolation.Legacy(ctx, x, sc.ToDoubles(), mode));
            return;
        }

        if (mode != "nearest" && x.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"{mode} resizing of {x.Type} values");
        }

        int rank = x.Rank;
        OpTensor? roiT = ctx.Optional(1), scalesT = ctx.Optional(2), sizesT = ctx.Optional(3);
        if (scalesT is { Length: 0 })
        {
            scalesT = null;
        }

        if (sizesT is { Length: 0 })
        {
            sizesT = null;
        }

        if ((scalesT is null) == (sizesT is null))
        {
            throw ctx.Fail("exactly one of scales and sizes must be given");
        }

        long[]? axesAttr = ctx.Opset >= 18 ? ctx.Ints("axes") : null;
        int[] axes;
        if (axesAttr is null)
        {
            axes = Enumerable.Range(0, rank).ToArray();
        }
        else
        {
            axes = axesAttr.Select(a => ctx.Axis(a, rank, "axes")).ToArray();
            if (axes.Distinct().Count() != axes.Length)
            {
                throw ctx.Fail($"attribute 'axes' = {Dimension.Format(axesAttr)} repeats an axis");
            }
        }

        string ct = ctx.String("coordinate_transformation_mode", "half_pixel");
        var scale = new double[rank];
        var outLen = (long[])x.Dims.Clone();
        var roiStart = new double[rank];
        var roiEnd = new double[rank];
        Array.Fill(scale, 1);
        Array.Fill(roiEnd, 1);
        if (ct == "tf_crop_and_resize")
        {
            double[] roi = roiT?.ToDoubles() ?? [];
            if (roi.Length != 2 * axes.Length)
            {
                throw ctx.Fail($"roi has {roi.Length} values, expected {2 * axes.Length} for tf_crop_and_resize");
            }

            for (int i = 0; i < axes.Length; i++)
            {
                roiStart[axes[i]] = roi[i];
                roiEnd[axes[i]] = roi[i + axes.Length];
            }
        }

        if (scalesT is not null)
        {
            double[] s = scalesT.ToDoubles();
            if (s.Length != axes.Length)
            {
                throw ctx.Fail($"scales has {s.Length} values, expected {axes.Length}");
            }

            for (int i = 0; i < axes.Length; i++)
            {
                if (!(s[i] > 0) || double.IsInfinity(s[i]))
                {
                    throw ctx.Fail($"scale {s[i]} for axis {axes[i]} must be positive and finite");
                }

                scale[axes[i]] = s[i];
                outLen[axes[i]] = (long)Math.Floor(x.Dims[axes[i]] * s[i]);
            }
        }
        else
        {
            long[] sz = sizesT!.ToLongs();
            if (sz.Length != axes.Length)
            {
                throw ctx.Fail($"sizes has {sz.Length} values, expected {axes.Length}");
            }

            if (sz.Any(v => v < 0))
            {
                throw ctx.Fail($"sizes {Dimension.Format(sz)} must not be negative");
            }

            string policy = ctx.Opset >= 18 ? ctx.String("keep_aspect_ratio_policy", "stretch") : "stretch";
            if (policy == "stretch")
            {
                for (int i = 0; i < axes.Length; i++)
                {
                    long inLen = x.Dims[axes[i]];
                    outLen[axes[i]] = sz[i];
                    scale[axes[i]] = inLen == 0 ? 1 : (double)sz[i] / inLen;
                }
            }
            else
            {
                double s = policy == "not_larger" ? double.PositiveInfinity : double.NegativeInfinity;
                for (int i = 0; i < axes.Length; i++)
                {
                    double r = (double)sz[i] / Math.Max(x.Dims[axes[i]], 1);
                    s = policy == "not_larger" ? Math.Min(s, r) : Math.Max(s, r);
                }

                for (int i = 0; i < axes.Length; i++)
                {
                    scale[axes[i]] = s;
                    outLen[axes[i]] = (long)Math.Round(s * x.Dims[axes[i]], MidpointRounding.ToEven);
                }
            }
        }

        var settings = new Interpolation.Settings
        {
            Mode = mode,
            CoordinateMode = ct,
            NearestMode = ctx.String("nearest_mode", "round_prefer_floor"),
            CubicA = ctx.Float("cubic_coeff_a", -0.75f),
            ExcludeOutside = ctx.Int("exclude_outside", 0) != 0,
            Antialias = ctx.Opset >= 18 && ctx.Int("antialias", 0) != 0,
        };
        if (mode is not ("nearest" or "linear" or "cubic"))
        {
            throw ctx.Fail($"attribute 'mode' = '{mode}' is not nearest, linear or cubic");
        }

        var plans = new List<Interpolation.AxisPlan>();
        for (int a = 0; a < rank; a++)
        {
            bool identity = scale[a] == 1 && outLen[a] == x.Dims[a] && ct != "tf_crop_and_resize";
            if (!identity)
            {
                plans.Add(Interpolation.Plan(ctx, settings, a, x.Dims[a], outLen[a], scale[a], roiStart[a], roiEnd[a]));
            }
        }

        ctx.Set(0, Interpolation.Apply(x, plans, ctx.Float("extrapolation_value", 0f)));
    }
}

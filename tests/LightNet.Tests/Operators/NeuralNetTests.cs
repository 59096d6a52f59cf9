using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Operators.Interpreter;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// The NeuralNet operator group (convolutions, pooling, resizing, sampling, detection helpers) on the cpu-simd
/// interpreter, checked against ONNX Runtime on one-node models with randomised shapes and attributes.
/// </summary>
public class NeuralNetTests
{
    private sealed record In(string Name, TensorElementType Type, long[] Dims, Array Data);

    private static In F(string name, Random rng, params long[] dims)
    {
        int n = (int)dims.Aggregate(1L, (p, d) => p * d);
        return new In(name, TensorElementType.Float, dims, Enumerable.Range(0, n).Select(_ => (rng.NextSingle() * 2) - 1).ToArray());
    }

    private static In Floats(string name, long[] dims, params float[] v) => new(name, TensorElementType.Float, dims, v);

    private static In Longs(string name, long[] dims, params long[] v) => new(name, TensorElementType.Int64, dims, v);

    private static NodeAttribute Ints(string name, params long[] v) => NodeAttribute.Ints(name, v);

    /// <summary>
    /// Runs one node on the interpreter and on ort-cpu and compares every output. Null inputs are omitted
    /// (empty names); <paramref name="tol"/> is the absolute tolerance (plus 1e-3 relative).
    /// </summary>
    private static void Check(string op, long opset, In?[] inputs, TensorElementType[] outputs, double tol, params NodeAttribute[] attrs)
    {
        var b = new ModelBuilder(op.ToLowerInvariant(), opset);
        var feeds = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (In? i in inputs)
        {
            if (i is null)
            {
                continue;
            }

            b.AddInput(i.Name, i.Type, i.Dims);
            TensorBuffer t = TensorBuffer.Allocate(i.Type, i.Dims);
            switch (i.Data)
            {
                case float[] f: f.CopyTo(t.AsSpan<float>()); break;
                case long[] l: l.CopyTo(t.AsSpan<long>()); break;
                case byte[] u: u.CopyTo(t.AsSpan<byte>()); break;
                default: throw new InvalidOperationException(i.Data.GetType().Name);
            }

            feeds[i.Name] = t;
        }

        string[] outNames = outputs.Select((_, k) => $"y{k}").ToArray();
        for (int k = 0; k < outputs.Length; k++)
        {
            b.AddOutput(outNames[k], outputs[k]);
        }

        b.AddNode(op, inputs.Select(i => i?.Name ?? "").ToArray(), outNames, "node", attrs);
        Model model = b.Build();
        string what = $"{op} (opset {opset}) [{string.Join(", ", attrs.Select(Describe))}] inputs {string.Join(", ", inputs.Select(i => i is null ? "-" : Dimension.Format(i.Dims)))}";
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, InferenceOptions.Default);
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(feeds);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(feeds);
        foreach (string name in outNames)
        {
            TensorBuffer e = expected[name], a = actual[name];
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{what}: output {name} is {a} but ORT gives {e}");
            float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
            for (int i = 0; i < ev.Length; i++)
            {
                double err = Math.Abs((double)ev[i] - av[i]);
                if (!(err <= tol + (1e-3 * Math.Abs(ev[i]))) && !(float.IsNaN(ev[i]) && float.IsNaN(av[i])))
                {
                    Assert.Fail($"{what}: output {name}[{i}] is {av[i]} but ORT gives {ev[i]}; ours [{string.Join(", ", av.Take(12))}], ORT [{string.Join(", ", ev.Take(12))}]");
                }
            }
        }
    }

    private static string Describe(NodeAttribute a) => a.Kind switch
    {
        AttributeKind.Int => $"{a.Name}={a.IntValue}",
        AttributeKind.Ints => $"{a.Name}={Dimension.Format(a.IntValues.ToArray())}",
        AttributeKind.Float => $"{a.Name}={a.FloatValue}",
        AttributeKind.String => $"{a.Name}={a.StringValue}",
        _ => a.Name,
    };

    /// <summary>Random strides, dilations, kernel and pads for a window over <paramref name="rank"/> axes that fits the input.</summary>
    private static (long[] In, long[] K, long[] S, long[] D, long[] P) Window(Random rng, int rank, bool padBelowKernel)
    {
        int lo = rank switch { 1 => 5, 2 => 4, _ => 3 }, hi = rank switch { 1 => 13, 2 => 9, _ => 6 };
        var input = new long[rank];
        var k = new long[rank];
        var s = new long[rank];
        var d = new long[rank];
        var p = new long[2 * rank];
        for (int i = 0; i < rank; i++)
        {
            input[i] = rng.Next(lo, hi);
            k[i] = rng.Next(1, 4);
            s[i] = rng.Next(1, 3);
            d[i] = rng.Next(1, 3);
            while ((k[i] - 1) * d[i] + 1 > input[i])
            {
                d[i] = 1;
                k[i]--;
            }

            long maxPad = padBelowKernel ? k[i] - 1 : 2;
            p[i] = rng.Next(0, (int)maxPad + 1);
            p[i + rank] = rng.Next(0, (int)maxPad + 1);
        }

        return (input, k, s, d, p);
    }

    [Fact]
    public void ConvMatchesOnnxRuntime()
    {
        string[] autoPads = ["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"];
        for (int seed = 0; seed < 15; seed++)
        {
            var rng = new Random(seed);
            int rank = (seed % 3) + 1;
            (long[] sp, long[] k, long[] s, long[] d, long[] p) = Window(rng, rank, false);
            long group = rng.Next(1, 3), cg = rng.Next(1, 4), mg = rng.Next(1, 4), n = rng.Next(1, 3);
            string autoPad = autoPads[seed % autoPads.Length];
            if (autoPad.StartsWith("SAME", StringComparison.Ordinal))
            {
                Array.Fill(d, 1L); // ONNX Runtime refuses dilated SAME convolutions
            }
            var attrs = new List<NodeAttribute> { Ints("strides", s), Ints("dilations", d), NodeAttribute.Int("group", group) };
            attrs.Add(autoPad == "NOTSET" ? Ints("pads", p) : NodeAttribute.String("auto_pad", autoPad));
            if (seed % 2 == 0)
            {
                attrs.Add(Ints("kernel_shape", k));
            }

            In x = F("x", rng, [n, group * cg, .. sp]);
            In w = F("w", rng, [group * mg, cg, .. k]);
            In? bias = seed % 3 == 0 ? null : F("b", rng, group * mg);
            Check("Conv", 17, [x, w, bias], [TensorElementType.Float], 1e-4, [.. attrs]);
        }
    }

    [Fact]
    public void DepthwiseAndPointwiseConvAtMobileNetSizeMatch()
    {
        var rng = new Random(5);
        In x = F("x", rng, 1, 16, 56, 56);
        Check("Conv", 13, [x, F("w", rng, 16, 1, 3, 3), F("b", rng, 16)], [TensorElementType.Float], 1e-4,
            Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), NodeAttribute.Int("group", 16));
        Check("Conv", 13, [x, F("w", rng, 24, 16, 1, 1), null], [TensorElementType.Float], 1e-4);
    }

    [Fact]
    public void ConvTransposeMatchesOnnxRuntime()
    {
        for (int seed = 0; seed < 12; seed++)
        {
            var rng = new Random(100 + seed);
            int rank = (seed % 3) + 1;
            (long[] sp, long[] k, long[] s, long[] d, long[] p) = Window(rng, rank, true);
            long group = rng.Next(1, 3), cg = rng.Next(1, 4), mg = rng.Next(1, 4);
            long[] outPad = s.Select((st, i) => (long)rng.Next(0, (int)Math.Min(st, d[i]))).ToArray();
            var attrs = new List<NodeAttribute> { Ints("strides", s), Ints("dilations", d), NodeAttribute.Int("group", group) };
            switch (seed % 4)
            {
                case 0:
                case 1:
                    attrs.Add(Ints("pads", p));
                    attrs.Add(Ints("output_padding", outPad));
                    break;
                case 2:
                    long[] natural = sp.Select((v, i) => ((v - 1) * s[i]) + ((k[i] - 1) * d[i]) + 1).ToArray();
                    attrs.Add(Ints("output_shape", natural.Select(v => Math.Max(1, v - rng.Next(0, 3))).ToArray()));
                    break;
                default:
                    attrs.Add(NodeAttribute.String("auto_pad", "SAME_UPPER"));
                    break;
            }

            In x = F("x", rng, [1, group * cg, .. sp]);
            In w = F("w", rng, [group * cg, mg, .. k]);
            In? bias = seed % 2 == 0 ? F("b", rng, group * mg) : null;
            Check("ConvTranspose", 17, [x, w, bias], [TensorElementType.Float], 1e-4, [.. attrs]);
        }
    }

    [Fact]
    public void PoolingMatchesOnnxRuntime()
    {
        for (int seed = 0; seed < 24; seed++)
        {
            var rng = new Random(200 + seed);
            int rank = (seed % 3) + 1;
            (long[] sp, long[] k, long[] s, long[] d, long[] p) = Window(rng, rank, true);
            bool ceil = rng.Next(2) == 1;
            In x = F("x", rng, [rng.Next(1, 3), rng.Next(1, 4), .. sp]);
            var common = new List<NodeAttribute> { Ints("kernel_shape", k), Ints("strides", s), Ints("pads", p) };
            switch (seed % 4)
            {
                case 0:
                    bool indices = rank == 2 || rank == 3;
                    Check("MaxPool", 12, [x], indices ? [TensorElementType.Float, TensorElementType.Int64] : [TensorElementType.Float], 0,
                        [.. common, Ints("dilations", d), NodeAttribute.Int("ceil_mode", ceil ? 1 : 0),
                         NodeAttribute.Int("storage_order", rank == 2 ? rng.Next(2) : 0)]);
                    break;
                case 1:
                    Check("AveragePool", 19, [x], [TensorElementType.Float], 1e-5,
                        [.. common, Ints("dilations", d), NodeAttribute.Int("ceil_mode", ceil ? 1 : 0), NodeAttribute.Int("count_include_pad", rng.Next(2))]);
                    break;
                case 2:
                    Check("AveragePool", 11, [x], [TensorElementType.Float], 1e-5,
                        Ints("kernel_shape", k), Ints("strides", s), NodeAttribute.String("auto_pad", rng.Next(2) == 0 ? "SAME_UPPER" : "SAME_LOWER"));
                    break;
                default:
                    Check("LpPool", 18, [x], [TensorElementType.Float], 1e-4, [.. common, NodeAttribute.Int("p", rng.Next(1, 4))]);
                    break;
            }
        }
    }

    [Fact]
    public void GlobalPoolsAndLrnMatchOnnxRuntime()
    {
        var rng = new Random(300);
        In x = F("x", rng, 2, 5, 4, 3);
        Check("GlobalAveragePool", 13, [x], [TensorElementType.Float], 1e-5);
        Check("GlobalMaxPool", 13, [x], [TensorElementType.Float], 0);
        Check("GlobalLpPool", 13, [x], [TensorElementType.Float], 1e-5, NodeAttribute.Int("p", 3));
        Check("LRN", 13, [x], [TensorElementType.Float], 1e-5, NodeAttribute.Int("size", 3), NodeAttribute.Float("alpha", 0.5f),
            NodeAttribute.Float("beta", 0.6f), NodeAttribute.Float("bias", 2f));
        Check("LRN", 13, [F("x1", rng, 1, 6, 5, 2)], [TensorElementType.Float], 1e-5, NodeAttribute.Int("size", 5));
        var bytes = new byte[2 * 3 * 5 * 5];
        rng.NextBytes(bytes);
        Check("MaxPool", 12, [new In("u", TensorElementType.UInt8, [2, 3, 5, 5], bytes)], [TensorElementType.UInt8], 0,
            Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), NodeAttribute.Int("ceil_mode", 1));
    }

    [Fact]
    public void ResizeMatchesOnnxRuntime()
    {
        var rng = new Random(400);
        In x = F("x", rng, 1, 2, 5, 6);
        In none = Floats("roi", [0]);
        In up = Floats("scales", [4], 1, 1, 2, 3);
        In down = Floats("scales", [4], 1, 1, 0.6f, 0.5f);
        In sizes = Longs("sizes", [4], 1, 2, 7, 4);
        string[] coords = ["half_pixel", "pytorch_half_pixel", "asymmetric", "half_pixel_symmetric"];
        string[] nearest = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];
        for (int i = 0; i < coords.Length; i++)
        {
            foreach (In sc in new[] { up, down })
            {
                Check("Resize", 19, [x, none, sc], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "nearest"),
                    NodeAttribute.String("coordinate_transformation_mode", coords[i]), NodeAttribute.String("nearest_mode", nearest[i]));
                Check("Resize", 19, [x, none, sc], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "linear"),
                    NodeAttribute.String("coordinate_transformation_mode", coords[i]));
                Check("Resize", 19, [x, none, sc], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "cubic"),
                    NodeAttribute.String("coordinate_transformation_mode", coords[i]), NodeAttribute.Float("cubic_coeff_a", -0.5f),
                    NodeAttribute.Int("exclude_outside", i % 2));
            }

            Check("Resize", 13, [x, none, null, sizes], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", i % 2 == 0 ? "linear" : "cubic"),
                NodeAttribute.String("coordinate_transformation_mode", coords[i] == "half_pixel_symmetric" ? "align_corners" : coords[i]));
        }

        Check("Resize", 13, [x, none, null, sizes], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "nearest"),
            NodeAttribute.String("coordinate_transformation_mode", "align_corners"), NodeAttribute.String("nearest_mode", "round_prefer_ceil"));
        Check("Resize", 18, [x, none, down], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "linear"), NodeAttribute.Int("antialias", 1));
        Check("Resize", 18, [x, none, null, Longs("sizes", [4], 1, 2, 3, 2)], [TensorElementType.Float], 1e-5,
            NodeAttribute.String("mode", "cubic"), NodeAttribute.Int("antialias", 1));
        Check("Resize", 13, [x, Floats("roi", [8], 0, 0, 0.2f, 0.1f, 1, 1, 0.9f, 1.2f), null, sizes], [TensorElementType.Float], 1e-5,
            NodeAttribute.String("mode", "linear"), NodeAttribute.String("coordinate_transformation_mode", "tf_crop_and_resize"),
            NodeAttribute.Float("extrapolation_value", 7f));
        Check("Resize", 18, [x, none, null, Longs("sizes", [2], 8, 3)], [TensorElementType.Float], 1e-5,
            NodeAttribute.String("mode", "nearest"), Ints("axes", 3, 2), NodeAttribute.String("keep_aspect_ratio_policy", "not_larger"));
        Check("Resize", 18, [F("v", rng, 2, 3, 4, 3, 2), none, Floats("scales", [3], 2, 0.5f, 1.5f)], [TensorElementType.Float], 1e-5,
            NodeAttribute.String("mode", "linear"), Ints("axes", 2, 3, 4));
        Check("Resize", 10, [x, Floats("s10", [4], 1, 1, 2, 1.5f)], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "nearest"));
        Check("Resize", 10, [x, Floats("s10", [4], 1, 1, 2, 1.5f)], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "linear"));
        Check("Upsample", 9, [x, Floats("s9", [4], 1, 1, 2, 3)], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "nearest"));
        Check("Upsample", 9, [x, Floats("s9", [4], 1, 1, 2, 2)], [TensorElementType.Float], 1e-5, NodeAttribute.String("mode", "linear"));
    }

    [Fact]
    public void GridSampleAndAffineGridMatchOnnxRuntime()
    {
        string[][] modes = [["bilinear", "nearest", "bicubic"], ["linear", "nearest", "cubic"]];
        string[] paddings = ["zeros", "border", "reflection"];
        for (int seed = 0; seed < 12; seed++)
        {
            var rng = new Random(500 + seed);
            int v = seed % 2;
            long opset = v == 0 ? 16 : 20;
            bool volumetric = v == 1 && seed % 4 == 1;
            string mode = modes[v][volumetric ? seed % 2 * 1 : seed % 3];
            long[] sp = volumetric ? [3, 4, 3] : [rng.Next(2, 6), rng.Next(2, 6)];
            long[] outSp = volumetric ? [2, 3, 2] : [rng.Next(1, 5), rng.Next(1, 5)];
            In x = F("x", rng, [2, 2, .. sp]);
            int gn = 2 * (int)outSp.Aggregate(1L, (a, b) => a * b) * sp.Length;

            // Multiples of 1/16 are exact in float and double, so nearest ties round alike.
            float[] grid = Enumerable.Range(0, gn).Select(_ => rng.Next(-20, 21) / 16f).ToArray();
            Check("GridSample", opset, [x, Floats("grid", [2, .. outSp, sp.Length], grid)], [TensorElementType.Float], 1e-5,
                NodeAttribute.String("mode", mode), NodeAttribute.String("padding_mode", paddings[(seed / 3) % 3]), NodeAttribute.Int("align_corners", seed / 2 % 2));
        }

        var r = new Random(550);
        Check("AffineGrid", 20, [F("theta", r, 2, 2, 3), Longs("size", [4], 2, 3, 4, 5)], [TensorElementType.Float], 1e-5, NodeAttribute.Int("align_corners", 1));
        Check("AffineGrid", 20, [F("theta", r, 1, 3, 4), Longs("size", [5], 1, 1, 2, 3, 4)], [TensorElementType.Float], 1e-5);
    }

    [Fact]
    public void DetectionOperatorsMatchOnnxRuntime()
    {
        var rng = new Random(600);
        In x = F("x", rng, 2, 3, 8, 9);
        float[] roiData = [0.5f, 1f, 6f, 7f, 2.2f, 0.3f, 8.5f, 3.1f, 0f, 0f, 3f, 3f];
        foreach (string mode in new[] { "avg", "max" })
        {
            foreach (string ct in new[] { "half_pixel", "output_half_pixel" })
            {
                Check("RoiAlign", 16, [x, Floats("rois", [3, 4], roiData), Longs("batch", [3], 1, 0, 1)], [TensorElementType.Float], 1e-5,
                    NodeAttribute.String("mode", mode), NodeAttribute.String("coordinate_transformation_mode", ct), NodeAttribute.Int("output_height", 3),
                    NodeAttribute.Int("output_width", 2), NodeAttribute.Int("sampling_ratio", mode == "avg" ? 0 : 2), NodeAttribute.Float("spatial_scale", 0.9f));
            }
        }

        Check("MaxRoiPool", 13, [x, Floats("rois5", [2, 5], 0, 1, 1, 6, 5, 1, 0.4f, 2.6f, 8, 7)], [TensorElementType.Float], 0,
            Ints("pooled_shape", 2, 3), NodeAttribute.Float("spatial_scale", 0.8f));

        for (int seed = 0; seed < 4; seed++)
        {
            var r = new Random(650 + seed);
            int boxes = 12;
            var b = new float[2 * boxes * 4];
            for (int i = 0; i < b.Length; i++) b[i] = r.Next(0, 40) / 4f;
            Check("NonMaxSuppression", 11,
                [Floats("boxes", [2, boxes, 4], b), Floats("scores", [2, 3, boxes], Enumerable.Range(0, 2 * 3 * boxes).Select(_ => r.Next(0, 64) / 64f).ToArray()),
                 seed == 3 ? null : Longs("max", [1], 2 + seed), Floats("iou", [1], 0.1f * (seed + 1)), seed % 2 == 0 ? Floats("score", [1], 0.3f) : null],
                [TensorElementType.Int64], 0, NodeAttribute.Int("center_point_box", seed % 2));
        }
    }

    [Fact]
    public void ColumnAndUnpoolOperatorsMatchOnnxRuntime()
    {
        var rng = new Random(700);
        Check("Col2Im", 18, [F("cols", rng, 2, 3 * 2 * 3, 9), Longs("image", [2], 5, 6), Longs("block", [2], 2, 3)], [TensorElementType.Float], 1e-5,
            Ints("strides", 2, 1), Ints("pads", 1, 0, 0, 1), Ints("dilations", 1, 2));
        In x = F("x", rng, 1, 2, 3, 3);
        long[] idx = [0, 3, 6, 9, 12, 15, 18, 21, 24, 49, 46, 43, 40, 37, 34, 31, 28, 25];
        In dx = F("dx", rng, 1, 4, 5, 6);
        In dw = F("dw", rng, 6, 2, 2, 3);
        float[] offsets = Enumerable.Range(0, 2 * 6 * 2 * 5 * 5).Select(_ => (rng.NextSingle() * 4) - 2).ToArray();
        Check("DeformConv", 19, [dx, dw, Floats("off", [1, 2 * 6 * 2, 5, 5], offsets), F("db", rng, 6), F("mask", rng, 1, 2 * 6, 5, 5)],
            [TensorElementType.Float], 1e-4, Ints("pads", 1, 0, 0, 1), NodeAttribute.Int("group", 2), NodeAttribute.Int("offset_group", 2));
        Check("MaxUnpool", 11, [x, Longs("i", [1, 2, 3, 3], idx)], [TensorElementType.Float], 0, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 0, 1, 1));
    }
}

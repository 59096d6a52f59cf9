using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Study;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace LightNet.Fuzz;

/// <summary>
/// The valid inputs each target's corpus starts from, built in code (the <c>seeds</c> command writes them to
/// tests/fuzz/corpus): small models covering the operators whose attributes native code trusts, small images of
/// every supported format and variant, and real report files.
/// </summary>
internal static class Seeds
{
    /// <summary>Small valid models: a dense layer, a conv net, data movement, resampling and normalisation, a dynamic batch.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Models()
    {
        yield return ("dense.onnx", Dense().ToArray());
        yield return ("convnet.onnx", ConvNet().ToArray());
        yield return ("data-movement.onnx", DataMovement().ToArray());
        yield return ("resample-normalize.onnx", ResampleNormalize().ToArray());
        yield return ("dynamic-batch.onnx", DynamicBatch().ToArray());
    }

    /// <summary>x[1,4] → MatMul → Add → Relu → y[1,3].</summary>
    public static Model Dense()
    {
        var b = new ModelBuilder("dense", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4);
        b.AddInitializer(TensorData.FromFloats("w", [4, 3], Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray()));
        b.AddInitializer(TensorData.FromFloats("b", [3], [0.5f, -0.5f, 0f]));
        b.AddNode("MatMul", ["x", "w"], ["mm"]);
        b.AddNode("Add", ["mm", "b"], ["sum"]);
        b.AddNode("Relu", ["sum"], ["y"]);
        b.AddOutput("y", TensorElementType.Float, 1, 3);
        return b.Build();
    }

    private static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => ((i * 37) % 17 - 8) * 0.05f).ToArray();

    /// <summary>Conv (pads, strides, dilations, group) → Relu → MaxPool → AveragePool → GlobalAveragePool → Flatten → Gemm.</summary>
    public static Model ConvNet()
    {
        var b = new ModelBuilder("convnet", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 12, 12);
        b.AddInitializer(TensorData.FromFloats("w", [8, 2, 3, 3], Ramp(8 * 2 * 9)));
        b.AddInitializer(TensorData.FromFloats("cb", [8], Ramp(8)));
        b.AddNode("Conv", ["x", "w", "cb"], ["c"], attributes:
        [
            NodeAttribute.Ints("kernel_shape", 3, 3), NodeAttribute.Ints("pads", 1, 1, 1, 1), NodeAttribute.Ints("strides", 1, 1),
            NodeAttribute.Ints("dilations", 1, 1), NodeAttribute.Int("group", 2),
        ]);
        b.AddNode("Relu", ["c"], ["r"]);
        b.AddNode("MaxPool", ["r"], ["p"], attributes: [NodeAttribute.Ints("kernel_shape", 2, 2), NodeAttribute.Ints("strides", 2, 2)]);
        b.AddNode("AveragePool", ["p"], ["ap"], attributes: [NodeAttribute.Ints("kernel_shape", 3, 3), NodeAttribute.Ints("pads", 1, 1, 1, 1), NodeAttribute.Int("count_include_pad", 0)]);
        b.AddNode("GlobalAveragePool", ["ap"], ["g"]);
        b.AddNode("Flatten", ["g"], ["f"], attributes: [NodeAttribute.Int("axis", 1)]);
        b.AddInitializer(TensorData.FromFloats("fw", [5, 8], Ramp(40)));
        b.AddInitializer(TensorData.FromFloats("fb", [5], Ramp(5)));
        b.AddNode("Gemm", ["f", "fw", "fb"], ["y"], attributes: [NodeAttribute.Int("transB", 1), NodeAttribute.Float("alpha", 1f)]);
        b.AddOutput("y", TensorElementType.Float, 1, 5);
        return b.Build();
    }

    /// <summary>Transpose → Reshape → Slice (starts, ends, axes, steps) → Concat → Split → Mul.</summary>
    public static Model DataMovement()
    {
        var b = new ModelBuilder("data-movement", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 4, 8);
        b.AddNode("Transpose", ["x"], ["t"], attributes: [NodeAttribute.Ints("perm", 0, 2, 1, 3)]);
        b.AddInitializer(TensorData.FromInt64s("shape", [3], [1, 16, 8]));
        b.AddNode("Reshape", ["t", "shape"], ["rs"]);
        b.AddInitializer(TensorData.FromInt64s("starts", [2], [0, 1]));
        b.AddInitializer(TensorData.FromInt64s("ends", [2], [16, 8]));
        b.AddInitializer(TensorData.FromInt64s("axes", [2], [1, 2]));
        b.AddInitializer(TensorData.FromInt64s("steps", [2], [2, 1]));
        b.AddNode("Slice", ["rs", "starts", "ends", "axes", "steps"], ["sl"]);
        b.AddNode("Concat", ["sl", "sl"], ["cc"], attributes: [NodeAttribute.Int("axis", 2)]);
        b.AddInitializer(TensorData.FromInt64s("split", [2], [6, 8]));
        b.AddNode("Split", ["cc", "split"], ["s0", "s1"], attributes: [NodeAttribute.Int("axis", 2)]);
        b.AddNode("Mul", ["s1", "s1"], ["y"]);
        b.AddNode("Identity", ["s0"], ["z"]);
        b.AddOutput("y", TensorElementType.Float, 1, 8, 8);
        b.AddOutput("z", TensorElementType.Float, 1, 8, 6);
        return b.Build();
    }

    /// <summary>Resize (scales) → Pad → BatchNormalization → LRN → Softmax.</summary>
    public static Model ResampleNormalize()
    {
        var b = new ModelBuilder("resample-normalize", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 4, 4);
        b.AddInitializer(TensorData.FromFloats("roi", [0], []));
        b.AddInitializer(TensorData.FromFloats("scales", [4], [1, 1, 2, 2]));
        b.AddNode("Resize", ["x", "roi", "scales"], ["rz"], attributes: [NodeAttribute.String("mode", "linear")]);
        b.AddInitializer(TensorData.FromInt64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]));
        b.AddNode("Pad", ["rz", "pads"], ["pd"]);
        b.AddInitializer(TensorData.FromFloats("scale", [3], [1, 0.5f, 2]));
        b.AddInitializer(TensorData.FromFloats("bias", [3], [0, 0.1f, -0.1f]));
        b.AddInitializer(TensorData.FromFloats("mean", [3], [0.1f, 0.2f, 0.3f]));
        b.AddInitializer(TensorData.FromFloats("var", [3], [1, 2, 3]));
        b.AddNode("BatchNormalization", ["pd", "scale", "bias", "mean", "var"], ["bn"], attributes: [NodeAttribute.Float("epsilon", 1e-5f)]);
        b.AddNode("LRN", ["bn"], ["lrn"], attributes: [NodeAttribute.Int("size", 3), NodeAttribute.Float("alpha", 1e-4f), NodeAttribute.Float("beta", 0.75f)]);
        b.AddNode("Softmax", ["lrn"], ["y"], attributes: [NodeAttribute.Int("axis", 1)]);
        b.AddOutput("y", TensorElementType.Float, 1, 3, 10, 10);
        return b.Build();
    }

    /// <summary>A symbolic batch: x[N,6] → Gemm → Sigmoid → ReduceMean(axes) → y.</summary>
    public static Model DynamicBatch()
    {
        var b = new ModelBuilder("dynamic-batch", 17);
        b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(6)]);
        b.AddInitializer(TensorData.FromFloats("w", [6, 4], Ramp(24)));
        b.AddNode("Gemm", ["x", "w"], ["g"]);
        b.AddNode("Sigmoid", ["g"], ["s"]);
        b.AddNode("ReduceMean", ["s"], ["y"], attributes: [NodeAttribute.Ints("axes", 1), NodeAttribute.Int("keepdims", 1)]);
        b.AddOutput("y", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(1)]);
        return b.Build();
    }

    /// <summary>Small images in every supported format and its main variants.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Images()
    {
        using var image = new Image<Rgb24>(24, 16);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 10), (byte)(y * 15), (byte)((x ^ y) * 8));
                }
            }
        });

        byte[] Encode(Action<Stream> save)
        {
            using var stream = new MemoryStream();
            save(stream);
            return stream.ToArray();
        }

        yield return ("rgb.png", Encode(s => image.SaveAsPng(s)));
        yield return ("interlaced.png", Encode(s => image.SaveAsPng(s, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 })));
        yield return ("palette.png", Encode(s => image.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Palette })));
        yield return ("gray16.png", Encode(s => image.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 })));
        yield return ("rgba.png", Encode(s => image.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.RgbWithAlpha })));
        yield return ("q75.jpg", Encode(s => image.SaveAsJpeg(s, new JpegEncoder { Quality = 75 })));
        yield return ("420.jpg", Encode(s => image.SaveAsJpeg(s, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio420 })));
        yield return ("gray.jpg", Encode(s => image.SaveAsJpeg(s, new JpegEncoder { ColorType = JpegColorType.Luminance })));
        yield return ("24.bmp", Encode(s => image.SaveAsBmp(s)));
        yield return ("8.bmp", Encode(s => image.SaveAsBmp(s, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 })));
        yield return ("4.bmp", Encode(s => image.SaveAsBmp(s, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel4 })));
        yield return ("1.bmp", Encode(s => image.SaveAsBmp(s, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel1 })));
        yield return ("32.bmp", Encode(s => image.SaveAsBmp(s, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32 })));
        yield return ("still.gif", Encode(s => image.SaveAsGif(s)));
        yield return ("lossless.webp", Encode(s => image.SaveAsWebp(s, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless })));
        yield return ("lossy.webp", Encode(s => image.SaveAsWebp(s, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy })));
    }

    /// <summary>A real profile report of <see cref="Dense"/> on cpu-simd and study results holding it (what study --compare reads).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Reports()
    {
        ProfileReport report = Profiler.Measure(Dense(), Backend.Parse("cpu-simd"),
            new ProfileOptions { WarmupRuns = 1, WarmupSeconds = 0, Runs = 3, MinSeconds = 0, MaxSeconds = 1, PerOperatorRuns = 2, Threads = 1 });
        yield return ("profile.json", System.Text.Encoding.UTF8.GetBytes(ReportJson.Format(report)));
        var results = new StudyResults
        {
            Environment = report.Environment,
            Baseline = "cpu-simd",
            Command = "lightnet study (fuzz seed)",
            Settings = new StudySettings { Backends = ["cpu-simd"], Precisions = [Precision.Fp32], MinRuns = 3, WarmupRuns = 1, MaxSeconds = 1 },
            Models = [new StudyModel { Name = "dense", Family = "test", Resolution = 4, Variants = [new StudyVariant { Precision = Precision.Fp32, FileBytes = 200, Parameters = 15 }] }],
            Cells = [new StudyCell { Model = "dense", Precision = Precision.Fp32, Backend = "cpu-simd", Report = report, P10Ms = 0.01, SpeedUp = 1 }],
        };
        yield return ("results.json", System.Text.Encoding.UTF8.GetBytes(StudyJson.Format(results)));
    }
}

using LightNet.Backends;
using LightNet.Compression;
using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Compression;

/// <summary>
/// The measured cost of compressing the real ImageNet ResNet-18 (ML.NET's CNTK export, 512-d features): calibrated on two of
/// the test photos and crops/flips of them made here, measured on the two other, held-out photos.
/// </summary>
public class RealResNet18CompressionTests(ITestOutputHelper output)
{
    private static readonly Lazy<Model> s_model = new(() => Model.Load(TestModels.RealResNet18Path));
    private static readonly ImagePreprocessor s_pre = new(PreprocessOptions.Caffe);

    private static string Photo(string name) => Path.Combine(AppContext.BaseDirectory, "TestImages", name);

    /// <summary>cat and coffee, each whole, mirrored and as four corner crops of 80%: 12 calibration samples.</summary>
    internal static CalibrationData Calibration() => CalibrationData.FromTensors(CalibrationSamples());

    private static IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> CalibrationSamples()
    {
        foreach (string photo in new[] { "cat.jpg", "coffee.jpg" })
        {
            using Image<Rgb24> image = s_pre.Decode(Photo(photo));
            int w = image.Width * 4 / 5, h = image.Height * 4 / 5;
            var variants = new List<Image<Rgb24>> { image.Clone(), image.Clone(x => x.Flip(FlipMode.Horizontal)) };
            foreach ((int x, int y) in new[] { (0, 0), (image.Width - w, 0), (0, image.Height - h), (image.Width - w, image.Height - h) })
            {
                variants.Add(image.Clone(c => c.Crop(new Rectangle(x, y, w, h))));
            }

            foreach (Image<Rgb24> v in variants)
            {
                using (v)
                {
                    yield return new Dictionary<string, TensorBuffer> { ["Input247"] = s_pre.Process(v) };
                }
            }
        }
    }

    internal static CalibrationData HeldOut() =>
        CalibrationData.FromImageFiles([Photo("astronaut.jpg"), Photo("rocket.jpg")], PreprocessOptions.Caffe);

    [Fact]
    public void Int8PerChannelIsUnder30PercentWithCosineAbove098()
    {
        // Reduce-range: this CPU (AVX2, no VNNI) multiplies UINT8 × INT8 pairs into saturating 16-bit sums; 8-bit weights then
        // overflow in ONNX Runtime's kernels (measured cosine 0.961 without, 0.995 with).
        // Measured (ONNX Runtime CPU, AMD EPYC Zen 3): 16,032,887 of 63,653,533 bytes = 25.2 %, worst held-out cosine 0.9947.
        Model int8 = Quantizer.QuantizeStatic(s_model.Value, Calibration(), new QuantizationOptions { ReduceRange = true });
        CompressionReport report = CompressionReport.Measure(s_model.Value, int8, new CompressionMeasureOptions { Inputs = HeldOut() });
        double cosine = report.Fidelity.Single().CosineSimilarity;
        output.WriteLine($"INT8: {report.FileBytesAfter} / {report.FileBytesBefore} bytes = {report.SizeRatio:P2}, cosine {cosine:F5}, max abs {report.Fidelity[0].MaxAbsoluteError:G4}");
        Assert.Equal(2, report.Samples);
        Assert.True(report.SizeRatio <= 0.30, $"size ratio {report.SizeRatio:P2}");
        Assert.True(cosine >= 0.98, $"cosine {cosine:F5}");
        Assert.Contains(int8.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.DoesNotContain(int8.Graph.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void Fp16IsUnder51PercentWithCosineAbove0999()
    {
        // Measured: 31,835,817 of 63,653,533 bytes = 50.0 %, worst held-out cosine 0.99969.
        Model fp16 = Float16Converter.Convert(s_model.Value);
        CompressionReport report = CompressionReport.Measure(s_model.Value, fp16, new CompressionMeasureOptions { Inputs = HeldOut() });
        double cosine = report.Fidelity.Single().CosineSimilarity;
        output.WriteLine($"FP16: {report.FileBytesAfter} / {report.FileBytesBefore} bytes = {report.SizeRatio:P2}, cosine {cosine:F6}, max abs {report.Fidelity[0].MaxAbsoluteError:G4}");
        Assert.True(report.SizeRatio <= 0.51, $"size ratio {report.SizeRatio:P2}");
        Assert.True(cosine >= 0.999, $"cosine {cosine:F6}");
        Assert.Equal(TensorElementType.Float, fp16.Graph.Inputs[0].ElementType);
        Assert.Equal(TensorElementType.Float, fp16.Graph.Outputs[0].ElementType);
    }
}

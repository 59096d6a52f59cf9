using LightNet.Compression;
using LightNet.Preprocessing;
using LightNet.Profiling;
using LightNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace LightNet.Tests.Compression;

public sealed class CompressionReportTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReportMeasuresSizeFidelityAndLatencyAndRoundTripsAsJson()
    {
        Model m = CompressionTestModels.ConvNet();
        Model h = Float16Converter.Convert(m);
        CompressionReport r = CompressionReport.Measure(m, h, new CompressionMeasureOptions
        {
            Inputs = CalibrationData.FromTensors(CompressionTestModels.Inputs(3).ToList()),
            LatencyBackend = "ort-cpu",
            Profile = new ProfileOptions { Threads = 1, WarmupRuns = 1, WarmupSeconds = 0, Runs = 3, MinSeconds = 0, MaxSeconds = 2 },
        });
        Assert.Equal(m.SerializedBytes, r.FileBytesBefore);
        Assert.Equal(h.SerializedBytes, r.FileBytesAfter);
        // 405 float parameters (weights, biases, BN statistics): 4 bytes each before, 2 after.
        Assert.Equal(405 * 4, r.ParameterBytesBefore);
        Assert.Equal(405 * 2, r.ParameterBytesAfter);
        Assert.Equal(3, r.Samples);
        FidelityReport f = Assert.Single(r.Fidelity);
        Assert.True(f.CosineSimilarity > 0.9999 && f.CosineSimilarity <= 1.0000001);
        Assert.Equal(1.0, f.Top1Agreement);
        Assert.NotNull(r.LatencyBefore);
        Assert.NotNull(r.LatencyAfter);

        CompressionReport back = CompressionJson.Parse(CompressionJson.Format(r));
        Assert.Equal(r.FileBytesAfter, back.FileBytesAfter);
        Assert.Equal(f.CosineSimilarity, back.Fidelity[0].CosineSimilarity);
        string md = CompressionMarkdown.Format(r);
        Assert.Contains("| File bytes |", md);
        Assert.Contains("| Median latency (ms, ort-cpu) |", md);
        Assert.Contains("(fp16)", md);
    }

    [Fact]
    public void ImageFolderSkipsUndecodableFilesAndFailsWhenAllFail()
    {
        Model m = CompressionTestModels.ConvNet();
        var pre = new PreprocessOptions { Width = 8, Height = 8, ResizeShorterSide = 8 };
        File.WriteAllText(_temp.File("broken.jpg"), "not a jpeg");
        CalibrationData onlyBroken = CalibrationData.FromImages(_temp.Path, pre);
        var e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(m, onlyBroken));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("None of the 1 images", e.Message);

        using (var img = new Image<Rgb24>(20, 16, new Rgb24(120, 30, 200)))
        {
            img.SaveAsPng(_temp.File("ok.png"));
        }

        CalibrationData data = CalibrationData.FromImages(_temp.Path, pre);
        Model q = Quantizer.QuantizeStatic(m, data);
        Assert.Contains(q.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.Contains("broken.jpg", Assert.Single(data.Skipped));

        Directory.CreateDirectory(_temp.File("empty"));
        e = Assert.Throws<LightNetException>(() => CalibrationData.FromImages(_temp.File("empty")));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("holds no image", e.Message);
        e = Assert.Throws<LightNetException>(() => CalibrationData.FromImages(_temp.File("missing")));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
    }
}

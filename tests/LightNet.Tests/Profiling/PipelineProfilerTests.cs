using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Profiling;

/// <summary>End-to-end timing of a photo through squeezenet1_1 (zoo, 224², 1000 classes, synthetic weights).</summary>
public class PipelineProfilerTests
{
    private static readonly ProfileOptions Fast = ProfileOptions.Quick with { WarmupRuns = 1, Runs = 8, MinSeconds = 0, MaxSeconds = 20, Threads = 1 };

    private static readonly Lazy<Model> Squeezenet = new(() => ModelZoo.Create("squeezenet1_1"));

    private static string Cat => Path.Combine(AppContext.BaseDirectory, "TestImages", "cat.jpg");

    [Fact]
    public void EveryStageIsTimedAndTheTotalIsTheirSum()
    {
        var events = new List<ProfileProgress>();
        PipelineReport r = Profiler.MeasurePipeline(Squeezenet.Value, Backend.Parse("ort-cpu"), Cat, options: Fast,
            progress: new SyncProgress<ProfileProgress>(events.Add));

        Assert.Equal(PipelineReport.CurrentSchema, r.Schema);
        Assert.Equal("squeezenet1_1", r.Model.Name);
        Assert.Equal([1L, 3, 224, 224], r.Model.InputShapes["input"]);
        Assert.Equal("ort-cpu", r.Backend.Name);
        Assert.Equal("cat.jpg", r.Image);
        Assert.Equal((451, 300), (r.ImageWidth, r.ImageHeight));
        Assert.Equal(new FileInfo(Cat).Length, r.ImageBytes);
        Assert.Equal(8, r.Settings.Runs);
        Assert.True(r.Settings.WarmupRuns >= 1);
        Assert.Equal(r.Warmup!.Runs, r.Settings.WarmupRuns);
        Assert.True(r.LoadMs > 0 && r.FirstRunMs > 0);

        LatencySummary[] stages = [r.DecodeMs, r.PreprocessMs, r.InferenceMs, r.PostprocessMs];
        foreach (LatencySummary s in stages.Append(r.TotalMs))
        {
            Assert.Equal(8, s.Count);
            Assert.True(s.Min > 0, "every stage takes measurable time");
            Assert.InRange(s.Median, s.Min, s.Max);
            Assert.True(s.MeanCi.Lower <= s.Mean && s.Mean <= s.MeanCi.Upper);
        }

        // Each run's total is the sum of its stages, so the means add up exactly.
        Assert.Equal(stages.Sum(s => s.Mean), r.TotalMs.Mean, tolerance: 1e-9);
        // Each run's total is the sum of its stages, so the totals are bounded by the stages' extremes (exactly, whatever the noise).
        Assert.True(r.TotalMs.Min >= stages.Sum(s => s.Min) - 1e-9 && r.TotalMs.Max <= stages.Sum(s => s.Max) + 1e-9);
        Assert.True(r.InferenceMs.Median > r.PostprocessMs.Median, "squeezenet at 224² takes longer than softmax over 1000 classes");
        Assert.Equal(1000 / r.TotalMs.Mean, r.ThroughputPerSecond, tolerance: 1e-9);

        Assert.Equal(5, r.TopClasses.Count);
        Assert.All(r.TopClasses, c => Assert.InRange(c.Index, 0, 999));
        Assert.All(r.TopClasses, c => Assert.False(string.IsNullOrEmpty(c.Label)));
        Assert.True(r.TopClasses.Zip(r.TopClasses.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
        Assert.InRange(r.TopClasses.Sum(c => c.Probability), 0f, 1.0001f);

        Assert.Equal(ProfilePhase.Loading, events[0].Phase);
        Assert.Equal(8, events.Where(e => e.Phase == ProfilePhase.Measuring).Max(e => e.RunsDone));
        Assert.Equal(ProfilePhase.Completed, events[^1].Phase);
    }

    [Fact]
    public void BytesAndACustomPreprocessorWork()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        var pre = new ImagePreprocessor(ImagePreprocessor.OptionsFor(model) with { ResizeMode = ResizeMode.Stretch });
        PipelineReport r = Profiler.MeasurePipeline(model, Backend.Parse("ort-cpu"), File.ReadAllBytes(Cat), pre, Fast with { Runs = 3 });

        Assert.Equal("image", r.Image);
        Assert.Equal([1L, 3, 64, 64], r.Model.InputShapes["input"]);
        Assert.Equal(3, r.TotalMs.Count);
        Assert.Equal(5, r.TopClasses.Count);
        Assert.All(r.TopClasses, c => Assert.Equal($"class {c.Index}", c.Label));

        string json = ReportJson.Format(r);
        Assert.Contains("\"schema\": \"lightnet.pipeline/1.1\"", json);
        Assert.Contains("\"inferenceMs\"", json);
        PipelineReport again = ReportJson.ParsePipeline(json);
        Assert.Equal(r.TotalMs, again.TotalMs);
        Assert.Equal(r.TopClasses, again.TopClasses);
        Assert.Equal(r.Model.Name, again.Model.Name);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportJson.ParsePipeline("{ nope")).Code);
    }

    [Fact]
    public void CancellationStopsWithinARun()
    {
        using var cts = new CancellationTokenSource();
        int measured = 0;
        var progress = new SyncProgress<ProfileProgress>(p =>
        {
            if (p.Phase == ProfilePhase.Measuring && ++measured == 3)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Profiler.MeasurePipeline(Squeezenet.Value, Backend.Parse("ort-cpu"), Cat, null, Fast with { Runs = 100_000, MaxSeconds = 60 }, progress, cts.Token));
        Assert.Equal(3, measured);
    }

    [Fact]
    public void ABadImageIsAnInvalidImageNamingTheFile()
    {
        using var temp = new TempDirectory();
        string path = temp.File("notes.jpg");
        File.WriteAllText(path, "this is not a photo");

        var e = Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, Backend.Parse("ort-cpu"), path, options: Fast));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("notes.jpg", e.Message);

        e = Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, Backend.Parse("ort-cpu"), new byte[] { 1, 2, 3 }, options: Fast));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
    }

    [Fact]
    public void BadArgumentsAreLightNetErrors()
    {
        Backend cpu = Backend.Parse("ort-cpu");
        Assert.Equal(ErrorCode.IOFailure, Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, "/no/such/photo.jpg")).Code);
        Assert.Throws<ArgumentNullException>(() => Profiler.MeasurePipeline(null!, cpu, Cat));
        Assert.Throws<ArgumentNullException>(() => Profiler.MeasurePipeline(Squeezenet.Value, null!, Cat));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, "")).Code);
        Assert.Throws<ArgumentNullException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, (byte[])null!));
        var e = Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, Cat, options: Fast with { BatchSize = 2 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("batch size must be 1", e.Message);
        e = Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, Cat, options: Fast with { Runs = 0 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);

        // A preprocessor that writes another size than the model takes.
        e = Assert.Throws<LightNetException>(() => Profiler.MeasurePipeline(Squeezenet.Value, cpu, Cat,
            new ImagePreprocessor(PreprocessOptions.Torchvision.WithResolution(128)), Fast));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }
}

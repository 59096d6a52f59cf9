using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Profiling;

public class ProfilerTests
{
    private static readonly ProfileOptions Fast = ProfileOptions.Quick with { WarmupRuns = 2, Runs = 12, MinSeconds = 0, MaxSeconds = 20, Threads = 1 };

    private static Model Small() => ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });

    [Fact]
    public void MeasureReportsEverythingItPromises()
    {
        Model model = Small();
        var events = new List<ProfileProgress>();
        ProfileReport report = Profiler.Measure(model, Backend.Parse("ort-cpu"), Fast with { KeepRawSamples = true, PerOperatorProfile = true, PerOperatorRuns = 3 },
            new SyncProgress<ProfileProgress>(events.Add));

        Assert.Equal("squeezenet1_1", report.Model.Name);
        Assert.Equal(model.Info.Parameters, report.Model.Parameters);
        Assert.Equal(model.Info.Macs, report.Model.Macs);
        Assert.Equal([1L, 3, 64, 64], report.Model.InputShapes["input"]);
        Assert.Equal("ort-cpu", report.Backend.Name);
        Assert.Equal(12, report.LatencyMs.Count);
        Assert.Equal(12, report.RawSamplesMs!.Count);
        Assert.Equal(report.RawSamplesMs.Min(), report.LatencyMs.Min);
        Assert.InRange(report.LatencyMs.Median, report.LatencyMs.Min, report.LatencyMs.Max);
        Assert.True(report.LatencyMs.MeanCi.Lower <= report.LatencyMs.Mean && report.LatencyMs.Mean <= report.LatencyMs.MeanCi.Upper);
        Assert.True(report.LoadMs > 0 && report.FirstRunMs > 0);
        Assert.Equal(1000 / report.LatencyMs.Mean, report.ThroughputPerSecond, tolerance: 1e-9);
        Assert.True(report.Memory.PeakRssBytes >= report.Memory.RssAfterLoadBytes && report.Memory.RssBeforeLoadBytes > 0);
        // The bound ONNX Runtime run allocates nothing managed; the JIT's tier-up can add a few bytes on the thread now and then.
        Assert.True(report.Memory.ManagedBytesPerRun < 256, $"{report.Memory.ManagedBytesPerRun} bytes per run");
        Assert.Contains(report.Operators, o => o.OpType == "Conv");
        Assert.InRange(report.Operators.Sum(o => o.Percent), 99.0, 101.0);
        Assert.False(string.IsNullOrEmpty(report.Environment.OnnxRuntimeVersion));

        Assert.Contains(events, e => e.Phase == ProfilePhase.Loading);
        Assert.Contains(events, e => e.Phase == ProfilePhase.WarmingUp);
        Assert.Equal(12, events.Where(e => e.Phase == ProfilePhase.Measuring).Max(e => e.RunsDone));
        Assert.Contains(events, e => e.Phase == ProfilePhase.ProfilingOperators);
        Assert.Equal(ProfilePhase.Completed, events[^1].Phase);
    }

    [Fact]
    public void MaxSecondsCutsTheLoopAndWarns()
    {
        ProfileReport report = Profiler.Measure(Small(), Backend.Parse("ort-cpu"), Fast with { Runs = 1_000_000, MaxSeconds = 0.3 });
        Assert.True(report.LatencyMs.Count < 1_000_000);
        Assert.Contains(report.Warnings, w => w.Contains("0.3 s limit"));
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
            Profiler.Measure(Small(), Backend.Parse("ort-cpu"), Fast with { Runs = 100_000, MaxSeconds = 60 }, progress, cts.Token));
        Assert.Equal(3, measured);
    }

    [Fact]
    public void InvalidOptionsAreAllReportedAtOnce()
    {
        var e = Assert.Throws<LightNetException>(() =>
            Profiler.Measure(TestModels.Tiny(), Backend.Parse("ort-cpu"), Fast with { Runs = 0, MaxSeconds = -1, BatchSize = 0 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("runs must be at least 1", e.Message);
        Assert.Contains("maximum seconds must be positive", e.Message);
        Assert.Contains("batch size", e.Message);
    }

    [Fact]
    public void UnavailableBackendAndMissingDimensionsAreClear()
    {
        var e = Assert.Throws<LightNetException>(() => Profiler.Measure(TestModels.Tiny(), Backend.Parse("ort-cuda"), Fast));
        Assert.Equal(ErrorCode.BackendUnavailable, e.Code);

        var b = new ModelBuilder("dyn", 17);
        b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Symbolic("C"), 4]);
        b.AddNode("Relu", ["x"], ["y"]);
        b.AddOutput("y", TensorElementType.Float);
        Model dynamic = b.Build();
        e = Assert.Throws<LightNetException>(() => Profiler.Measure(dynamic, Backend.Parse("ort-cpu"), Fast));
        Assert.Equal(ErrorCode.MissingDimension, e.Code);
        Assert.Contains("'C'", e.Message);
        Assert.DoesNotContain("'N'", e.Message); // the first dimension is the batch

        ProfileReport report = Profiler.Measure(dynamic, Backend.Parse("ort-cpu"),
            Fast with { BatchSize = 4, InputShapes = new Dictionary<string, long[]> { ["x"] = [4, 2, 4] } });
        Assert.Equal([4L, 2, 4], report.Model.InputShapes["x"]);
        Assert.Equal(4, report.Settings.BatchSize);
        Assert.Equal(4 * report.ThroughputPerSecond, report.ItemsPerSecond, tolerance: 1e-9);
    }

    [Fact]
    public void GivenInputsAreUsedAndChecked()
    {
        var x = TensorBuffer.FromFloats([1f, 2f, 3f, 4f], [1, 4]);
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), Backend.Parse("ort-cpu"),
            Fast with { InputFill = InputFill.Given, Inputs = new Dictionary<string, TensorBuffer> { ["x"] = x } });
        Assert.Equal("Given", report.Settings.InputFill);

        var wrong = TensorBuffer.FromFloats([1f, 2f], [1, 2]);
        var e = Assert.Throws<LightNetException>(() => Profiler.Measure(TestModels.Tiny(), Backend.Parse("ort-cpu"),
            Fast with { InputFill = InputFill.Given, Inputs = new Dictionary<string, TensorBuffer> { ["x"] = wrong } }));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public async Task MeasureAsyncLogsEachPhase()
    {
        var logger = new ListLogger();
        ProfileReport report = await Profiler.MeasureAsync(Small(), Backend.Parse("ort-cpu"), Fast with { LoggerFactory = logger });
        Assert.Equal(12, report.LatencyMs.Count);
        Assert.Contains(logger.Messages, m => m.Level == Microsoft.Extensions.Logging.LogLevel.Information && m.Text.Contains("Profiling squeezenet1_1 on ort-cpu"));
        Assert.Contains(logger.Messages, m => m.Level == Microsoft.Extensions.Logging.LogLevel.Debug && m.Text.Contains("Session created"));
        Assert.Contains(logger.Messages, m => m.Text.Contains("Warmed up"));
        Assert.Contains(logger.Messages, m => m.Text.Contains("Timed 12 runs"));
    }
}

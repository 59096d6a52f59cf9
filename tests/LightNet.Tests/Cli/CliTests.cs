using System.Text.Json;
using LightNet.Backends;
using LightNet.Cli;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Cli;

/// <summary>The lightnet command line, end to end and in-process.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed record Result(int ExitCode, string Out, string Err);

    private static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// An error is exactly one line on standard error, with the code in brackets and no stack trace. Progress lines
    /// ("model on backend: loading…"), which a measurement prints there once it has run for a second (a busy CI machine
    /// can take that long to reach the error), come before it and are not part of the error.
    /// </summary>
    private static void AssertOneLineError(Result r, int exitCode, string code, params string[] fragments)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}, expected {exitCode}; stderr: {r.Err}; stdout: {r.Out}");
        string[] lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !(l.TrimEnd().EndsWith('…') && l.Contains(" on ", StringComparison.Ordinal) && !l.StartsWith("error [", StringComparison.Ordinal)))
            .ToArray();
        string line = Assert.Single(lines);
        Assert.StartsWith($"error [{code}]: ", line);
        Assert.DoesNotContain("   at ", r.Err);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, line);
        }
    }

    [Fact]
    public void BackendsListsOrtCpuAsAvailableAndOrtCudaAsUnavailableWithTheReason()
    {
        Result table = Run("backends");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("ort-cpu", table.Out);
        Assert.Contains("ort-cuda", table.Out);
        Assert.Contains("yes", table.Out);
        Assert.Equal("", table.Err);

        Result json = Run("backends", "--json");
        Assert.Equal(0, json.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(json.Out);
        JsonElement[] items = doc.RootElement.EnumerateArray().ToArray();
        JsonElement cpu = items.Single(e => e.GetProperty("name").GetString() == "ort-cpu");
        Assert.True(cpu.GetProperty("available").GetBoolean());
        Assert.Equal("CPU", cpu.GetProperty("device").GetString());
        Assert.Equal("OnnxRuntime", cpu.GetProperty("kind").GetString());
        Assert.Equal("Fp32", cpu.GetProperty("precision").GetString());
        JsonElement cuda = items.Single(e => e.GetProperty("name").GetString() == "ort-cuda");
        Assert.Equal(Backend.Parse("ort-cuda").CheckAvailability().IsAvailable, cuda.GetProperty("available").GetBoolean());
        Assert.Contains("CUDA", cuda.GetProperty("reason").GetString());
        Assert.Equal(Backend.All.Count, items.Length);
        Assert.All(items, e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString())));
    }

    [Fact]
    public void ZooListPrintsEveryNetwork()
    {
        Result json = Run("zoo", "list", "--json");
        Assert.Equal(0, json.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(json.Out);
        JsonElement[] items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(14, items.Length);
        JsonElement v2 = items.Single(e => e.GetProperty("name").GetString() == "mobilenet_v2");
        Assert.Equal(3_504_872, v2.GetProperty("parameters").GetInt64());
        Assert.Equal(300_000_000, v2.GetProperty("macs").GetInt64());
        Assert.Equal(224, v2.GetProperty("defaultResolution").GetInt32());
        Assert.Equal("mobilenetv2-7.onnx", v2.GetProperty("pretrainedFile").GetString());
        Assert.Equal(JsonValueKind.Null, items.Single(e => e.GetProperty("name").GetString() == "inception_v3").GetProperty("pretrainedFile").ValueKind);

        Result table = Run("zoo", "list");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("shufflenet_v2_x1_0", table.Out);
        Assert.Contains("1,235,496", table.Out);
        Assert.Contains("resnet18-v1-7.onnx", table.Out);
    }

    [Fact]
    public void InfoOfAZooNetworkGivesTheSummaryAndEveryLayer()
    {
        Result json = Run("info", "squeezenet1_1", "--json");
        Assert.Equal(0, json.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(json.Out);
        JsonElement root = doc.RootElement;
        Assert.Equal(1_235_496, root.GetProperty("parameters").GetInt64());
        Assert.True(root.GetProperty("macs").GetInt64() > 300_000_000);
        JsonElement[] layers = root.GetProperty("layers").EnumerateArray().ToArray();
        Assert.True(layers.Length > 20);
        Assert.Equal("Conv", layers[0].GetProperty("opType").GetString());
        Assert.Equal([1L, 64, 111, 111], layers[0].GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(layers.Sum(l => l.GetProperty("macs").GetInt64()), root.GetProperty("macs").GetInt64());
        Assert.Equal(["1", "3", "224", "224"], root.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetString()));

        // A width multiplier and a resolution.
        Result small = Run("info", "mobilenet_v1@0.5", "--shape", "input=2x3x128x128", "--json");
        Assert.Equal(0, small.ExitCode);
        using JsonDocument smallDoc = JsonDocument.Parse(small.Out);
        Assert.Equal(["2", "3", "128", "128"], smallDoc.RootElement.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetString()));
        Assert.True(smallDoc.RootElement.GetProperty("parameters").GetInt64() < 2_000_000);
    }

    [Fact]
    public void InfoOfAnOnnxFilePrintsTheLayerTable()
    {
        string path = _temp.File("squeeze.onnx");
        ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }).Save(path);

        Result r = Run("info", path);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("squeeze.onnx", r.Out);
        Assert.Contains("Parameters:", r.Out);
        Assert.Contains("Conv", r.Out);
        Assert.Contains("[1, 10]", r.Out); // the classifier's output shape
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void ProfileWritesJsonCsvAndMarkdown()
    {
        string json = _temp.File("out/report.json"), csv = _temp.File("report.csv"), md = _temp.File("report.md");

        Result r = Run("profile", "squeezenet1_1", "--quick", "--runs", "5", "--min-time", "0", "--warmup", "1", "--threads", "1",
            "--json", json, "--csv", csv, "--md", md);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("error", r.Err);
        Assert.Contains("squeezenet1_1 on ort-cpu", r.Out);
        foreach (string label in new[] { "mean", "median", "p90", "p95", "p99", "min", "max", "std", "first run", "throughput", "peak RSS" })
        {
            Assert.Contains(label, r.Out);
        }

        ProfileReport report = ReportJson.Read(json);
        Assert.Equal("squeezenet1_1", report.Model.Name);
        Assert.Equal("ort-cpu", report.Backend.Name);
        Assert.True(report.LatencyMs.Count >= 5);
        Assert.Equal(1, report.Settings.Threads);
        Assert.StartsWith("model,backend,", File.ReadAllText(csv));
        Assert.Equal(2, File.ReadAllLines(csv).Length);
        Assert.StartsWith("# squeezenet1_1 on ort-cpu", File.ReadAllText(md));
    }

    [Fact]
    public void CompareOfOneModelOnEveryBackendListsTheUnavailableOnes()
    {
        string json = _temp.File("compare.json"), md = _temp.File("compare.md");

        Result r = Run("compare", "--models", "squeezenet1_1", "--quick", "--runs", "3", "--min-time", "0", "--json", json, "--md", md);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("squeezenet1_1", r.Out);
        Assert.Contains("1.00×", r.Out);
        Assert.Contains("Unavailable backends", r.Out);
        Assert.Contains("ort-cuda", r.Out);
        ComparisonReport report = ComparisonJson.Parse(File.ReadAllText(json));
        // With no --backends the baseline is plain execution (ort-cpu without graph optimisations), as in the seed study.
        Assert.Equal("ort-cpu:opt=none", report.Baseline);
        // Every available backend on this machine: plain and optimised ONNX Runtime CPU, and the managed engine.
        Assert.Equal(["cpu-simd", "ort-cpu", "ort-cpu:opt=none"], report.Cells.Select(c => c.Backend.Name).Order(StringComparer.Ordinal));
        Assert.Equal(1.0, report.Cells.Single(c => c.Backend.Name == "ort-cpu:opt=none").SpeedUp);
        ComparisonCell optimised = report.Cells.Single(c => c.Backend.Name == "ort-cpu");
        Assert.True(optimised.SpeedUpCi.Lower <= optimised.SpeedUp && optimised.SpeedUp <= optimised.SpeedUpCi.Upper);
        Assert.Contains(report.Unavailable, u => u.Name == "ort-cuda" && u.Reason.Length > 0);
        string markdown = File.ReadAllText(md);
        Assert.Contains("| squeezenet1_1 |", markdown);
        Assert.Contains("1.00×", markdown);
        Assert.Contains("## Unavailable backends", markdown);
    }

    [Fact]
    public void CompareOfTwoBackendsGivesSpeedUpsWithIntervals()
    {
        Result r = Run("compare", "--models", "squeezenet1_1", "--backends", "ort-cpu:opt=none,ort-cpu", "--baseline", "ort-cpu:opt=none",
            "--quick", "--runs", "10", "--min-time", "0", "--warmup", "1", "--json", "-");

        Assert.True(r.ExitCode == 0, r.Err);
        ComparisonReport report = ComparisonJson.Parse(r.Out);
        Assert.Equal("ort-cpu:opt=none", report.Baseline);
        Assert.Equal(2, report.Cells.Count);
        ComparisonCell fast = report.Cells.Single(c => c.Backend.Name == "ort-cpu");
        Assert.True(fast.SpeedUpCi.Lower <= fast.SpeedUp && fast.SpeedUp <= fast.SpeedUpCi.Upper);
        Assert.Empty(report.Unavailable);
        string markdown = ComparisonMarkdown.Format(report);
        Assert.Contains("| squeezenet1_1 | ", markdown);

        // Fieller's interval has no finite end when the runs are too few or too spread (a loaded 2-core CI machine can
        // do that even to 10 runs); the table then shows the ratio alone.
        static string F2(double v) => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        bool bounded = double.IsFinite(fast.SpeedUpCi.Lower) && double.IsFinite(fast.SpeedUpCi.Upper);
        Assert.Contains(bounded ? $"{F2(fast.SpeedUp)}× [{F2(fast.SpeedUpCi.Lower)}, {F2(fast.SpeedUpCi.Upper)}] |" : $"{F2(fast.SpeedUp)}× |", markdown);
    }

    [Fact]
    public void MissingFileIsAnIOFailure()
    {
        AssertOneLineError(Run("info", _temp.File("nope.onnx")), 1, "IOFailure", "nope.onnx", "does not exist");
        AssertOneLineError(Run("profile", _temp.File("nope.onnx"), "--quick"), 1, "IOFailure", "does not exist");
    }

    [Fact]
    public void AFileThatIsNotOnnxIsAnInvalidModel()
    {
        string path = _temp.File("notes.txt");
        File.WriteAllText(path, "these are notes, not a protobuf model\n");

        AssertOneLineError(Run("info", path), 1, "InvalidModel", "notes.txt");
    }

    [Fact]
    public void UnknownBackendSuggestsTheClosest()
    {
        AssertOneLineError(Run("profile", "squeezenet1_1", "--backend", "ort-cpuu", "--quick"), 1, "InvalidArgument",
            "Unknown backend 'ort-cpuu'", "Did you mean 'ort-cpu'?");
        AssertOneLineError(Run("compare", "--models", "squeezenet1_1", "--backends", "ort-cpu,ort-gpu", "--quick"), 1, "InvalidArgument",
            "Unknown backend 'ort-gpu'");
    }

    [Fact]
    public void UnavailableBackendGivesTheReason()
    {
        // ort-cuda here (the CPU build of ONNX Runtime); whichever backend cannot run where the tests do.
        Backend? unavailable = Backend.All.FirstOrDefault(b => b.Name == "ort-cuda" && !b.CheckAvailability().IsAvailable)
            ?? Backend.All.FirstOrDefault(b => !b.CheckAvailability().IsAvailable);
        Assert.NotNull(unavailable);
        string reason = unavailable.CheckAvailability().Reason;
        AssertOneLineError(Run("profile", "squeezenet1_1", "--backend", unavailable.Name, "--quick"), 1, "BackendUnavailable",
            unavailable.Name,
            string.Join(' ', reason.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        AssertOneLineError(Run("compare", "--models", "squeezenet1_1", "--backends", unavailable.Name, "--quick"), 1, "BackendUnavailable",
            unavailable.Name);
    }

    [Fact]
    public void DynamicDimensionsWithoutShapeAreListed()
    {
        string path = _temp.File("dynamic.onnx");
        var b = new ModelBuilder("dynamic", 17);
        string x = b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("batch"), Dimension.Fixed(3), Dimension.Symbolic("height"), Dimension.Symbolic("width")]);
        b.AddNode("Relu", [x], ["y"]);
        b.AddOutput("y", TensorElementType.Float);
        b.Build().Save(path);

        // The symbolic first dimension is the batch; the others need --shape.
        AssertOneLineError(Run("info", path), 1, "MissingDimension", "'height'", "'width'", "--shape");
        AssertOneLineError(Run("profile", path, "--quick", "--runs", "1"), 1, "MissingDimension", "'height'", "'width'");
        AssertOneLineError(Run("compare", "--models", path, "--backends", "ort-cpu", "--quick"), 1, "MissingDimension", "'height'", "lightnet profile");

        Result ok = Run("info", path, "--shape", "x=2x3x8x8", "--json");
        Assert.True(ok.ExitCode == 0, ok.Err);
        using JsonDocument doc = JsonDocument.Parse(ok.Out);
        Assert.Equal(["2", "3", "8", "8"], doc.RootElement.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetString()));

        Result profiled = Run("profile", path, "--shape", "x=1x3x8x8", "--quick", "--runs", "2", "--min-time", "0", "--warmup", "0", "--json", "-");
        Assert.True(profiled.ExitCode == 0, profiled.Err);
        Assert.Equal([1L, 3, 8, 8], ReportJson.Parse(profiled.Out).Model.InputShapes["x"]);
    }

    [Fact]
    public void SymbolicModelRunsOnCpuSimdWithShapeInProfileVerifyAndCompare()
    {
        string path = _temp.File("symbolic_conv.onnx");
        LightNet.Tests.Engine.DynamicShapeTests.SymbolicConvNet().Save(path);

        Result profiled = Run("profile", path, "--backend", "cpu-simd", "--shape", "x=1x3x48x192", "--quick", "--runs", "2", "--min-time", "0",
            "--warmup", "1", "--threads", "1", "--json", "-");
        Assert.True(profiled.ExitCode == 0, profiled.Err);
        ProfileReport report = ReportJson.Parse(profiled.Out);
        Assert.Equal([1L, 3, 48, 192], report.Model.InputShapes["x"]);
        Assert.Equal("cpu-simd", report.Backend.Name);

        Result verified = Run("verify", "-b", "cpu-simd,ort-cpu", "--models", path, "--shape", "x=1x3x48x192", "--reference", "ort-cpu", "--threads", "1");
        Assert.True(verified.ExitCode == 0, verified.Err + verified.Out);
        Assert.Contains("2 of 2 checks passed", verified.Out);
        Result againstCpuSimd = Run("verify", "-b", "ort-cpu", "--models", path, "--shape", "x=2x3x16x24");
        Assert.True(againstCpuSimd.ExitCode == 0, againstCpuSimd.Err + againstCpuSimd.Out);

        Result compared = Run("compare", "--models", path, "--backends", "cpu-simd,ort-cpu", "--shape", "x=1x3x48x192", "--quick", "--runs", "2",
            "--min-time", "0", "--warmup", "1", "--settle", "0", "--json", "-");
        Assert.True(compared.ExitCode == 0, compared.Err);
        ComparisonReport comparison = ComparisonJson.Parse(compared.Out);
        Assert.Equal(["cpu-simd", "ort-cpu"], comparison.Cells.Select(c => c.Backend.Name).Order());
        Assert.All(comparison.Cells, c => Assert.True(c.Error is null && c.LatencyMs is not null, c.Error));
        Assert.All(comparison.Cells, c => Assert.Equal([1L, 3, 48, 192], c.Model.InputShapes["x"]));

        AssertOneLineError(Run("verify", "-b", "ort-cpu", "--models", path, "--shape", "y=1x3x8x8"), 2, "Usage", "'y'");
        AssertOneLineError(Run("profile", path, "--backend", "cpu-simd", "--shape", "x=1x4x48x192", "--quick", "--runs", "1"), 1, "InvalidShape", "'x'");
    }

    [Theory]
    [InlineData("0", "--runs must be at least 1, not 0")]
    [InlineData("-3", "--runs must be at least 1, not -3")]
    public void RunsBelowOneIsAUsageError(string runs, string message)
    {
        AssertOneLineError(Run("profile", "squeezenet1_1", "--runs", runs), 2, "Usage", message);
        AssertOneLineError(Run("compare", "--runs", runs), 2, "Usage", message);
    }

    [Fact]
    public void UnknownZooNameSuggestsTheClosest()
    {
        AssertOneLineError(Run("info", "mobilenetv2"), 1, "UnknownModel", "'mobilenetv2'", "Did you mean 'mobilenet_v2'?", "lightnet zoo list");
        AssertOneLineError(Run("compare", "--models", "squeezenet1_1,resnet19", "--quick"), 1, "UnknownModel", "Did you mean 'resnet18'?");
        AssertOneLineError(Run("info", "mobilenet_v1@abc"), 2, "Usage", "width multiplier");
        AssertOneLineError(Run("info", "mobilenet_v1@0.3"), 1, "InvalidArgument", "width multiplier 0.3");
    }

    [Theory]
    [InlineData("input=1x3xfoox224")]
    [InlineData("1x3x224x224")]
    [InlineData("input=")]
    [InlineData("input=1x0x224x224")]
    public void MalformedShapeIsAUsageError(string shape)
    {
        AssertOneLineError(Run("info", "squeezenet1_1", "--shape", shape), 2, "Usage", "--shape", "malformed");
    }

    [Fact]
    public void VerifyChecksBackendsAgainstTheReferenceAndFailsForOneThatCannotRun()
    {
        string md = Path.Combine(_temp.Path, "verify.md");
        Result ok = Run("verify", "-m", "squeezenet1_1", "--shape", "input=1x3x64x64", "-b", "ort-cpu,ort-cpu:opt=none", "--reference", "cpu-simd", "--md", md);
        Assert.True(ok.ExitCode == 0, ok.Err + ok.Out);
        Assert.Contains("| squeezenet1_1 | ort-cpu | output |", ok.Out);
        Assert.Contains("| squeezenet1_1 | ort-cpu:opt=none | output |", ok.Out);
        Assert.Contains("2 of 2 checks passed.", ok.Out);
        Assert.Equal(2, File.ReadAllText(md).Split('\n').Count(l => l.EndsWith("| pass |", StringComparison.Ordinal)));

        // A backend named but not runnable here is a failure (exit 1), with the reason; the others are still checked.
        Result missing = Run("verify", "-m", "squeezenet1_1", "--shape", "input=1x3x64x64", "-b", "ort-cpu,cudnn");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cannot run here: cudnn:", missing.Out);
        Assert.Contains("1 of 1 checks passed; 1 backend(s) could not run.", missing.Out);

        AssertOneLineError(Run("verify", "-m", "squeezenet1_1", "-b", "ort-cpu", "--min-cosine", "2"), 2, "Usage", "--min-cosine");
        AssertOneLineError(Run("verify", "-m", "squeezenet1_1"), 2, "Usage", "--backends");
    }

    [Fact]
    public void CommandLineMistakesAreUsageErrors()
    {
        AssertOneLineError(Run("backends", "--bogus"), 2, "Usage", "--bogus", "lightnet backends --help");
        AssertOneLineError(Run("profile"), 2, "Usage", "lightnet profile --help");
        AssertOneLineError(Run("profile", "squeezenet1_1", "--runs", "many"), 2, "Usage", "many");
        AssertOneLineError(Run("profile", "squeezenet1_1", "--min-time", "3", "--max-time", "1"), 2, "Usage", "--max-time");
        AssertOneLineError(Run("compare", "-m", "squeezenet1_1", "--cooldown", "-5"), 2, "Usage", "--cooldown");
        AssertOneLineError(Run("compare", "-m", "squeezenet1_1", "--settle", "20000"), 2, "Usage", "--settle");
        AssertOneLineError(Run("info", "squeezenet1_1", "--shape", "image=1x3x224x224"), 2, "Usage", "'input'");

        Result bare = Run();
        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("profile", bare.Out); // the help
        Assert.Single(bare.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Result help = Run("compare", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--baseline", help.Out);
        Assert.Contains("lightnet compare", help.Out);
    }

    [Fact]
    public void VerbosePrintsTheStackTrace()
    {
        Result r = Run("info", _temp.File("nope.onnx"), "--verbose");

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error [IOFailure]: ", r.Err);
        Assert.Contains("   at ", r.Err);
    }

    [Fact]
    public void ProfileWithAnImageTimesEveryStageAndPrintsTheTopFive()
    {
        string cat = Path.Combine(AppContext.BaseDirectory, "TestImages", "cat.jpg");
        string json = _temp.File("pipeline.json");

        Result r = Run("profile", "squeezenet1_1", "--image", cat, "--quick", "--runs", "4", "--min-time", "0", "--warmup", "1", "--threads", "1",
            "--json", json);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("squeezenet1_1 on ort-cpu", r.Out);
        Assert.Contains("cat.jpg (451×300", r.Out);
        foreach (string label in new[] { "decode", "preprocess", "inference", "postprocess", "total", "median", "p90", "mean", "Top 5" })
        {
            Assert.Contains(label, r.Out);
        }

        Assert.Contains("synthetic", r.Out);
        Assert.Contains("mean nothing", r.Out);
        PipelineReport report = ReportJson.ParsePipeline(File.ReadAllText(json));
        Assert.Equal("squeezenet1_1", report.Model.Name);
        Assert.Equal("cat.jpg", report.Image);
        Assert.True(report.InferenceMs.Count >= 4);
        Assert.Equal(5, report.TopClasses.Count);
        Assert.Contains(report.TopClasses[0].Label, r.Out);

        string notAPhoto = _temp.File("notes.jpg");
        File.WriteAllText(notAPhoto, "not a photo");
        AssertOneLineError(Run("profile", "squeezenet1_1", "--image", notAPhoto, "--quick"), 1, "InvalidImage", "notes.jpg");
        AssertOneLineError(Run("profile", "squeezenet1_1", "--image", cat, "--csv", _temp.File("x.csv")), 2, "Usage", "--image");
    }
}

/// <summary>ComparisonJson and ComparisonMarkdown, which the compare command writes with.</summary>
public sealed class ComparisonJsonAndMarkdownTests
{
    private static ModelSummary ModelOf(string name, long parameters) => new()
    {
        Name = name,
        Parameters = parameters,
        Macs = parameters * 100,
        InputShapes = new Dictionary<string, long[]> { ["input"] = [1, 3, 224, 224] },
    };

    private static ComparisonCell CellOf(ModelSummary model, string backend, double median, double speedUp, ConfidenceInterval ci) => new()
    {
        Model = model,
        Backend = new BackendSummary { Name = backend, Kind = "OnnxRuntime", Precision = "Fp32", Device = "CPU" },
        LatencyMs = new LatencySummary { Count = 10, Mean = median, Median = median, MeanCi = new(median - 1, median + 1, 0.95) },
        SpeedUp = speedUp,
        SpeedUpCi = ci,
    };

    private static ComparisonReport Sample()
    {
        ModelSummary wide = ModelOf("mobilenet_v1", 4_231_976), narrow = ModelOf("mobilenet_v1", 1_331_336), squeeze = ModelOf("squeezenet1_1", 1_235_496);
        return new ComparisonReport
        {
            CreatedUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Environment = new EnvironmentInfo { CpuModel = "Test CPU", LogicalCores = 2 },
            Baseline = "ort-cpu:opt=none",
            Settings = new MeasurementSettings { WarmupRuns = 3, Runs = 10, MinRuns = 10, BatchSize = 1 },
            Cells =
            [
                CellOf(wide, "ort-cpu:opt=none", 20, 1, new(1, 1, 0.95)),
                CellOf(wide, "ort-cpu", 8.66, 2.3094, new(2.1, 2.55, 0.95)),
                CellOf(narrow, "ort-cpu:opt=none", 6, 1, new(1, 1, 0.95)),
                CellOf(narrow, "ort-cpu", 3, 2, new(1.9, 2.1, 0.95)),
                CellOf(squeeze, "ort-cpu:opt=none", 10, 1, new(1, 1, 0.95)),
                new ComparisonCell { Model = squeeze, Backend = new BackendSummary { Name = "ort-cpu" }, SpeedUp = double.NaN,
                    SpeedUpCi = new(double.NaN, double.NaN, 0.95), Error = "Backend rejected | the model" },
            ],
            Unavailable = [new UnavailableBackend("ort-cuda", "no CUDA here")],
        };
    }

    [Fact]
    public void JsonRoundTripsWithTheSchemaCamelCaseAndNaN()
    {
        ComparisonReport report = Sample();

        string json = ComparisonJson.Format(report);
        ComparisonReport back = ComparisonJson.Parse(json);

        Assert.Contains("\"schema\": \"lightnet.comparison/1.2\"", json);
        Assert.Contains("\"speedUpCi\"", json);
        Assert.Contains("\"NaN\"", json);
        Assert.DoesNotContain("\"width\"", json);
        Assert.Equal(json, ComparisonJson.Format(back));
        Assert.Equal(report.Baseline, back.Baseline);
        Assert.Equal(report.Cells.Count, back.Cells.Count);
        Assert.True(double.IsNaN(back.Cells[^1].SpeedUp));
        Assert.Equal(report.Cells[1].SpeedUpCi, back.Cells[1].SpeedUpCi);
        Assert.Equal(report.Unavailable, back.Unavailable);
    }

    [Fact]
    public void WriteJsonIsReadBackAndBadInputIsRefused()
    {
        using var temp = new TempDirectory();
        string path = temp.File("sub/compare.json");
        ComparisonJson.Write(Sample(), path);
        Assert.Equal("ort-cpu:opt=none", ComparisonJson.Read(path).Baseline);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ComparisonJson.Parse("{ not json")).Code);
        var e = Assert.Throws<LightNetException>(() => ComparisonJson.Parse("{\"schema\": \"lightnet.comparison/2\"}"));
        Assert.Contains("major version", e.Message);
        e = Assert.Throws<LightNetException>(() => ComparisonJson.Parse("{\"schema\": \"lightnet.profile/1\"}"));
        Assert.Contains("unknown schema", e.Message);
        Assert.Equal(ErrorCode.IOFailure, Assert.Throws<LightNetException>(() => ComparisonJson.Read(temp.File("missing.json"))).Code);
    }

    [Fact]
    public void MarkdownIsAModelByBackendTableOfMediansAndSpeedUps()
    {
        string md = ComparisonMarkdown.Format(Sample());

        Assert.Contains("| Model | ort-cpu:opt=none (baseline) | ort-cpu |", md);
        Assert.Contains("| mobilenet_v1 (4.232 M params, 1×3×224×224) | 20.000 ms · 1.00× | 8.660 ms · 2.31× [2.10, 2.55] |", md);
        Assert.Contains("| mobilenet_v1 (1.331 M params, 1×3×224×224) | 6.000 ms · 1.00× | 3.000 ms · 2.00× [1.90, 2.10] |", md);
        Assert.Contains("| squeezenet1_1 | 10.000 ms · 1.00× | failed |", md);
        Assert.Contains("- squeezenet1_1 on ort-cpu: Backend rejected | the model", md);
        Assert.Contains("| ort-cuda | no CUDA here |", md);
        Assert.EndsWith("\n", md);
        Assert.DoesNotContain("\r", md);
    }
}

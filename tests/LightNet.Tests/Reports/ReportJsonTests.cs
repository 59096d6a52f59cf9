using System.Text.Json;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Reports;

public class ReportJsonTests
{
    [Fact]
    public void RoundTripGivesIdenticalText()
    {
        ProfileReport report = ReportSamples.Full();

        string json = ReportJson.Format(report);
        ProfileReport back = ReportJson.Parse(json);

        Assert.Equal(json, ReportJson.Format(back));
        Assert.Equal(report.CreatedUtc, back.CreatedUtc);
        Assert.Equal(report.LatencyMs.MeanCi, back.LatencyMs.MeanCi);
        Assert.Equal(report.LatencyMs.MedianCi, back.LatencyMs.MedianCi);
        Assert.Equal(report.Operators, back.Operators);
        Assert.Equal(report.OperatorTypes, back.OperatorTypes);
        Assert.Equal(report.Warnings, back.Warnings);
        Assert.Equal(report.RawSamplesMs, back.RawSamplesMs);
        Assert.Equal(report.Environment.IsaFeatures, back.Environment.IsaFeatures);
        Assert.Equal(report.Environment.Architecture, back.Environment.Architecture);
        Assert.Equal(report.Model.InputShapes["input"], back.Model.InputShapes["input"]);
        Assert.Equal(report.Backend.Options, back.Backend.Options);
        Assert.Equal(report.Settings, back.Settings);
        Assert.Equal(report.Memory, back.Memory);
        Assert.Equal(report.Stability, back.Stability);
        Assert.Equal(report.LatencyMs, back.LatencyMs);
        Assert.Equal(report.Model.Name, back.Model.Name);
    }

    [Fact]
    public void DoublesRoundTripExactlyIncludingNonFiniteValues()
    {
        ProfileReport report = ReportSamples.Full() with
        {
            LoadMs = 0.1 + 0.2,
            FirstRunMs = double.NaN,
            Stability = new StabilitySummary { CoefficientOfVariation = 1e-300, Drift = double.PositiveInfinity, PossibleThrottling = true },
            RawSamplesMs = [double.NegativeInfinity, 5e-324, double.MaxValue],
        };

        string json = ReportJson.Format(report);
        ProfileReport back = ReportJson.Parse(json);

        Assert.Equal(0.1 + 0.2, back.LoadMs);
        Assert.True(double.IsNaN(back.FirstRunMs));
        Assert.Equal(double.PositiveInfinity, back.Stability.Drift);
        Assert.Equal(1e-300, back.Stability.CoefficientOfVariation);
        Assert.Equal([double.NegativeInfinity, 5e-324, double.MaxValue], back.RawSamplesMs);
        Assert.Equal(json, ReportJson.Format(back));
        Assert.Contains("\"drift\": \"Infinity\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void StableFieldNamesAppearLiterally()
    {
        string json = ReportJson.Format(ReportSamples.Full());

        string[] expected =
        [
            "\"schema\": \"" + ProfileReport.CurrentSchema + "\"",
            "\"model\": {", "\"name\": \"squeeze, \\\"net\\\" | v1.1\"", "\"parameters\": 1235496", "\"macs\": 352000000",
            "\"fileBytes\": 4950000",
            "\"backend\": {", "\"name\": \"ort-cpu\"",
            "\"latencyMs\": {", "\"mean\": 1.25", "\"median\": 1.2", "\"p90\": 1.5", "\"p95\": 1.6", "\"p99\": 1.9", "\"min\": 1.1",
            "\"max\": 2", "\"std\": 0.125",
            "\"loadMs\": 42.5", "\"firstRunMs\": 7.75", "\"throughputPerSecond\": 800",
            "\"memory\": {", "\"peakRssBytes\": 123456789",
            "\"operators\": [", "\"name\": \"conv1\"", "\"opType\": \"Conv\"", "\"totalMs\": 3.5", "\"percent\": 70",
            "\"operatorTypes\": [",
            "\"architecture\": \"X64\"",
        ];
        foreach (string fragment in expected)
        {
            Assert.Contains(fragment, json, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("standardDeviation", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"width\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", json, StringComparison.Ordinal);

        // The same names, found structurally.
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal("ort-cpu", root.GetProperty("backend").GetProperty("name").GetString());
        Assert.Equal(4950000, root.GetProperty("model").GetProperty("fileBytes").GetInt64());
        foreach (string name in new[] { "mean", "median", "p90", "p95", "p99", "min", "max", "std" })
        {
            Assert.Equal(JsonValueKind.Number, root.GetProperty("latencyMs").GetProperty(name).ValueKind);
        }

        JsonElement op = root.GetProperty("operators")[1];
        Assert.Equal("relu|1", op.GetProperty("name").GetString());
        Assert.Equal("Relu", op.GetProperty("opType").GetString());
        Assert.Equal(1.5, op.GetProperty("totalMs").GetDouble());
        Assert.Equal(30, op.GetProperty("percent").GetDouble());
    }

    [Fact]
    public void FilesRoundTripAndManyReportsUseTheResultsSchema()
    {
        using var dir = new TempDirectory();
        ProfileReport a = ReportSamples.Full();
        ProfileReport b = a with { Backend = a.Backend with { Name = "ort-cpu:threads=1" }, Operators = [], OperatorTypes = [] };

        string single = dir.File("one.json");
        ReportJson.Write(a, single);
        Assert.Equal(ReportJson.Format(a), File.ReadAllText(single));
        Assert.Equal(ReportJson.Format(a), ReportJson.Format(ReportJson.Read(single)));

        string many = dir.File("sub/results.json");
        ReportJson.Write([a, b], many);
        string text = File.ReadAllText(many);
        Assert.StartsWith("{\n  \"schema\": \"lightnet.results/1\",\n  \"reports\": [", text, StringComparison.Ordinal);
        IReadOnlyList<ProfileReport> back = ReportJson.ReadMany(many);
        Assert.Equal(2, back.Count);
        Assert.Equal(text, ReportJson.Format(back));
        Assert.Equal("ort-cpu:threads=1", back[1].Backend.Name);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));

        // A single report reads as a list of one; a results file is not a single report.
        Assert.Single(ReportJson.ReadMany(single));
        var e = Assert.Throws<LightNetException>(() => ReportJson.Read(many));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("ReadMany", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownMajorVersionIsRefusedNamingFileAndSchema()
    {
        using var dir = new TempDirectory();
        string json = ReportJson.Format(ReportSamples.Full());
        string path = dir.File("future.json");
        File.WriteAllText(path, json.Replace(ProfileReport.CurrentSchema, "lightnet.profile/2", StringComparison.Ordinal));

        var e = Assert.Throws<LightNetException>(() => ReportJson.Read(path));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("lightnet.profile/2", e.Message, StringComparison.Ordinal);

        // A newer minor version of a known major is read.
        string minor = json.Replace(ProfileReport.CurrentSchema, "lightnet.profile/1.3", StringComparison.Ordinal);
        Assert.Equal("lightnet.profile/1.3", ReportJson.Parse(minor).Schema);

        // Another schema, a missing one, and a results file of a future major version.
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() =>
            ReportJson.Parse(json.Replace(ProfileReport.CurrentSchema, "other.thing/1", StringComparison.Ordinal))).Code);
        var missing = Assert.Throws<LightNetException>(() => ReportJson.Parse("{ \"model\": {} }"));
        Assert.Contains("schema", missing.Message, StringComparison.Ordinal);
        string results = ReportJson.Format([ReportSamples.Full()]);
        var future = Assert.Throws<LightNetException>(() =>
            ReportJson.ParseMany(results.Replace("lightnet.results/1", "lightnet.results/3", StringComparison.Ordinal)));
        Assert.Contains("lightnet.results/3", future.Message, StringComparison.Ordinal);
        var inner = Assert.Throws<LightNetException>(() =>
            ReportJson.ParseMany(results.Replace(ProfileReport.CurrentSchema, "lightnet.profile/9", StringComparison.Ordinal)));
        Assert.Contains("reports[0]", inner.Message, StringComparison.Ordinal);
        Assert.Contains("lightnet.profile/9", inner.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedJsonIsRefusedNamingFileAndPosition()
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.json");
        string json = ReportJson.Format(ReportSamples.Full());
        File.WriteAllText(path, json[..(json.Length / 2)]);

        var e = Assert.Throws<LightNetException>(() => ReportJson.Read(path));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("line ", e.Message, StringComparison.Ordinal);

        var text = Assert.Throws<LightNetException>(() => ReportJson.Parse("{\n  \"schema\": \"lightnet.profile/1\",\n  \"loadMs\": 1.0.0\n}"));
        Assert.Equal(ErrorCode.InvalidArgument, text.Code);
        Assert.Contains("line 3", text.Message, StringComparison.Ordinal);

        // Valid JSON of the wrong shape names the path of the bad value.
        string wrongType = json.Replace("\"loadMs\": 42.5", "\"loadMs\": [1]", StringComparison.Ordinal);
        var shape = Assert.Throws<LightNetException>(() => ReportJson.Parse(wrongType));
        Assert.Equal(ErrorCode.InvalidArgument, shape.Code);
        Assert.Contains("loadMs", shape.Message, StringComparison.Ordinal);

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportJson.Parse("[1, 2]")).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportJson.Parse("")).Code);
        Assert.Equal(ErrorCode.IOFailure, Assert.Throws<LightNetException>(() => ReportJson.Read(dir.File("missing.json"))).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportJson.Write(ReportSamples.Full(), " ")).Code);
    }

    [Fact]
    public void RealReportRoundTripsAndGivesOneCsvRow()
    {
        ProfileReport report = Profiler.Measure(
            ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }),
            Backend.Parse("ort-cpu"),
            ProfileOptions.Quick with { MinSeconds = 0, Runs = 5, WarmupRuns = 1, PerOperatorProfile = true, PerOperatorRuns = 2 });

        string json = ReportJson.Format(report);
        ProfileReport back = ReportJson.Parse(json);
        Assert.Equal(json, ReportJson.Format(back));
        Assert.Equal("squeezenet1_1", back.Model.Name);
        Assert.Equal(report.LatencyMs, back.LatencyMs);
        Assert.NotEmpty(back.Operators);

        string csv = ReportCsv.Format([back]);
        string[] lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("squeezenet1_1,ort-cpu,", lines[1], StringComparison.Ordinal);

        string markdown = ReportMarkdown.Format(back);
        Assert.Contains("# squeezenet1_1 on ort-cpu", markdown, StringComparison.Ordinal);
        Assert.Contains("| Op type | Nodes | Calls | Total ms | % |", markdown, StringComparison.Ordinal);
    }
}

/// <summary>A hand-built report with every part filled, for the exporter tests.</summary>
internal static class ReportSamples
{
    public static ProfileReport Full() => new()
    {
        CreatedUtc = new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero).AddTicks(8979),
        Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = "1.22.0", Architecture = System.Runtime.InteropServices.Architecture.X64 },
        Model = new ModelSummary
        {
            Name = "squeeze, \"net\" | v1.1",
            Parameters = 1235496,
            Macs = 352_000_000,
            FileBytes = 4_950_000,
            WeightBytes = 4_941_984,
            PeakActivationBytes = 3_211_264,
            Opset = 17,
            Producer = "LightNet 0.1.0",
            InputShapes = new Dictionary<string, long[]> { ["input"] = [1, 3, 224, 224] },
        },
        Backend = new BackendSummary
        {
            Name = "ort-cpu",
            Kind = "OnnxRuntime",
            Precision = "Fp32",
            Device = "cpu",
            Options = new Dictionary<string, string> { ["threads"] = "4", ["Graph Level"] = "all" },
        },
        Settings = new MeasurementSettings
        {
            WarmupRuns = 10,
            Runs = 100,
            MinRuns = 100,
            MinSeconds = 1,
            MaxSeconds = 30,
            Threads = 4,
            BatchSize = 1,
            InputFill = "Random",
            CooldownMs = 0,
        },
        LoadMs = 42.5,
        FirstRunMs = 7.75,
        LatencyMs = new LatencySummary
        {
            Count = 100,
            Mean = 1.25,
            Median = 1.2,
            P90 = 1.5,
            P95 = 1.6,
            P99 = 1.9,
            Min = 1.1,
            Max = 2.0,
            StandardDeviation = 0.125,
            MeanCi = new ConfidenceInterval(1.2251966, 1.2748034, 0.95),
            MedianCi = new ConfidenceInterval(1.18, 1.22, 0.9648),
        },
        ThroughputPerSecond = 800,
        ItemsPerSecond = 800,
        Memory = new MemorySummary { RssBeforeLoadBytes = 100_000_000, RssAfterLoadBytes = 120_000_000, PeakRssBytes = 123_456_789, ManagedBytesPerRun = 0 },
        Stability = new StabilitySummary { CoefficientOfVariation = 0.1, Drift = 1.02, PossibleThrottling = false },
        Warnings = ["Noisy timings, \"really\": cv 10%", "Second line\nof a warning"],
        Operators =
        [
            new OperatorTiming("conv1", "Conv", "CPUExecutionProvider", 100, 3.5, 0.035, 70),
            new OperatorTiming("relu|1", "Relu", "CPUExecutionProvider", 100, 1.5, 0.015, 30),
        ],
        OperatorTypes =
        [
            new OperatorTypeTiming("Conv", 1, 100, 3.5, 70),
            new OperatorTypeTiming("Relu", 1, 100, 1.5, 30),
        ],
        RawSamplesMs = [1.1, 1.2, 2.0, 1.25],
    };
}

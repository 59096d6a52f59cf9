using System.Text.Json;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>study merge: several devices in one report, comparable studies only, and GPU / mobile backends as columns like any other.</summary>
[Collection(StudyCollection.Name)]
public sealed class StudyFleetTests(StudyFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The fixture as measured on a second device: every latency sample scaled, and another thread count.</summary>
    private static StudyResults Scaled(StudyResults r, double factor, int threads) => r with
    {
        Settings = r.Settings with { Threads = threads },
        Cells = r.Cells.Select(c => c.Report is null ? c : c with
        {
            Report = c.Report with
            {
                RawSamplesMs = c.Report.RawSamplesMs!.Select(x => x * factor).ToList(),
                LatencyMs = LatencySummary.From(LatencyStatistics.FromSamples([.. c.Report.RawSamplesMs!.Select(x => x * factor)])),
            },
        }).ToList(),
    };

    /// <summary>
    /// A results.json fixture of a device with a GPU and an NPU: the fixture's ort-cpu cells as measured on cudnn, ort-cuda:fp16 and
    /// ort-nnapi (an Android phone's NNAPI), with the device and kind those backends report.
    /// </summary>
    private static StudyResults Accelerated(StudyResults r)
    {
        string[] names = ["cudnn", "ort-cuda:fp16", "ort-nnapi"];
        var cells = r.Cells.Where(c => c.Backend != "ort-cpu").ToList();
        foreach (string name in names)
        {
            double factor = name == "ort-nnapi" ? 0.5 : 0.1;
            cells.AddRange(Scaled(r, factor, 1).Cells.Where(c => c.Backend == "ort-cpu" && (name != "ort-cuda:fp16" || c.Precision == Precision.Fp32))
                .Select(c => c with { Backend = name, Report = c.Report! with { Backend = c.Report.Backend with { Name = name, Device = name == "ort-nnapi" ? "npu" : "cuda:0" } } }));
        }

        return r with
        {
            Environment = r.Environment with { CpuModel = "NVIDIA Jetson Orin (test fixture)" },
            Settings = r.Settings with { Backends = [StudyOptions.PlainBaseline, .. names] },
            Cells = cells,
            Recommendation = ModelSelector.Recommend(r with { Cells = cells }),
        };
    }

    [Fact]
    public void TwoDevicesMergeIntoOneReportWithRatiosAndARecommendationEach()
    {
        StudyResults a = fixture.Results, b = Scaled(fixture.Results, 2.0, 2);
        FleetResults fleet = StudyFleet.Merge([("t1", a), ("t2", b)], new SelectionConstraints { MaxModelMiB = 2 });
        Assert.Empty(fleet.Incompatibilities);
        Assert.Contains(fleet.Differences, d => d.StartsWith("threads per inference differs (t1: 1, t2: 2)", StringComparison.Ordinal));
        Assert.All(fleet.Devices, d => Assert.True(d.Recommendation!.Best!.FileBytes <= 2 * 1024 * 1024));

        IReadOnlyList<FleetCell> cells = StudyFleet.Cells(fleet);
        Assert.Equal(a.Cells.Count(c => c.Report is not null), cells.Count);
        foreach (FleetCell c in cells)
        {
            Assert.Equal(1.0, c.Ratio[0]);
            Assert.Equal(2.0, c.Ratio[1], 9);
            Assert.True(c.RatioCi[1].Lower <= 2.0 + 1e-9 && c.RatioCi[1].Upper >= 2.0 - 1e-9, $"{c.RatioCi[1]}");
            Assert.Equal(2 * a.Cell(c.Model, c.Backend, c.Precision)!.Report!.LatencyMs.Median, c.MedianMs[1], 9);
        }

        string folder = Path.Combine(_temp.Path, "fleet");
        StudyFleet.Write(fleet, folder);
        string md = File.ReadAllText(Path.Combine(folder, "summary.md"));
        Assert.Contains("| Model | Backend | Precision | t1 median ms | t2 median ms | t2 / t1 |", md);
        Assert.Contains("| t1 | " + fleet.Devices[0].Recommendation!.Best, md);
        Assert.Contains("| t2 | " + fleet.Devices[1].Recommendation!.Best, md);
        Assert.DoesNotContain("∞", md);
        string html = File.ReadAllText(Path.Combine(folder, "index.html"));
        Assert.Contains("<tr class=\"groups\"><th colspan=\"3\">Cell</th><th colspan=\"1\">t1</th><th colspan=\"2\">t2</th></tr>", html);
        Assert.Contains("data-chart=\"latency\"", html);

        FleetResults back = StudyFleet.Read(Path.Combine(folder, "results.json"));
        Assert.Equal(["t1", "t2"], back.Devices.Select(d => d.Name));
        (StudyResults t2, _) = StudyFleet.Open(Path.Combine(folder, "results.json"), "T2");
        Assert.Equal(2, t2.Settings.Threads);
        var e = Assert.Throws<LightNetException>(() => StudyFleet.Open(Path.Combine(folder, "results.json"), null));
        Assert.Contains("name one with --device (t1, t2)", e.Message);
        e = Assert.Throws<LightNetException>(() => StudyFleet.Open(Path.Combine(folder, "results.json"), "t3"));
        Assert.Contains("no device 't3'", e.Message);
    }

    [Fact]
    public void IncompatibleStudiesAreRefusedWithTheReasonOrFlaggedWhenForced()
    {
        StudyResults a = fixture.Results;
        StudyResults other = a with
        {
            Environment = a.Environment with { LightNetVersion = "9.9.9" },
            Models = a.Models.Select(m => m with { Variants = m.Variants.Select(v => v.Precision == Precision.Int8 ? v with { Sha256 = new string('0', 64) } : v).ToList() }).ToList(),
        };
        var e = Assert.Throws<LightNetException>(() => StudyFleet.Merge([("a", a), ("b", other)]));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains($"LightNet version differs (a: {a.Environment.LightNetVersion}, b: 9.9.9)", e.Message);
        Assert.Contains("the int8 variant of squeezenet1_1 is not the same file on a and b", e.Message);
        Assert.Contains("--allow-mismatch", e.Message);

        FleetResults forced = StudyFleet.Merge([("a", a), ("b", other)], allowIncompatible: true);
        Assert.Equal(3, forced.Incompatibilities.Count);
        string folder = Path.Combine(_temp.Path, "forced");
        StudyFleet.Write(forced, folder);
        Assert.Contains("NOT COMPARABLE, merged anyway: LightNet version differs", File.ReadAllText(Path.Combine(folder, "summary.md")));

        Assert.Contains("at least two devices", Assert.Throws<LightNetException>(() => StudyFleet.Merge([("a", a)])).Message);
        Assert.Contains("given twice", Assert.Throws<LightNetException>(() => StudyFleet.Merge([("a", a), ("A", a)])).Message);
    }

    [Fact]
    public void GpuAndMobileColumnsAreRenderedAndMerged()
    {
        string path = _temp.File("jetson.json");
        StudyJson.Write(Accelerated(fixture.Results), path);
        StudyResults gpu = StudyJson.Read(path);

        string report = Path.Combine(_temp.Path, "gpu");
        StudyReport.Write(gpu, report);
        string md = File.ReadAllText(Path.Combine(report, "summary.md"));
        Assert.Contains($"| Model | {StudyOptions.PlainBaseline} (baseline) | cudnn | ort-cuda:fp16 | ort-nnapi |", md);
        Assert.Contains("| squeezenet1_1 | ort-nnapi | ", md);
        Assert.Contains("on ort-nnapi", gpu.Recommendation!.Summary + md);
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("data-series=\"ort-cuda:fp16 fp32\"", html);

        FleetResults fleet = StudyFleet.Merge([("desktop", fixture.Results), ("jetson", gpu)]);
        IReadOnlyList<FleetCell> cells = StudyFleet.Cells(fleet);
        FleetCell cudnn = cells.Single(c => c.Model == "squeezenet1_1" && c.Backend == "cudnn" && c.Precision == Precision.Int8);
        Assert.True(double.IsNaN(cudnn.MedianMs[0]) && double.IsFinite(cudnn.MedianMs[1]), "cudnn: only on the jetson");
        Assert.True(double.IsNaN(cudnn.Ratio[1]));
        FleetCell baseline = cells.Single(c => c.Model == "squeezenet1_1" && c.Backend == StudyOptions.PlainBaseline);
        Assert.Equal(1.0, baseline.Ratio[1], 9); // the baseline cells are the same samples on both
        Assert.Equal(ModelSelector.Recommend(gpu).Best, fleet.Device("jetson").Recommendation!.Best);
        Assert.Equal("cudnn", ModelSelector.Candidates(gpu).Where(c => c.Precision == Precision.Int8).MinBy(c => c.MedianMs)!.Backend);

        string folder = Path.Combine(_temp.Path, "fleet");
        StudyFleet.Write(fleet, folder);
        string fleetMd = File.ReadAllText(Path.Combine(folder, "summary.md"));
        Assert.Contains("| squeezenet1_1 | cudnn | int8 | — | ", fleetMd);
        Assert.Contains("| NVIDIA Jetson Orin (test fixture) |", fleetMd.Replace("| CPU | " + fixture.Results.Environment.CpuModel + " ", "| "));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        Assert.Equal("lightnet.fleet/1", json.RootElement.GetProperty("schema").GetString());
    }
}

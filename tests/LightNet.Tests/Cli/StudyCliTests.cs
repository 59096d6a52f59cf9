using LightNet.Backends;
using LightNet.Cli;
using LightNet.Reports;
using LightNet.Study;
using LightNet.Tests.Study;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Cli;

/// <summary>lightnet study and lightnet recommend, in-process.</summary>
[Collection(StudyCollection.Name)]
public sealed class StudyCliTests(StudyFixture fixture) : IDisposable
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

    private static void AssertOneLineError(Result r, int exitCode, string code, params string[] fragments)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}, expected {exitCode}; stderr: {r.Err}; stdout: {r.Out}");
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error [{code}]: ", line);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, line);
        }
    }

    private string FixtureResults()
    {
        string path = _temp.File("results.json");
        StudyJson.Write(fixture.Results, path);
        return path;
    }

    [Fact]
    public void StudyWritesTheThreeFilesAndRecordsTheCommand()
    {
        string output = Path.Combine(_temp.Path, "report");
        Result r = Run("study", "--quick", "-m", "squeezenet1_1", "--resolution", "64", "-b", "ort-cpu", "-p", "fp32,int8", "-n", "4", "-t", "1",
            "--budget-ms", "100000", "-o", output);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        foreach (string file in new[] { "index.html", "summary.md", "results.json" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        StudyResults results = StudyJson.Read(Path.Combine(output, "results.json"));
        Assert.Equal($"lightnet study --quick -m squeezenet1_1 --resolution 64 -b ort-cpu -p fp32,int8 -n 4 -t 1 --budget-ms 100000 -o {output}", results.Command);
        Assert.Equal([Precision.Fp32, Precision.Int8], results.Settings.Precisions);
        Assert.Equal(3, results.Cells.Count); // baseline fp32, ort-cpu fp32 and int8
        Assert.True(results.Settings.Quick);
        Assert.Equal(100000, results.Recommendation!.Constraints.MaxLatencyMs);
        Assert.Contains("squeezenet1_1", r.Out);
        Assert.Contains("Recommendation: squeezenet1_1 · ", r.Out);
        Assert.Contains($"Wrote {Path.Combine(output, "index.html")}", r.Out);
        Assert.Contains(results.Command, File.ReadAllText(Path.Combine(output, "index.html")));
    }

    [Fact]
    public void RecommendPicksACandidateOrNamesTheClosestWhenNothingFits()
    {
        string path = FixtureResults();
        Result ok = Run("recommend", path, "--budget-ms", "100000", "--min-accuracy", "55");
        Assert.True(ok.ExitCode == 0, ok.Err);
        Assert.Contains("Recommendation: squeezenet1_1 · ", ok.Out);
        Assert.Contains("rejected: estimated top-1 ", ok.Out);

        Result none = Run("recommend", path, "--budget-ms", "0.0001", "--budget-mb", "0.01");
        AssertOneLineError(none, 1, "InvalidArgument", "No candidate meets median ≤ 0.0001 ms, file ≤ 0.01 MiB. The closest is ");
        Assert.Contains("rejected: median ", none.Out);

        Result json = Run("recommend", path, "--json", "--objective", "accurate");
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"objective\": \"MostAccurate\"", json.Out);
        Assert.Contains("\"verdicts\": [", json.Out);
    }

    [Fact]
    public void BadInputsAreClearErrorsBeforeAnythingIsMeasured()
    {
        string file = _temp.File("plain.txt");
        File.WriteAllText(file, "x");
        AssertOneLineError(Run("study", "--quick", "-m", "squeezenet1_1", "-o", Path.Combine(file, "report")), 1, "IOFailure",
            "Cannot write the report into", "plain.txt");
        AssertOneLineError(Run("study", "--quick", "-m", "squeezenet1_1", "-o", file), 1, "InvalidArgument", "is a file");

        string profile = _temp.File("profile.json");
        ReportJson.Write(fixture.Results.Cells[0].Report!, profile);
        string output = Path.Combine(_temp.Path, "never");
        AssertOneLineError(Run("study", "--quick", "--compare", profile, "-o", output), 1, "InvalidArgument",
            "profile.json", $"'{LightNet.Profiling.ProfileReport.CurrentSchema}', an unknown schema; this LightNet reads 'lightnet.study/1'");
        string v2 = _temp.File("v2.json");
        File.WriteAllText(v2, StudyJson.Format(fixture.Results).Replace("lightnet.study/1", "lightnet.study/2"));
        AssertOneLineError(Run("study", "--quick", "--compare", v2, "-o", output), 1, "InvalidArgument", "an unknown major version");
        Assert.False(Directory.Exists(output));

        AssertOneLineError(Run("study", "-m", "mobilenet_v9", "-o", output), 1, "InvalidArgument", "mobilenet_v9", "Did you mean");
        AssertOneLineError(Run("study", "-p", "fp64", "-o", output), 2, "Usage", "Unknown precision 'fp64'");
        AssertOneLineError(Run("study", "--budget-ms", "-5", "-o", output), 2, "Usage", "latency budget");
        AssertOneLineError(Run("recommend", _temp.File("missing.json")), 1, "IOFailure", "missing.json");
        AssertOneLineError(Run("recommend", profile), 1, "InvalidArgument", "unknown schema");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void StudyCompareListsTheChangesAgainstAnEarlierStudy()
    {
        string old = FixtureResults();
        string output = Path.Combine(_temp.Path, "again");
        Result r = Run("study", "--quick", "-m", "squeezenet1_1,mobilenet_v1@0.25", "--resolution", "64", "-b", "ort-cpu", "-p", "fp32", "-n", "4",
            "--compare", old, "-o", output);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("Compared with the study of ", r.Out);
        string md = File.ReadAllText(Path.Combine(output, "summary.md"));
        Assert.Contains("## Changes since the earlier study", md);
        Assert.Contains("| squeezenet1_1 | ort-cpu | int8 | ", md); // measured before, not now
        Assert.Contains("| gone |", md);
    }

    [Fact]
    public void MergeRecommendPerDeviceAndEmitTheModel()
    {
        string a = Path.Combine(_temp.Path, "t1"), b = Path.Combine(_temp.Path, "t2");
        StudyJson.Write(fixture.Results, Path.Combine(Directory.CreateDirectory(a).FullName, "results.json"));
        StudyJson.Write(fixture.Results with { Settings = fixture.Results.Settings with { Threads = 2 } }, Path.Combine(Directory.CreateDirectory(b).FullName, "results.json"));
        string fleet = Path.Combine(_temp.Path, "fleet");
        Result merged = Run("study", "merge", Path.Combine(a, "results.json"), Path.Combine(b, "results.json"), "-o", fleet, "--budget-mb", "2");
        Assert.True(merged.ExitCode == 0, merged.Err + merged.Out);
        Assert.Contains("note: threads per inference differs (t1: 1, t2: 2)", merged.Out);
        Assert.Contains("t1: ", merged.Out);
        Assert.Contains("t2: ", merged.Out);

        string emit = Path.Combine(_temp.Path, "deploy");
        Result r = Run("recommend", Path.Combine(fleet, "results.json"), "--device", "t2", "--budget-mb", "1", "--emit", emit);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("Wrote ", r.Out);
        Deployment.DeploymentManifest manifest = Deployment.DeploymentManifest.Read(emit);
        Assert.Equal(2, manifest.Threads);
        Assert.True(manifest.FileBytes <= 1024 * 1024);
        Assert.NotNull(Model.LoadFromManifest(emit));

        AssertOneLineError(Run("recommend", Path.Combine(fleet, "results.json")), 1, "InvalidArgument", "name one with --device (t1, t2)");
        StudyJson.Write(fixture.Results with { Environment = fixture.Results.Environment with { LightNetVersion = "0.0.1-old" } }, Path.Combine(b, "results.json"));
        AssertOneLineError(Run("study", "merge", Path.Combine(a, "results.json"), "phone=" + Path.Combine(b, "results.json"), "-o", fleet), 1, "InvalidArgument",
            "not comparable", "LightNet version differs (t1: ", "phone: 0.0.1-old)");
        Result forced = Run("study", "merge", Path.Combine(a, "results.json"), "phone=" + Path.Combine(b, "results.json"), "-o", fleet, "--allow-mismatch");
        Assert.True(forced.ExitCode == 0, forced.Err);
        Assert.Contains("warning: not comparable: LightNet version differs", forced.Out);
    }

    [Fact]
    public void StudyEvalMeasuresTheAccuracyOfEveryPrecision()
    {
        string set = Path.Combine(_temp.Path, "set");
        foreach (string label in new[] { "0", "1" })
        {
            Directory.CreateDirectory(Path.Combine(set, label));
            using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(40, 30);
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, Path.Combine(set, label, "a.png"));
        }

        string output = Path.Combine(_temp.Path, "eval");
        Result r = Run("study", "--quick", "-m", "mobilenet_v1@0.25", "--resolution", "64", "-b", "ort-cpu", "-p", "fp32,int8", "-n", "2", "-t", "1",
            "--eval", set, "--eval-images", "2", "-o", output);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        StudyResults results = StudyJson.Read(Path.Combine(output, "results.json"));
        Assert.Equal((set, 2), (results.Settings.EvaluationSource, results.Settings.EvaluationImages));
        Assert.All(results.Models[0].Variants, v => Assert.Equal(2, v.Accuracy!.Images));
        Assert.Contains("| Measured top-1 % | Measured top-5 % |", File.ReadAllText(Path.Combine(output, "summary.md")));

        AssertOneLineError(Run("study", "--synsets", "x.txt", "-o", output), 2, "Usage", "--synsets and --eval-images need --eval");
        AssertOneLineError(Run("study", "--eval", Path.Combine(_temp.Path, "nothing"), "-o", output), 1, "IOFailure", "nothing' is neither a folder nor a file");
    }
}

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
        File.WriteAllText(v2, StudyJson.Serialize(fixture.Results).Replace("lightnet.study/1", "lightnet.study/2"));
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
}

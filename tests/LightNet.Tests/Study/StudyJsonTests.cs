using LightNet.Backends;
using LightNet.Reports;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>results.json: the profiler's conventions, a round trip, and clear errors for other files.</summary>
[Collection(StudyCollection.Name)]
public sealed class StudyJsonTests(StudyFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ResultsRoundTripThroughAFileAndEmbedProfileReports()
    {
        string path = _temp.File("results.json");
        StudyJson.Write(fixture.Results, path);
        string text = File.ReadAllText(path);
        Assert.StartsWith("{\n  \"schema\": \"lightnet.study/1\"", text);
        Assert.Contains("\"schema\": \"" + LightNet.Profiling.ProfileReport.CurrentSchema + "\"", text);
        Assert.Contains("\"precision\": \"Int8\"", text);
        Assert.DoesNotContain("\"width\":", text); // a confidence interval's width is derived, as in profile reports

        StudyResults back = StudyJson.Read(path);
        Assert.Equal(text, StudyJson.Format(back));
        Assert.Equal(fixture.Results.Cells.Count, back.Cells.Count);
        Assert.Equal(fixture.Results.Cell("squeezenet1_1", "ort-cpu", Precision.Int8)!.Report!.RawSamplesMs,
            back.Cell("squeezenet1_1", "ort-cpu", Precision.Int8)!.Report!.RawSamplesMs);
        Assert.Equal(fixture.Results.Recommendation!.Summary, back.Recommendation!.Summary);
        Assert.Equal(fixture.Results.Models[0].Variants[2].Fidelity, back.Models[0].Variants[2].Fidelity);
    }

    [Fact]
    public void AMinorVersionIsReadAndOtherSchemasAreRefusedNamingTheFile()
    {
        string json = StudyJson.Format(fixture.Results);
        Assert.Equal(fixture.Results.Cells.Count, StudyJson.Parse(json.Replace("lightnet.study/1", "lightnet.study/1.4")).Cells.Count);

        string v2 = _temp.File("v2.json");
        File.WriteAllText(v2, json.Replace("\"schema\": \"lightnet.study/1\"", "\"schema\": \"lightnet.study/2\""));
        var e = Assert.Throws<LightNetException>(() => StudyJson.Read(v2));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("v2.json", e.Message);
        Assert.Contains("'lightnet.study/2', an unknown major version", e.Message);

        string profile = _temp.File("profile.json");
        ReportJson.Write(fixture.Results.Cells[0].Report!, profile);
        e = Assert.Throws<LightNetException>(() => StudyJson.Read(profile));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains($"'{LightNet.Profiling.ProfileReport.CurrentSchema}', an unknown schema; this LightNet reads 'lightnet.study/1'", e.Message);

        e = Assert.Throws<LightNetException>(() => StudyJson.Parse("{\"schema\": \"lightnet.study/1\", \"cells\": [}"));
        Assert.Contains("not valid JSON", e.Message);
        e = Assert.Throws<LightNetException>(() => StudyJson.Read(_temp.File("missing.json")));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
    }

    [Fact]
    public void TheReportFolderGetsThreeFilesWrittenAtomically()
    {
        string folder = Path.Combine(_temp.Path, "nested", "report");
        IReadOnlyList<string> written = StudyReport.Write(fixture.Results, folder);
        Assert.Equal(["index.html", "summary.md", "results.json"], written.Select(Path.GetFileName));
        Assert.Equal(3, Directory.GetFiles(folder).Length); // no temporary or probe file left behind
        string md = File.ReadAllText(Path.Combine(folder, "summary.md"));
        Assert.Contains("## Latency per model and backend (FP32)", md);
        Assert.Contains("| squeezenet1_1 | ort-cpu | ", md);
        Assert.Contains("## Speed-up over ort-cpu:opt=none (FP32 = 1)", md);
        Assert.Contains("| 1.00× |", md);
        Assert.Contains("## Accuracy cost of compression", md);
        Assert.Contains("## Operators of squeezenet1_1 on ort-cpu (FP32)", md);
        Assert.Contains("## Recommendation: why this model\n\n" + fixture.Results.Recommendation!.Summary, md);
        Assert.Contains("**Command:** `lightnet study (test fixture)`", md);

        string html = File.ReadAllText(Path.Combine(folder, "index.html"));
        foreach (string external in new[] { "<script", "<link", "<img", "src=", "@import", "url(", "@font-face" })
        {
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        }

        string file = _temp.File("plain.txt");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<LightNetException>(() => StudyReport.Write(fixture.Results, file));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        e = Assert.Throws<LightNetException>(() => StudyReport.EnsureWritable(Path.Combine(file, "sub")));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("plain.txt", e.Message);
    }
}

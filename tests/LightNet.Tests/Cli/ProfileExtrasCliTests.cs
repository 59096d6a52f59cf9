using LightNet.Cli;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Cli;

/// <summary><c>lightnet profile</c>'s sustained, load, HTML and cold-start flags (issue 16).</summary>
public sealed class ProfileExtrasCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void SustainedAndLoadReachTheConsoleJsonMarkdownHtmlAndTimeline()
    {
        string json = _temp.File("r.json"), md = _temp.File("r.md"), html = _temp.File("r.html"), timeline = _temp.File("t.csv");

        var r = Run("profile", "squeezenet1_1", "--quick", "--runs", "3", "--min-time", "0", "--threads", "1",
            "--sustained", "1", "--timeline", timeline, "--concurrency", "2", "--json", json, "--md", md, "--html", html);

        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("Warm-up:", r.Out);
        Assert.Contains("Sustained run:", r.Out);
        Assert.Contains("Throughput under load", r.Out);
        ProfileReport report = ReportJson.Read(json);
        Assert.Equal(ProfileReport.CurrentSchema, report.Schema);
        Assert.NotNull(report.Warmup);
        Assert.NotEmpty(report.Sustained!.Timeline);
        Assert.Equal([1, 2], report.Load!.Steps.Select(s => s.Concurrency));
        Assert.StartsWith("tSeconds,runs,medianMs,p90Ms,", File.ReadAllText(timeline));
        Assert.Contains("## Sustained run", File.ReadAllText(md));
        Assert.Contains("## Throughput under load", File.ReadAllText(md));
        string page = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.Contains("<polyline class=\"median\"", page);
    }

    [Theory]
    [InlineData("--timeline", "t.csv")]
    [InlineData("--cold", "0")]
    [InlineData("--concurrency", "0")]
    [InlineData("--sustained", "-1")]
    [InlineData("--rate", "0")]
    public void BadExtraFlagsAreUsageErrors(string flag, string value)
    {
        var r = Run("profile", "squeezenet1_1", "--quick", flag, value);

        Assert.NotEqual(0, r.Code);
        Assert.Contains(flag, r.Err);
    }

    [Fact]
    public void TheColdStartProbePrintsItsResultLine()
    {
        var r = Run("cold-start-probe", "squeezenet1_1", "--backend", "ort-cpu", "--threads", "1");

        Assert.True(r.Code == 0, r.Err);
        Assert.StartsWith(ColdStart.ProbeLinePrefix, r.Out.Trim());
        Assert.DoesNotContain("cold-start-probe", Run("--help").Out); // hidden
    }
}

using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Reports;

public class ReportMarkdownTests
{
    [Fact]
    public void FormatHasHeadingEnvironmentLatencyTableAndSections()
    {
        ProfileReport report = ReportSamples.Full();
        string md = ReportMarkdown.Format(report);

        Assert.StartsWith("# squeeze, \"net\" | v1.1 on ort-cpu\n", md, StringComparison.Ordinal);
        string environment = md.Split('\n').Single(line => line.StartsWith("**Environment:**", StringComparison.Ordinal));
        Assert.Contains(report.Environment.CpuModel, environment, StringComparison.Ordinal);
        Assert.Contains($"{report.Environment.LogicalCores} logical cores", environment, StringComparison.Ordinal);
        Assert.Contains(report.Environment.DotNetRuntime, environment, StringComparison.Ordinal);
        Assert.Contains("ONNX Runtime 1.22.0", environment, StringComparison.Ordinal);
        Assert.Contains($"LightNet {report.Environment.LightNetVersion}", environment, StringComparison.Ordinal);
        foreach (string isa in report.Environment.IsaFeatures)
        {
            Assert.Contains(isa, environment, StringComparison.Ordinal);
        }

        Assert.Contains("| Statistic | ms | 95% CI (ms) |\n|---|---:|---|\n", md, StringComparison.Ordinal);
        Assert.Contains("| Mean | 1.250 ± 0.025 | [1.225, 1.275] |", md, StringComparison.Ordinal);
        Assert.Contains("| Median | 1.200 | [1.180, 1.220] (coverage 96.5%) |", md, StringComparison.Ordinal);
        Assert.Contains("| P90 | 1.500 | |", md, StringComparison.Ordinal);
        Assert.Contains("| P95 | 1.600 | |", md, StringComparison.Ordinal);
        Assert.Contains("| P99 | 1.900 | |", md, StringComparison.Ordinal);
        Assert.Contains("| Min | 1.100 | |", md, StringComparison.Ordinal);
        Assert.Contains("| Max | 2.000 | |", md, StringComparison.Ordinal);
        Assert.Contains("- Load (session creation): 42.500 ms", md, StringComparison.Ordinal);
        Assert.Contains("- First run: 7.750 ms", md, StringComparison.Ordinal);
        Assert.Contains("800.0 inferences/s", md, StringComparison.Ordinal);
        Assert.Contains("peak RSS 117.7 MiB", md, StringComparison.Ordinal);
        Assert.Contains("coefficient of variation 10.0%, drift 1.020", md, StringComparison.Ordinal);
        Assert.Contains("1235496 parameters, 0.352 GMACs", md, StringComparison.Ordinal);

        // Warnings: a bullet each, kept on one line.
        Assert.Contains("## Warnings\n\n- Noisy timings, \"really\": cv 10%\n- Second line of a warning\n", md, StringComparison.Ordinal);
        Assert.EndsWith("\n", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\n\n\n", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", md, StringComparison.Ordinal);
    }

    [Fact]
    public void OperatorTablesListTopOperatorsWithPercentAndEscapePipes()
    {
        string md = ReportMarkdown.Format(ReportSamples.Full());

        Assert.Contains("## Top 2 operators\n\n| # | Node | Op type | Provider | Calls | Total ms | Mean ms | Mean 95% CI | % |\n|---:|---|---|---|---:|---:|---:|---|---:|\n", md, StringComparison.Ordinal);
        Assert.Contains("| 1 | conv1 | Conv | CPUExecutionProvider | 100 | 3.500 | 0.035 | n/a | 70.0 |\n", md, StringComparison.Ordinal);
        Assert.Contains("| 2 | relu\\|1 | Relu | CPUExecutionProvider | 100 | 1.500 | 0.015 | n/a | 30.0 |\n", md, StringComparison.Ordinal);
        Assert.Contains("| Op type | Nodes | Calls | Total ms | % |\n|---|---:|---:|---:|---:|\n| Conv | 1 | 100 | 3.500 | 70.0 |\n| Relu | 1 | 100 | 1.500 | 30.0 |\n", md, StringComparison.Ordinal);
        Assert.DoesNotContain("relu|1", md, StringComparison.Ordinal);

        // Every table line has the same number of unescaped pipes as its header.
        foreach (string table in md.Split("\n\n").Where(block => block.StartsWith('|')))
        {
            string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int columns = UnescapedPipes(lines[0]);
            Assert.All(lines, line => Assert.Equal(columns, UnescapedPipes(line)));
        }
    }

    [Fact]
    public void EachOperatorShowsItsIntervalAndNoisyNodesAreMarked()
    {
        ProfileReport full = ReportSamples.Full();
        var ops = new List<OperatorTiming>
        {
            new OperatorTiming("conv1", "Conv", "cpu-simd", 50, 5.0, 0.1, 70) { MeanCi = new ConfidenceInterval(0.098, 0.102, 0.95) },
            new OperatorTiming("gemm", "Gemm", "cpu-simd", 50, 2.0, 0.04, 28) { MeanCi = new ConfidenceInterval(0.02, 0.06, 0.95), Noisy = true },
        };
        string md = ReportMarkdown.Format(full with { Operators = ops });

        Assert.Contains("| 1 | conv1 | Conv | cpu-simd | 50 | 5.000 | 0.100 | [0.098, 0.102] | 70.0 |\n", md, StringComparison.Ordinal);
        Assert.Contains("| 2 | gemm | Gemm | cpu-simd | 50 | 2.000 | 0.040 | [0.020, 0.060] noisy | 28.0 |\n", md, StringComparison.Ordinal);
        Assert.Contains("\"noisy\": the node's 95% interval is wider than ±10.0% of its mean", md, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheTop15OperatorsAreListedAndEmptySectionsAreLeftOut()
    {
        ProfileReport full = ReportSamples.Full();
        var many = Enumerable.Range(0, 20).Select(i => new OperatorTiming($"node{i}", "Conv", "CPUExecutionProvider", 1, 20 - i, 20 - i, 5)).ToList();
        string md = ReportMarkdown.Format(full with { Operators = many });
        Assert.Contains("## Top 15 operators of 20", md, StringComparison.Ordinal);
        Assert.Contains("| 15 | node14 |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("node15", md, StringComparison.Ordinal);

        string bare = ReportMarkdown.Format(full with { Operators = [], OperatorTypes = [], Warnings = [] });
        Assert.DoesNotContain("operators", bare, StringComparison.Ordinal);
        Assert.DoesNotContain("Operator types", bare, StringComparison.Ordinal);
        Assert.DoesNotContain("## Warnings", bare, StringComparison.Ordinal);
        Assert.Contains("| Statistic | ms | 95% CI (ms) |", bare, StringComparison.Ordinal);
    }

    [Fact]
    public void SummaryHasOneRowPerModelAndBackend()
    {
        ProfileReport a = ReportSamples.Full();
        ProfileReport b = a with
        {
            Model = a.Model with { Name = "mobilenet_v2" },
            Backend = a.Backend with { Name = "ort-cpu:threads=1" },
            LatencyMs = a.LatencyMs with { Median = 3.14159, P90 = 4, Mean = 3.5, MeanCi = new ConfidenceInterval(3.4, 3.6, 0.95) },
            Stability = a.Stability with { Drift = double.PositiveInfinity },
        };

        string md = ReportMarkdown.FormatSummary([a, b]);
        string[] lines = md.TrimEnd('\n').Split('\n');

        Assert.Equal(4, lines.Length);
        Assert.Equal("| Model | Backend | Median ms | P90 ms | Mean ± CI ms | Throughput/s | Load ms | MACs G | Params M |", lines[0]);
        Assert.Equal("|---|---|---:|---:|---:|---:|---:|---:|---:|", lines[1]);
        Assert.Equal("| squeeze, \"net\" \\| v1.1 | ort-cpu | 1.200 | 1.500 | 1.250 ± 0.025 | 800.0 | 42.500 | 0.352 | 1.235 |", lines[2]);
        Assert.Equal("| mobilenet_v2 | ort-cpu:threads=1 | 3.142 | 4.000 | 3.500 ± 0.100 | 800.0 | 42.500 | 0.352 | 1.235 |", lines[3]);
        Assert.Equal(2, ReportMarkdown.FormatSummary([]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportMarkdown.FormatSummary([a, null!])).Code);
    }

    [Fact]
    public void WriteVariantsWriteTheFormattedText()
    {
        using var dir = new TempDirectory();
        ProfileReport report = ReportSamples.Full();
        string page = dir.File("report.md");
        string summary = dir.File("summary.md");

        ReportMarkdown.Write(report, page);
        ReportMarkdown.WriteSummary([report], summary);

        Assert.Equal(ReportMarkdown.Format(report), File.ReadAllText(page));
        Assert.Equal(ReportMarkdown.FormatSummary([report]), File.ReadAllText(summary));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    private static int UnescapedPipes(string line)
    {
        int count = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '|' && (i == 0 || line[i - 1] != '\\'))
            {
                count++;
            }
        }

        return count;
    }
}

using System.Globalization;
using System.Text;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Formats <see cref="ProfileReport"/>s as GitHub-flavoured Markdown: a full page for one report, or a summary table
/// with one row per model and backend. Numbers use the invariant culture: milliseconds with 3 decimals, percentages with
/// 1, MACs in G and parameters in M with 3; <c>|</c> inside a table cell is escaped as <c>\|</c>.
/// </summary>
public static class ReportMarkdown
{
    /// <summary>How many operators the per-node table of <see cref="Format"/> lists, the most expensive first.</summary>
    public const int TopOperators = 15;

    internal const string None = "n/a";

    /// <summary>
    /// Formats one report: a heading with the model and backend, the environment (CPU, cores, ISA, OS, .NET, ONNX Runtime,
    /// LightNet), the model and settings, a latency table (mean ± its 95% interval, median and its interval, P90, P95,
    /// P99, min, max, standard deviation), load and first run, throughput, memory, stability, the warm-up and, when measured,
    /// the cold starts, the sustained run's timeline and throttling and the load steps, every warning as a bullet list,
    /// and, when the report has them, the <see cref="TopOperators"/> most expensive nodes and the operator-type table with
    /// their share of kernel time.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <returns>The Markdown text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ProfileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        string model = report.Model?.Name ?? "model";
        string backend = report.Backend?.Name ?? "backend";
        md.Append("# ").Append(Inline(model)).Append(" on ").Append(Inline(backend)).Append('\n').Append('\n');

        if (report.Environment is { } env)
        {
            md.Append("**Environment:** ").Append(Inline(EnvironmentLine(env))).Append("\n\n");
        }

        if (report.Model is { } m)
        {
            md.Append("**Model:** ").Append(Count(m.Parameters)).Append(" parameters, ")
              .Append(Giga(m.Macs)).Append(" GMACs, ")
              .Append(MiB(m.FileBytes)).Append(" MiB file, opset ").Append(m.Opset.ToString(CultureInfo.InvariantCulture));
            if (m.InputShapes is { Count: > 0 } shapes)
            {
                md.Append(", input ").Append(Inline(string.Join(", ", shapes.Select(p => $"{p.Key} [{string.Join("×", p.Value ?? [])}]"))));
            }

            md.Append("\n\n");
        }

        if (report.Settings is { } s)
        {
            md.Append("**Settings:** ").Append(Plural(s.Runs, "timed run")).Append(" after ").Append(Plural(s.WarmupRuns, "warm-up run"))
              .Append(", batch ").Append(Count(s.BatchSize))
              .Append(", threads ").Append(s.ThreadsShown is int t ? Count(t) : "default");
            if (report.Backend is { } b)
            {
                md.Append(", precision ").Append(Inline(Or(b.Precision))).Append(", device ").Append(Inline(Or(b.Device)));
            }

            md.Append(", measured ").Append(report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(" UTC\n\n");
        }

        if (report.LatencyMs is { } l)
        {
            md.Append("## Latency\n\n");
            md.Append("| Statistic | ms | 95% CI (ms) |\n");
            md.Append("|---|---:|---|\n");
            md.Append("| Mean | ").Append(Ms(l.Mean)).Append(" ± ").Append(Ms(HalfWidth(l.MeanCi))).Append(" | ").Append(Interval(l.MeanCi)).Append(" |\n");
            md.Append("| Median | ").Append(Ms(l.Median)).Append(" | ").Append(Interval(l.MedianCi)).Append(" |\n");
            md.Append("| P90 | ").Append(Ms(l.P90)).Append(" | |\n");
            md.Append("| P95 | ").Append(Ms(l.P95)).Append(" | |\n");
            md.Append("| P99 | ").Append(Ms(l.P99)).Append(" | |\n");
            md.Append("| Min | ").Append(Ms(l.Min)).Append(" | |\n");
            md.Append("| Max | ").Append(Ms(l.Max)).Append(" | |\n");
            md.Append("| Std | ").Append(Ms(l.StandardDeviation)).Append(" | |\n\n");
        }

        md.Append("## Load, throughput, memory and stability\n\n");
        md.Append("- Load (session creation): ").Append(Ms(report.LoadMs)).Append(" ms\n");
        md.Append("- First run: ").Append(Ms(report.FirstRunMs)).Append(" ms\n");
        md.Append("- Throughput: ").Append(Rate(report.ThroughputPerSecond)).Append(" inferences/s, ")
          .Append(Rate(report.ItemsPerSecond)).Append(" items/s\n");
        if (report.Memory is { } mem)
        {
            md.Append("- Memory: peak RSS ").Append(MiB(mem.PeakRssBytes)).Append(" MiB (")
              .Append(MiB(mem.RssBeforeLoadBytes)).Append(" MiB before load, ")
              .Append(MiB(mem.RssAfterLoadBytes)).Append(" MiB after), ")
              .Append(Fixed(mem.ManagedBytesPerRun, "F0")).Append(" managed bytes allocated per run\n");
        }

        if (report.Stability is { } st)
        {
            md.Append("- Stability: coefficient of variation ").Append(Fixed(st.CoefficientOfVariation * 100, "F1")).Append("%, drift ")
              .Append(Fixed(st.Drift, "F3")).Append(" (last quarter's median / first quarter's)")
              .Append(st.PossibleThrottling ? ", slowed down: possible throttling"
                  : st.Drift < 1 / LatencyStatistics.DefaultDriftThreshold ? ", sped up during the run (warm-up or noise, not throttling)"
                  : ", no sign of throttling").Append('\n');
        }

        md.Append('\n');

        foreach (ReportSection section in ProfileSections.Extras(report))
        {
            AppendSection(md, section);
        }

        if (ProfileSections.AllWarnings(report) is { Count: > 0 } warnings)
        {
            md.Append("## Warnings\n\n");
            foreach (string warning in warnings)
            {
                md.Append("- ").Append(Inline(warning ?? "")).Append('\n');
            }

            md.Append('\n');
        }

        if (report.Operators is { Count: > 0 } operators)
        {
            int shown = Math.Min(TopOperators, operators.Count);
            md.Append("## Top ").Append(shown.ToString(CultureInfo.InvariantCulture)).Append(" operators");
            if (shown < operators.Count)
            {
                md.Append(" of ").Append(operators.Count.ToString(CultureInfo.InvariantCulture));
            }

            md.Append("\n\n");
            md.Append("| # | Node | Op type | Provider | Calls | Total ms | Mean ms | Mean 95% CI | % |\n");
            md.Append("|---:|---|---|---|---:|---:|---:|---|---:|\n");
            for (int i = 0; i < shown; i++)
            {
                OperatorTiming op = operators[i];
                md.Append("| ").Append((i + 1).ToString(CultureInfo.InvariantCulture))
                  .Append(" | ").Append(Cell(op.Name)).Append(" | ").Append(Cell(op.OpType)).Append(" | ").Append(Cell(op.Provider))
                  .Append(" | ").Append(Count(op.Calls)).Append(" | ").Append(Ms(op.TotalMs)).Append(" | ").Append(Ms(op.MeanMs))
                  .Append(" | ").Append(op.Calls > 1 && op.MeanCi.Level > 0 ? Interval(op.MeanCi) + (op.Noisy ? " noisy" : "") : None)
                  .Append(" | ").Append(Percent(op.Percent)).Append(" |\n");
            }

            if (operators.Take(shown).Any(o => o.Noisy))
            {
                md.Append("\n\"noisy\": the node's 95% interval is wider than ±")
                  .Append(Percent(OperatorTiming.NoisyHalfWidth * 100)).Append("% of its mean; do not rank it against its neighbours.\n");
            }

            md.Append('\n');
        }

        if (report.OperatorTypes is { Count: > 0 } types)
        {
            md.Append("## Operator types\n\n");
            md.Append("| Op type | Nodes | Calls | Total ms | % |\n");
            md.Append("|---|---:|---:|---:|---:|\n");
            foreach (OperatorTypeTiming type in types)
            {
                md.Append("| ").Append(Cell(type.OpType)).Append(" | ").Append(Count(type.Nodes)).Append(" | ").Append(Count(type.Calls))
                  .Append(" | ").Append(Ms(type.TotalMs)).Append(" | ").Append(Percent(type.Percent)).Append(" |\n");
            }

            md.Append('\n');
        }

        return md.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>
    /// Formats a summary table with one row per report (model × backend), in the order given: model, backend, median ms,
    /// P90 ms, mean ± the half-width of its 95% interval in ms, inferences per second, load ms, GMACs and millions of
    /// parameters.
    /// </summary>
    /// <param name="reports">The reports.</param>
    /// <returns>The Markdown table (header and separator lines included, even with no reports), with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when one of the reports is null.</exception>
    public static string FormatSummary(IEnumerable<ProfileReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var md = new StringBuilder();
        md.Append("| Model | Backend | Median ms | P90 ms | Mean ± CI ms | Throughput/s | Load ms | MACs G | Params M |\n");
        md.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        int index = 0;
        foreach (ProfileReport r in reports)
        {
            if (r is null)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"reports[{index}] is null.");
            }

            LatencySummary? l = r.LatencyMs;
            md.Append("| ").Append(Cell(r.Model?.Name)).Append(" | ").Append(Cell(r.Backend?.Name))
              .Append(" | ").Append(l is null ? None : Ms(l.Median))
              .Append(" | ").Append(l is null ? None : Ms(l.P90))
              .Append(" | ").Append(l is null ? None : Ms(l.Mean) + " ± " + Ms(HalfWidth(l.MeanCi)))
              .Append(" | ").Append(Rate(r.ThroughputPerSecond))
              .Append(" | ").Append(Ms(r.LoadMs))
              .Append(" | ").Append(Giga(r.Model?.Macs ?? 0))
              .Append(" | ").Append(Fixed((r.Model?.Parameters ?? 0) / 1e6, "F3"))
              .Append(" |\n");
            index++;
        }

        return md.ToString();
    }

    /// <summary>Writes <see cref="Format"/>'s text to a file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ProfileReport report, string path) => ReportJson.WriteText(Format(report), path);

    /// <summary>Writes <see cref="FormatSummary"/>'s table to a file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="reports">The reports.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path or a null report,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void WriteSummary(IEnumerable<ProfileReport> reports, string path) => ReportJson.WriteText(FormatSummary(reports), path);

    /// <summary>Appends a section: its heading, its notes as paragraphs, and its table.</summary>
    internal static void AppendSection(StringBuilder md, ReportSection section)
    {
        md.Append("## ").Append(Inline(section.Title)).Append("\n\n");
        foreach (string note in section.Notes)
        {
            md.Append(Inline(note)).Append("\n\n");
        }

        if (section.Header.Count == 0)
        {
            return;
        }

        md.Append("| ").AppendJoin(" | ", section.Header.Select(h => Cell(h.TrimStart('>')))).Append(" |\n");
        md.Append('|').AppendJoin('|', section.Header.Select(h => h.StartsWith('>') ? "---:" : "---")).Append("|\n");
        foreach (string[] row in section.Rows)
        {
            md.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
        }

        md.Append('\n');
    }

    /// <summary>Makes text safe inside a table cell: <c>|</c> becomes <c>\|</c> and line breaks become spaces.</summary>
    /// <param name="text">The cell's text; null is an empty cell.</param>
    /// <returns>The escaped text.</returns>
    internal static string Cell(string? text) =>
        string.IsNullOrEmpty(text) ? "" : Inline(text).Replace("|", "\\|", StringComparison.Ordinal);

    internal static string EnvironmentLine(EnvironmentInfo env)
    {
        var parts = new List<string>
        {
            Or(env.CpuModel),
            $"{Count(env.LogicalCores)} logical cores",
            env.IsaFeatures is { Count: > 0 } isa ? string.Join(", ", isa) : "no ISA extensions reported",
            $"{Or(env.OperatingSystem)} ({env.Architecture})",
            Or(env.DotNetRuntime),
            $"ONNX Runtime {env.OnnxRuntimeVersion ?? None}",
            $"LightNet {Or(env.LightNetVersion)}",
        };
        return string.Join(" · ", parts);
    }

    /// <summary>One line of text: line breaks become spaces.</summary>
    internal static string Inline(string text) =>
        text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ');

    internal static string Or(string? text) => string.IsNullOrWhiteSpace(text) ? None : text;

    private static double HalfWidth(ConfidenceInterval ci) => (ci.Upper - ci.Lower) / 2;

    private static string Interval(ConfidenceInterval ci)
    {
        string text = $"[{Ms(ci.Lower)}, {Ms(ci.Upper)}]";
        return ci.Level > 0 && double.IsFinite(ci.Level) && Math.Abs(ci.Level - LatencyStatistics.ConfidenceLevel) > 1e-9
            ? $"{text} (coverage {Fixed(ci.Level * 100, "F1")}%)"
            : text;
    }

    private static string Ms(double value) => Fixed(value, "F3");

    private static string Percent(double value) => Fixed(value, "F1");

    private static string Rate(double value) => Fixed(value, "F1");

    private static string Giga(long value) => Fixed(value / 1e9, "F3");

    private static string MiB(long bytes) => Fixed(bytes / (1024.0 * 1024.0), "F1");

    private static string Plural(long count, string noun) => $"{Count(count)} {noun}{(count == 1 ? "" : "s")}";

    internal static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Fixed(double value, string format) =>
        double.IsNaN(value) ? None
        : double.IsPositiveInfinity(value) ? "∞"
        : double.IsNegativeInfinity(value) ? "-∞"
        : value.ToString(format, CultureInfo.InvariantCulture);
}

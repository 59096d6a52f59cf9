using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNet.Reports;

namespace LightNet.Conformance;

/// <summary>
/// The Markdown form of <see cref="ConformanceReport"/>s (totals per backend, refusals, the per-operator table, the cases that did not
/// pass) and the tables it is made of; the JSON form is <see cref="ConformanceJson"/>. Files are written atomically.
/// </summary>
public static class ConformanceMarkdown
{
    /// <summary>
    /// The report as Markdown: totals per backend, the cases where a backend is wrong while <paramref name="reference"/> passes,
    /// the changes since <paramref name="baseline"/>, refusals per operator, the per-operator table and every case that did not pass with its reason.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="reference">The reference backend, or null for none.</param>
    /// <param name="baseline">An earlier report to compare with, or null.</param>
    /// <returns>The Markdown text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ConformanceReport report, string? reference = null, ConformanceReport? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("# ONNX backend conformance\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{report.Cases.Count} cases from `{report.TestRoot}`; floating-point outputs allclose (rtol {G(report.RelativeTolerance)}, atol {G(report.AbsoluteTolerance)}, NaN equals NaN, infinities exact), integers and bools exact, shapes exact. Run {(report.Isolation == ConformanceIsolation.Isolated ? "in isolated worker processes" : "in-process")}, {report.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC.\n\n");
        sb.Append(TotalsTable(report));
        if (reference is not null && report.Backends.Contains(reference))
        {
            IReadOnlyList<ConformanceCaseResult> wrong = report.WrongWhereReferencePasses(reference);
            sb.Append(CultureInfo.InvariantCulture, $"\n## Wrong where {reference} is right ({wrong.Count})\n\n");
            if (wrong.Count == 0)
            {
                sb.Append("None.\n");
            }
            else
            {
                sb.Append("| Case | Backend | Outcome | Reason |\n|---|---|---|---|\n");
                foreach (ConformanceCaseResult r in wrong)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {r.Case} | {r.Backend} | {ConformanceJson.OutcomeName(r.Outcome)} | {ReportMarkdown.Cell(r.Reason ?? "")} |\n");
                }
            }
        }

        if (baseline is not null)
        {
            IReadOnlyList<ConformanceChange> changes = report.CompareTo(baseline);
            sb.Append(CultureInfo.InvariantCulture, $"\n## Changes since the baseline ({changes.Count(c => c.IsRegression)} regressed, {changes.Count(c => c.IsImprovement)} newly passing)\n\n");
            if (changes.Count == 0)
            {
                sb.Append("None.\n");
            }
            else
            {
                sb.Append("| Case | Backend | Before | Now | Reason |\n|---|---|---|---|---|\n");
                foreach (ConformanceChange c in changes)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {c.Case} | {c.Backend} | {(c.Before is { } b ? ConformanceJson.OutcomeName(b) : "—")} | {ConformanceJson.OutcomeName(c.After)} | {ReportMarkdown.Cell(c.Reason ?? "")} |\n");
                }
            }
        }

        sb.Append("\n## Unsupported operators named in refusals\n\n");
        sb.Append(UnsupportedOperatorTable(report, top: 60));
        sb.Append("\n## Most common refusal reasons\n\n");
        sb.Append(RefusalReasonTable(report, top: 30));
        sb.Append("\n## Refusals per operator\n\n");
        sb.Append(RefusalTable(report, top: int.MaxValue));
        sb.Append("\n## Per operator\n\n");
        sb.Append("A case counts under the operator its folder is named after (`test_reduce_sum_keepdims` → ReduceSum); function-expanded cases under `Op (expanded)`; otherwise under the model's only op type, or its op types joined with `+`. Cells are passed/cases.\n\n");
        sb.Append(OperatorTable(report));
        sb.Append("\n## Cases that did not pass\n\n");
        foreach (string b in report.Backends)
        {
            var failing = report.Results.Where(r => r.Backend == b && r.Outcome != ConformanceOutcome.Pass).OrderBy(r => r.Case, StringComparer.Ordinal).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"### {b} ({failing.Count})\n\n");
            if (failing.Count == 0)
            {
                sb.Append("None.\n\n");
                continue;
            }

            sb.Append("| Case | Operator | Outcome | Code | Reason |\n|---|---|---|---|---|\n");
            foreach (ConformanceCaseResult r in failing)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {r.Case} | {ReportMarkdown.Cell(r.Operator)} | {ConformanceJson.OutcomeName(r.Outcome)} | {r.ErrorCode ?? ""} | {ReportMarkdown.Cell(r.Reason ?? "")} |\n");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to a file atomically.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The file.</param>
    /// <param name="reference">The reference backend, or null.</param>
    /// <param name="baseline">An earlier report to compare with, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path; <see cref="ErrorCode.IOFailure"/> when the file cannot be written.</exception>
    public static void Write(ConformanceReport report, string path, string? reference = null, ConformanceReport? baseline = null) =>
        ReportJson.WriteText(Format(report, reference, baseline), path);

    /// <summary>The totals of every backend as a Markdown table.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string TotalsTable(ConformanceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("| Backend | Cases | Pass | Wrong | Refused | Crashed | Timeout | Seconds |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (string b in report.Backends)
        {
            ConformanceTotals t = report.Totals(b);
            string seconds = report.BackendSeconds.TryGetValue(b, out double s) ? s.ToString("F1", CultureInfo.InvariantCulture) : "—";
            sb.Append(CultureInfo.InvariantCulture, $"| {b} | {t.Total} | {t.Pass} | {t.Wrong} | {t.Refused} | {t.Crashed} | {t.Timeout} | {seconds} |\n");
        }

        return sb.ToString();
    }

    /// <summary>Refused cases per backend and operator, most refused first, as a Markdown table with the most common reason.</summary>
    /// <param name="report">The report.</param>
    /// <param name="top">At most this many rows per backend.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string RefusalTable(ConformanceReport report, int top)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("| Backend | Operator | Refused | Code | Most common reason |\n|---|---|---:|---|---|\n");
        foreach (string b in report.Backends)
        {
            var groups = report.Results.Where(r => r.Backend == b && r.Outcome == ConformanceOutcome.Refused)
                .GroupBy(r => r.Operator, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(top);
            foreach (var g in groups)
            {
                var reason = g.GroupBy(r => (r.ErrorCode, r.Reason)).OrderByDescending(x => x.Count()).First().Key;
                sb.Append(CultureInfo.InvariantCulture, $"| {b} | {ReportMarkdown.Cell(g.Key)} | {g.Count()} | {reason.ErrorCode} | {ReportMarkdown.Cell(reason.Reason ?? "")} |\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The most common refusal reasons per backend as a Markdown table. Reasons are grouped with node names, opset numbers of
    /// nodes, problem counts and the case's folder left out, so that "operator 'Size' is not supported" counts once per case whatever the node is called.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="top">At most this many rows per backend.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string RefusalReasonTable(ConformanceReport report, int top)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("| Backend | Cases | Code | Reason |\n|---|---:|---|---|\n");
        foreach (string b in report.Backends)
        {
            var groups = report.Results.Where(r => r.Backend == b && r.Outcome == ConformanceOutcome.Refused)
                .GroupBy(r => (r.ErrorCode, Reason: GeneralReason(r.Reason ?? "")))
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Reason, StringComparer.Ordinal).Take(top);
            foreach (var g in groups)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {b} | {g.Count()} | {g.Key.ErrorCode} | {ReportMarkdown.Cell(g.Key.Reason)} |\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Operators that refusals name as unsupported, per backend, by the number of refused cases naming each: what to implement
    /// first. Found in the refusal's full message (<see cref="ConformanceCaseResult.Detail"/>): the cpu-simd engine's
    /// "operator 'X' is not supported", ONNX Runtime's "Could not find an implementation for X(", and a model opset outside the
    /// supported range (listed as <c>model opset N</c>).
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="top">At most this many rows per backend.</param>
    /// <returns>The table: backend, what is named, refused cases naming it, and of those the cases where it is the only problem named.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string UnsupportedOperatorTable(ConformanceReport report, int top)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("| Backend | Unsupported | Refused cases naming it | … as the only problem |\n|---|---|---:|---:|\n");
        foreach (string b in report.Backends)
        {
            var counts = new Dictionary<string, (int All, int Only)>(StringComparer.Ordinal);
            foreach (ConformanceCaseResult r in report.Results.Where(r => r.Backend == b && r.Outcome == ConformanceOutcome.Refused))
            {
                List<string> named = NamedUnsupported(r.Detail ?? r.Reason ?? "");
                foreach (string n in named.Distinct(StringComparer.Ordinal))
                {
                    (int all, int only) = counts.GetValueOrDefault(n);
                    counts[n] = (all + 1, only + (named.Count == 1 ? 1 : 0));
                }
            }

            foreach (var (name, (all, only)) in counts.OrderByDescending(c => c.Value.All).ThenBy(c => c.Key, StringComparer.Ordinal).Take(top).Select(c => (c.Key, c.Value)))
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {b} | {ReportMarkdown.Cell(name)} | {all} | {only} |\n");
            }
        }

        return sb.ToString();
    }

    private static readonly System.Text.RegularExpressions.Regex UnsupportedPattern = new(
        @"operator '(?<op>[A-Za-z0-9_.]+)' is not supported|Could not find an implementation for (?<op>[A-Za-z0-9_]+)\(|model opset (?<opset>\d+) is outside",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static List<string> NamedUnsupported(string message) =>
        UnsupportedPattern.Matches(message).Select(m => m.Groups["op"].Success ? m.Groups["op"].Value : "model opset " + m.Groups["opset"].Value).ToList();

    /// <summary>A refusal reason without what varies from case to case: node names, node opsets, problem counts.</summary>
    internal static string GeneralReason(string reason)
    {
        string r = System.Text.RegularExpressions.Regex.Replace(reason, @" node '[^']*'", " node");
        r = System.Text.RegularExpressions.Regex.Replace(r, @" \(opset \d+\)", "");
        r = System.Text.RegularExpressions.Regex.Replace(r, @" \(\d+ problems?\)", "");
        r = System.Text.RegularExpressions.Regex.Replace(r, @" \(\+\d+ more\)", " (and more)");
        r = System.Text.RegularExpressions.Regex.Replace(r, @"node #\d+", "node");
        return r;
    }

    /// <summary>The per-operator table as Markdown: one row per operator with each backend's passed/cases and the other outcomes.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string OperatorTable(ConformanceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("| Operator | Cases |");
        foreach (string b in report.Backends)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {b} |");
        }

        sb.Append("\n|---|---:|");
        sb.Append(string.Concat(report.Backends.Select(_ => "---|")));
        sb.Append('\n');
        foreach (ConformanceOperatorRow row in report.ByOperator())
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {ReportMarkdown.Cell(row.Operator)} | {row.Cases} |");
            foreach (string b in report.Backends)
            {
                sb.Append(' ').Append(Cell(row.ByBackend[b])).Append(" |");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Cell(ConformanceTotals t)
    {
        if (t.Total == 0)
        {
            return "—";
        }

        var rest = new List<string>();
        if (t.Wrong > 0) rest.Add($"{t.Wrong} wrong");
        if (t.Refused > 0) rest.Add($"{t.Refused} refused");
        if (t.Crashed > 0) rest.Add($"{t.Crashed} crashed");
        if (t.Timeout > 0) rest.Add($"{t.Timeout} timeout");
        return $"{t.Pass}/{t.Total}" + (rest.Count > 0 ? " (" + string.Join(", ", rest) + ")" : "");
    }

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

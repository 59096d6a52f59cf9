using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNet.Reports;

namespace LightNet.Conformance;

/// <summary>Writes and reads <see cref="ConformanceReport"/>s: JSON (schema <c>lightnet.conformance/1</c>) and Markdown.</summary>
/// <remarks>
/// The JSON is <c>{ "schema", "testRoot", "createdUtc", "isolation", "relativeTolerance", "absoluteTolerance",
/// "backends": [ { "name", "seconds", "pass", "wrong", "refused", "crashed", "timeout" } ],
/// "results": [ { "case", "backend", "outcome", "operator", "operators", "errorCode", "reason", "detail", "maxAbsoluteError", "worstIndex", "seconds" } ] }</c>;
/// outcomes are lower-case (<c>pass</c>, <c>wrong</c>, <c>refused</c>, <c>crashed</c>, <c>timeout</c>) and a non-finite number is written as a string
/// (<c>"Infinity"</c>, <c>"NaN"</c>). Files are written atomically: a temporary file in the same folder, then a rename.
/// </remarks>
public static class ConformanceExport
{
    private const string SchemaName = "lightnet.conformance";

    /// <summary>Serializes a report to indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string ToJson(ConformanceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", ConformanceReport.CurrentSchema);
            w.WriteString("testRoot", report.TestRoot);
            w.WriteString("createdUtc", report.CreatedUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("isolation", report.Isolation == ConformanceIsolation.Isolated ? "isolated" : "inProcess");
            WriteNumber(w, "relativeTolerance", report.RelativeTolerance);
            WriteNumber(w, "absoluteTolerance", report.AbsoluteTolerance);
            w.WriteStartArray("backends");
            foreach (string b in report.Backends)
            {
                ConformanceTotals t = report.Totals(b);
                w.WriteStartObject();
                w.WriteString("name", b);
                if (report.BackendSeconds.TryGetValue(b, out double seconds))
                {
                    WriteNumber(w, "seconds", Math.Round(seconds, 3));
                }

                w.WriteNumber("pass", t.Pass);
                w.WriteNumber("wrong", t.Wrong);
                w.WriteNumber("refused", t.Refused);
                w.WriteNumber("crashed", t.Crashed);
                w.WriteNumber("timeout", t.Timeout);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("results");
            foreach (ConformanceCaseResult r in report.Results)
            {
                WriteResult(w, r);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to a file atomically.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The file; an existing one is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path; <see cref="ErrorCode.IOFailure"/> when the file cannot be written.</exception>
    public static void WriteJson(ConformanceReport report, string path) => ReportJson.WriteText(ToJson(report), path);

    /// <summary>Reads a report from JSON text as <see cref="ToJson"/> writes it.</summary>
    /// <param name="json">The text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not JSON, not a conformance report or of another major schema version.</exception>
    public static ConformanceReport FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            string schema = root.TryGetProperty("schema", out JsonElement s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            if (!(schema == $"{SchemaName}/1" || schema.StartsWith($"{SchemaName}/1.", StringComparison.Ordinal)))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Not a conformance report of schema {ConformanceReport.CurrentSchema} (schema '{schema}').");
            }

            var results = root.GetProperty("results").EnumerateArray().Select(ReadResult).ToList();
            var backends = new List<string>();
            var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
            if (root.TryGetProperty("backends", out JsonElement bs))
            {
                foreach (JsonElement b in bs.EnumerateArray())
                {
                    string name = b.GetProperty("name").GetString()!;
                    backends.Add(name);
                    if (b.TryGetProperty("seconds", out JsonElement sec))
                    {
                        seconds[name] = ReadNumber(sec) ?? 0;
                    }
                }
            }

            DateTimeOffset? created = root.TryGetProperty("createdUtc", out JsonElement c) && c.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(c.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
            return new ConformanceReport(
                root.TryGetProperty("testRoot", out JsonElement tr) ? tr.GetString() ?? "" : "",
                backends.Count > 0 ? backends : results.Select(r => r.Backend).Distinct(StringComparer.Ordinal).ToList(),
                results,
                root.TryGetProperty("relativeTolerance", out JsonElement rt) ? ReadNumber(rt) ?? ConformanceOptions.DefaultRelativeTolerance : ConformanceOptions.DefaultRelativeTolerance,
                root.TryGetProperty("absoluteTolerance", out JsonElement at) ? ReadNumber(at) ?? ConformanceOptions.DefaultAbsoluteTolerance : ConformanceOptions.DefaultAbsoluteTolerance,
                root.TryGetProperty("isolation", out JsonElement iso) && iso.GetString() == "isolated" ? ConformanceIsolation.Isolated : ConformanceIsolation.InProcess,
                seconds, created);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Not a valid conformance report: {e.Message}", e);
        }
    }

    /// <summary>Reads a report from a JSON file.</summary>
    /// <param name="path">The file, as <see cref="WriteJson"/> writes it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file cannot be read; <see cref="ErrorCode.InvalidArgument"/> naming the file when it is not a conformance report.</exception>
    public static ConformanceReport ReadJson(string path)
    {
        string text = ReportJson.ReadText(path);
        try
        {
            return FromJson(text);
        }
        catch (LightNetException e)
        {
            throw new LightNetException(e.Code, $"'{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The report as Markdown: totals per backend, the cases where a backend is wrong while <paramref name="reference"/> passes,
    /// the changes since <paramref name="baseline"/>, refusals per operator, the per-operator table and every case that did not pass with its reason.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="reference">The reference backend, or null for none.</param>
    /// <param name="baseline">An earlier report to compare with, or null.</param>
    /// <returns>The Markdown text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string ToMarkdown(ConformanceReport report, string? reference = null, ConformanceReport? baseline = null)
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
                    sb.Append(CultureInfo.InvariantCulture, $"| {r.Case} | {r.Backend} | {OutcomeName(r.Outcome)} | {ReportMarkdown.Cell(r.Reason ?? "")} |\n");
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
                    sb.Append(CultureInfo.InvariantCulture, $"| {c.Case} | {c.Backend} | {(c.Before is { } b ? OutcomeName(b) : "—")} | {OutcomeName(c.After)} | {ReportMarkdown.Cell(c.Reason ?? "")} |\n");
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
                sb.Append(CultureInfo.InvariantCulture, $"| {r.Case} | {ReportMarkdown.Cell(r.Operator)} | {OutcomeName(r.Outcome)} | {r.ErrorCode ?? ""} | {ReportMarkdown.Cell(r.Reason ?? "")} |\n");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToMarkdown"/> to a file atomically.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The file.</param>
    /// <param name="reference">The reference backend, or null.</param>
    /// <param name="baseline">An earlier report to compare with, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path; <see cref="ErrorCode.IOFailure"/> when the file cannot be written.</exception>
    public static void WriteMarkdown(ConformanceReport report, string path, string? reference = null, ConformanceReport? baseline = null) =>
        ReportJson.WriteText(ToMarkdown(report, reference, baseline), path);

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

    /// <summary>The lower-case name of an outcome as reports write it: <c>pass</c>, <c>wrong</c>, <c>refused</c>, <c>crashed</c> or <c>timeout</c>.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The name.</returns>
    public static string OutcomeName(ConformanceOutcome outcome) => outcome.ToString().ToLowerInvariant();

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

    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static double? ReadNumber(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => double.Parse(e.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>Writes one result as a JSON object (also the worker's line format).</summary>
    internal static void WriteResult(Utf8JsonWriter w, ConformanceCaseResult r)
    {
        w.WriteStartObject();
        w.WriteString("case", r.Case);
        w.WriteString("backend", r.Backend);
        w.WriteString("outcome", OutcomeName(r.Outcome));
        w.WriteString("operator", r.Operator);
        w.WriteStartArray("operators");
        foreach (string op in r.Operators)
        {
            w.WriteStringValue(op);
        }

        w.WriteEndArray();
        if (r.ErrorCode is not null) w.WriteString("errorCode", r.ErrorCode);
        if (r.Reason is not null) w.WriteString("reason", r.Reason);
        if (r.Detail is not null) w.WriteString("detail", r.Detail);
        if (r.MaxAbsoluteError is double m) WriteNumber(w, "maxAbsoluteError", m);
        if (r.WorstIndex is not null) w.WriteString("worstIndex", r.WorstIndex);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 4));
        w.WriteEndObject();
    }

    internal static string ResultLine(ConformanceCaseResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            WriteResult(w, r);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads one result object.</summary>
    internal static ConformanceCaseResult ReadResult(JsonElement e)
    {
        string? Str(string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string outcomeText = Str("outcome") ?? "";
        if (!Enum.TryParse(outcomeText, ignoreCase: true, out ConformanceOutcome outcome) || int.TryParse(outcomeText, out _))
        {
            throw new FormatException($"Unknown outcome '{outcomeText}'.");
        }

        string[] ops = e.TryGetProperty("operators", out JsonElement o) && o.ValueKind == JsonValueKind.Array
            ? o.EnumerateArray().Select(x => x.GetString() ?? "").ToArray() : [];
        return new ConformanceCaseResult(
            Str("case") ?? throw new FormatException("A result has no case."),
            Str("backend") ?? throw new FormatException("A result has no backend."),
            outcome,
            Str("operator") ?? ConformanceOperators.GroupKey(Str("case")!, ops),
            ops,
            Str("errorCode"),
            Str("reason"),
            e.TryGetProperty("maxAbsoluteError", out JsonElement m) ? ReadNumber(m) : null,
            Str("worstIndex"),
            e.TryGetProperty("seconds", out JsonElement s) ? ReadNumber(s) ?? 0 : 0) { Detail = Str("detail") };
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNet.Reports;

namespace LightNet.Conformance;

/// <summary>Writes and reads <see cref="ConformanceReport"/>s as JSON (schema <c>lightnet.conformance/1</c>); the Markdown form is <see cref="ConformanceMarkdown"/>.</summary>
/// <remarks>
/// The JSON is <c>{ "schema", "testRoot", "createdUtc", "isolation", "relativeTolerance", "absoluteTolerance",
/// "backends": [ { "name", "seconds", "pass", "wrong", "refused", "crashed", "timeout" } ],
/// "results": [ { "case", "backend", "outcome", "operator", "operators", "errorCode", "reason", "detail", "maxAbsoluteError", "worstIndex", "seconds" } ] }</c>;
/// outcomes are lower-case (<c>pass</c>, <c>wrong</c>, <c>refused</c>, <c>crashed</c>, <c>timeout</c>) and a non-finite number is written as a string
/// (<c>"Infinity"</c>, <c>"NaN"</c>). Files are written atomically: a temporary file in the same folder, then a rename.
/// </remarks>
public static class ConformanceJson
{
    private const string SchemaName = "lightnet.conformance";

    /// <summary>Serializes a report to indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ConformanceReport report)
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

    /// <summary>Writes <see cref="Format"/> to a file atomically.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The file; an existing one is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path; <see cref="ErrorCode.IOFailure"/> when the file cannot be written.</exception>
    public static void Write(ConformanceReport report, string path) => ReportJson.WriteText(Format(report), path);

    /// <summary>Reads a report from JSON text as <see cref="Format"/> writes it.</summary>
    /// <param name="json">The text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not JSON, not a conformance report or of another major schema version.</exception>
    public static ConformanceReport Parse(string json)
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
    /// <param name="path">The file, as <see cref="Write"/> writes it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file cannot be read; <see cref="ErrorCode.InvalidArgument"/> naming the file when it is not a conformance report.</exception>
    public static ConformanceReport Read(string path)
    {
        string text = ReportJson.ReadText(path);
        try
        {
            return Parse(text);
        }
        catch (LightNetException e)
        {
            throw new LightNetException(e.Code, $"'{path}': {e.Message}", e);
        }
    }

    /// <summary>The lower-case name of an outcome as reports write it: <c>pass</c>, <c>wrong</c>, <c>refused</c>, <c>crashed</c> or <c>timeout</c>.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The name.</returns>
    public static string OutcomeName(ConformanceOutcome outcome) => outcome.ToString().ToLowerInvariant();

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

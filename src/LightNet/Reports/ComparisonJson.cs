using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Reads and writes <see cref="ComparisonReport"/>s as JSON with the conventions of <see cref="ReportJson"/> (camelCase
/// names, enums as strings, indented, NaN and ±Infinity as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>),
/// schema <c>"lightnet.comparison/1.2"</c>; 1.1 added each cell's <c>warmup</c> and <c>warnings</c>, 1.2 the per-model
/// <c>layers</c> breakdown (<see cref="LayerBreakdown"/>, with <c>compare --per-layer</c>). The Markdown form is <see cref="ComparisonMarkdown"/>.
/// </summary>
/// <example>
/// <code>
/// ComparisonReport report = Profiler.Compare(models, backends);
/// ComparisonJson.Write(report, "compare.json");
/// ComparisonReport again = ComparisonJson.Read("compare.json");
/// </code>
/// </example>
public static class ComparisonJson
{
    private const string SchemaName = "lightnet.comparison";

    private static readonly JsonTypeInfo<ComparisonReport> ReportInfo =
        (JsonTypeInfo<ComparisonReport>)ReportJson.Options.GetTypeInfo(typeof(ComparisonReport));

    /// <summary>Serializes a comparison to indented JSON.</summary>
    /// <param name="report">The comparison.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, ReportInfo);
    }

    /// <summary>Writes a comparison to a JSON file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="report">The comparison.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ComparisonReport report, string path) => ReportJson.WriteText(Format(report), path);

    /// <summary>Reads a comparison from JSON text as <see cref="Format"/> writes it.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not valid JSON (with the line
    /// and position), is not a comparison, misses required fields or has a schema whose major version this LightNet does
    /// not know (any minor version of <c>lightnet.comparison/1</c> is read).</exception>
    public static ComparisonReport Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, "The JSON text");
    }

    /// <summary>Reads a comparison from a JSON file as <see cref="Write"/> writes it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> for an empty path, or naming the file as for <see cref="Parse(string)"/>.</exception>
    public static ComparisonReport Read(string path) => Parse(ReportJson.ReadText(path), $"'{path}'");

    private static ComparisonReport Parse(string json, string source)
    {
        using JsonDocument document = ReportJson.ParseDocument(json, source);
        JsonElement root = document.RootElement;
        string schema = ReportJson.RequireSchema(root, source, "", $"'{ComparisonReport.CurrentSchema}'");
        ReportJson.CheckSchema(schema, SchemaName, ComparisonReport.CurrentSchema, source, "");
        return ReportJson.ToObject(root, ReportInfo, source, "comparison");
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using LightNet.Reports;

namespace LightNet.Compression;

/// <summary>
/// Reads and writes <see cref="CompressionReport"/>s as JSON (schema <c>lightnet.compression/1</c>), with the conventions of the
/// other reports (<see cref="ReportJson"/>); the Markdown form is <see cref="CompressionMarkdown"/>.
/// </summary>
public static class CompressionJson
{
    private const string TextSource = "the JSON text";

    /// <summary>The report as indented JSON (camelCase, <c>"\n"</c> line ends).</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(CompressionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, CompressionJsonContext.WithReportSettings.CompressionReport);
    }

    /// <summary>Writes the JSON form atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path, <see cref="ErrorCode.IOFailure"/> naming the path.</exception>
    public static void Write(CompressionReport report, string path) => ReportJson.WriteText(Format(report), path);

    /// <summary>Reads a report from JSON text as <see cref="Format"/> writes it.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not a compression report of a supported schema.</exception>
    public static CompressionReport Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, TextSource);
    }

    /// <summary>Reads a report from a JSON file as <see cref="Write"/> writes it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> naming the file as for <see cref="Parse(string)"/>.</exception>
    public static CompressionReport Read(string path) => Parse(ReportJson.ReadText(path), $"'{path}'");

    private static CompressionReport Parse(string json, string source)
    {
        using JsonDocument doc = ReportJson.ParseDocument(json, source);
        string schema = ReportJson.RequireSchema(doc.RootElement, source, "the report");
        ReportJson.CheckSchema(schema, "lightnet.compression", CompressionReport.CurrentSchema, source, "the report");
        return ReportJson.ToObject(doc.RootElement, CompressionJsonContext.WithReportSettings.CompressionReport, source, "compression report");
    }
}

/// <summary>Source-generated JSON metadata of the compression report, used with the other reports' settings.</summary>
[JsonSerializable(typeof(CompressionReport))]
internal sealed partial class CompressionJsonContext : JsonSerializerContext
{
    /// <summary>The settings of <see cref="ReportJson"/> (camelCase, string enums, named float literals, "\n").</summary>
    public static CompressionJsonContext WithReportSettings { get; } = new(new JsonSerializerOptions(ReportJson.Options) { TypeInfoResolver = null });
}

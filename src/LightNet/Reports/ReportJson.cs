using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Reads and writes <see cref="ProfileReport"/>s as JSON: camelCase names, enums as strings, indented, every double
/// written as its shortest round-trip form (NaN and ±Infinity as the strings <c>"NaN"</c>, <c>"Infinity"</c> and
/// <c>"-Infinity"</c>), so that a report read back is the report written.
/// </summary>
/// <remarks>
/// <para>
/// A single report carries <c>"schema": "lightnet.profile/1.1"</c> (<see cref="ProfileReport.CurrentSchema"/>; 1.1 added warmup, coldStart, sustained, load and stability.changePoint); a results
/// file with many reports is <c>{ "schema": "lightnet.results/1", "reports": [ ... ] }</c>
/// (<see cref="ResultsSchema"/>). Readers accept any minor version of a major version they know
/// (<c>lightnet.profile/1.2</c>) and refuse other major versions.
/// </para>
/// <para>
/// The field names the product keeps stable include <c>model.name</c>, <c>model.parameters</c>, <c>model.macs</c>,
/// <c>model.fileBytes</c>, <c>backend.name</c>, <c>latencyMs.{mean,median,p90,p95,p99,min,max,std}</c>, <c>loadMs</c>,
/// <c>firstRunMs</c>, <c>throughputPerSecond</c>, <c>memory.peakRssBytes</c> and
/// <c>operators[].{name,opType,totalMs,percent}</c>.
/// </para>
/// <para>Serialization uses source-generated metadata, so it works in trimmed and native AOT apps.</para>
/// </remarks>
/// <example>
/// <code>
/// ReportJson.Write(report, "squeezenet.json");
/// ProfileReport again = ReportJson.Read("squeezenet.json");
/// </code>
/// </example>
public static class ReportJson
{
    /// <summary>The schema of a results file holding many reports.</summary>
    public const string ResultsSchema = "lightnet.results/1";

    private const string ProfileSchemaName = "lightnet.profile";
    private const string ResultsSchemaName = "lightnet.results";
    private const int SupportedMajorVersion = 1;
    private const string TextSource = "the JSON text";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    internal static readonly JsonSerializerOptions Options = CreateOptions();
    private static readonly JsonTypeInfo<ProfileReport> ReportInfo = (JsonTypeInfo<ProfileReport>)Options.GetTypeInfo(typeof(ProfileReport));
    private static readonly JsonTypeInfo<ResultsFile> ResultsInfo = (JsonTypeInfo<ResultsFile>)Options.GetTypeInfo(typeof(ResultsFile));
    private static readonly JsonTypeInfo<PipelineReport> PipelineInfo = (JsonTypeInfo<PipelineReport>)Options.GetTypeInfo(typeof(PipelineReport));

    /// <summary>Serializes one report to indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ProfileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, ReportInfo);
    }

    /// <summary>The former name of <see cref="Format(ProfileReport)"/>.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    [Obsolete("Use ReportJson.Format.")]
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static string Serialize(ProfileReport report) => Format(report);

    /// <summary>The former name of <see cref="Parse(string)"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    [Obsolete("Use ReportJson.Parse.")]
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static ProfileReport Deserialize(string json) => Parse(json);

    /// <summary>Reads one report from JSON text.</summary>
    /// <param name="json">JSON text as <see cref="Format(ProfileReport)"/> writes it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not valid JSON (the message
    /// gives the line and position), is not a profile report, misses required fields or has a schema whose major version
    /// this LightNet does not know.</exception>
    public static ProfileReport Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseReport(json, TextSource);
    }

    /// <summary>Writes one report to a JSON file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ProfileReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        WriteText(Format(report), path);
    }

    /// <summary>Reads one report from a JSON file.</summary>
    /// <param name="path">The file, as <see cref="Write(ProfileReport, string)"/> writes it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> for an empty path, or naming the file when it is not valid JSON (with the line
    /// and position), not a profile report, or has a schema whose major version this LightNet does not know.</exception>
    public static ProfileReport Read(string path) => ParseReport(ReadText(path), $"'{path}'");

    /// <summary>Serializes an end-to-end pipeline report (schema <c>lightnet.pipeline/1</c>) to indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(PipelineReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, PipelineInfo);
    }

    /// <summary>Reads a pipeline report from JSON text as <see cref="Format(PipelineReport)"/> writes it.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not valid JSON or not a
    /// pipeline report.</exception>
    public static PipelineReport ParsePipeline(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParsePipeline(json, TextSource);
    }

    /// <summary>Writes a pipeline report to a JSON file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(PipelineReport report, string path) => WriteText(Format(report), path);

    /// <summary>Reads a pipeline report from a file as <see cref="Write(PipelineReport, string)"/> writes it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> for an empty path, or naming the file when it is not a pipeline report.</exception>
    public static PipelineReport ReadPipeline(string path) => ParsePipeline(ReadText(path), $"'{path}'");

    /// <summary>Serializes many reports to an indented results file: <c>{ "schema": "lightnet.results/1", "reports": [...] }</c>.</summary>
    /// <param name="reports">The reports, in the order they should appear.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when one of the reports is null.</exception>
    public static string Format(IReadOnlyList<ProfileReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        for (int i = 0; i < reports.Count; i++)
        {
            if (reports[i] is null)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"reports[{i}] is null.");
            }
        }

        return JsonSerializer.Serialize(new ResultsFile { Schema = ResultsSchema, Reports = reports }, ResultsInfo);
    }

    /// <summary>
    /// Reads many reports from JSON text: a results file as <see cref="Format(IReadOnlyList{ProfileReport})"/> writes it, or a single report
    /// (read as a list of one).
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The reports, in file order.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not valid JSON (with the line
    /// and position), is neither a results file nor a report, or has a schema whose major version this LightNet does not
    /// know (the message names the report's index).</exception>
    public static IReadOnlyList<ProfileReport> ParseMany(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseMany(json, TextSource);
    }

    /// <summary>Writes many reports to a results file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="reports">The reports.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path or a null report,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(IReadOnlyList<ProfileReport> reports, string path) => WriteText(Format(reports), path);

    /// <summary>Reads many reports from a file: a results file as <see cref="Write(IReadOnlyList{ProfileReport}, string)"/> writes it, or a single report.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The reports, in file order.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> for an empty path, or naming the file when it is not valid JSON (with the line
    /// and position), not a results file or report, or has a schema whose major version this LightNet does not know.</exception>
    public static IReadOnlyList<ProfileReport> ReadMany(string path) => ParseMany(ReadText(path), $"'{path}'");

    private static PipelineReport ParsePipeline(string json, string source)
    {
        try
        {
            PipelineReport? report = JsonSerializer.Deserialize(json, PipelineInfo);
            if (report is null || !report.Schema.StartsWith("lightnet.pipeline/", StringComparison.Ordinal))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} is not a pipeline report (schema '{report?.Schema}').");
            }

            return report;
        }
        catch (JsonException e)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} is not a valid pipeline report: {e.Message}", e);
        }
    }

    private static ProfileReport ParseReport(string json, string source)
    {
        using JsonDocument document = ParseDocument(json, source);
        JsonElement root = document.RootElement;
        string schema = RequireSchema(root, source, "");
        if (SchemaName(schema) == ResultsSchemaName)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"{Capitalize(source)} is a results file with many reports (schema '{schema}'), not a single report; read it with ReadMany.");
        }

        CheckSchema(schema, ProfileSchemaName, ProfileReport.CurrentSchema, source, "");
        return ToObject(root, ReportInfo, source);
    }

    private static List<ProfileReport> ParseMany(string json, string source)
    {
        using JsonDocument document = ParseDocument(json, source);
        JsonElement root = document.RootElement;
        string schema = RequireSchema(root, source, "");
        if (SchemaName(schema) == ProfileSchemaName)
        {
            CheckSchema(schema, ProfileSchemaName, ProfileReport.CurrentSchema, source, "");
            return [ToObject(root, ReportInfo, source)];
        }

        CheckSchema(schema, ResultsSchemaName, ResultsSchema, source, "");
        if (!root.TryGetProperty("reports", out JsonElement reports) || reports.ValueKind != JsonValueKind.Array)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} has no \"reports\" array.");
        }

        var result = new List<ProfileReport>(reports.GetArrayLength());
        int index = 0;
        foreach (JsonElement element in reports.EnumerateArray())
        {
            string where = $" (reports[{index}])";
            string reportSchema = RequireSchema(element, source, where);
            CheckSchema(reportSchema, ProfileSchemaName, ProfileReport.CurrentSchema, source, where);
            result.Add(ToObject(element, ReportInfo, source + where));
            index++;
        }

        return result;
    }

    internal static JsonDocument ParseDocument(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} is not valid JSON{Position(e)}: {e.Message}", e);
        }
    }

    internal static T ToObject<T>(JsonElement element, JsonTypeInfo<T> typeInfo, string source, string what = "profile report")
        where T : class
    {
        T? value;
        try
        {
            value = element.Deserialize(typeInfo);
        }
        catch (JsonException e)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} is not a valid {what}{Position(e)}: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} is not a valid {what}: {e.Message}", e);
        }

        return value ?? throw new LightNetException(ErrorCode.InvalidArgument, $"{Capitalize(source)} holds null instead of a {what}.");
    }

    internal static string RequireSchema(JsonElement element, string source, string where, string? expected = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"{Capitalize(source)}{where} is a JSON {element.ValueKind.ToString().ToLowerInvariant()}, not a LightNet report object.");
        }

        if (!element.TryGetProperty("schema", out JsonElement schema) || schema.ValueKind != JsonValueKind.String)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"{Capitalize(source)}{where} has no \"schema\" string: it is not a LightNet report (expected {expected ?? $"'{ProfileReport.CurrentSchema}' or '{ResultsSchema}'"}).");
        }

        return schema.GetString()!;
    }

    internal static void CheckSchema(string schema, string expectedName, string current, string source, string where)
    {
        string name = SchemaName(schema);
        int slash = schema.IndexOf('/', StringComparison.Ordinal);
        string version = slash >= 0 ? schema[(slash + 1)..] : "";
        int dot = version.IndexOf('.', StringComparison.Ordinal);
        string major = dot >= 0 ? version[..dot] : version;
        bool known = name == expectedName
            && int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int majorVersion)
            && majorVersion == SupportedMajorVersion;
        if (!known)
        {
            string what = name == expectedName ? "an unknown major version" : "an unknown schema";
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"{Capitalize(source)}{where} has schema '{schema}', {what}; this LightNet reads '{current}' (major version {SupportedMajorVersion}).");
        }
    }

    internal static string SchemaName(string schema)
    {
        int slash = schema.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? schema[..slash] : schema;
    }

    private static string Position(JsonException e)
    {
        var parts = new List<string>(3);
        if (e.LineNumber is long line)
        {
            parts.Add($"line {line + 1}");
        }

        if (e.BytePositionInLine is long column)
        {
            parts.Add($"byte {column + 1}");
        }

        if (!string.IsNullOrEmpty(e.Path) && e.Path != "$")
        {
            parts.Add($"path {e.Path}");
        }

        return parts.Count == 0 ? "" : " at " + string.Join(", ", parts);
    }

    private static string Capitalize(string source) =>
        source.Length > 0 && char.IsLower(source[0]) ? char.ToUpperInvariant(source[0]) + source[1..] : source;

    internal static void WriteText(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Report path is empty.");
        }

        byte[] bytes = Utf8NoBom.GetBytes(text);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    internal static string ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Report path is empty.");
        }

        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read '{path}': {e.Message}", e);
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        // The generated options (camelCase, string enums, named float literals, "\n"), with one contract change.
        var options = new JsonSerializerOptions(ReportJsonContext.Default.Options)
        {
            TypeInfoResolver = ReportJsonContext.Default.WithAddedModifier(OmitDerivedMembers),

            // Reports are files, not HTML: keep quotes as \" and names such as "Intel® Core™" readable.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Leaves out members computed from others (a confidence interval's width), which are not data.</summary>
    private static void OmitDerivedMembers(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Type == typeof(ConfidenceInterval))
        {
            for (int i = typeInfo.Properties.Count - 1; i >= 0; i--)
            {
                if (typeInfo.Properties[i].Name == "width")
                {
                    typeInfo.Properties.RemoveAt(i);
                }
            }
        }
    }
}

/// <summary>The JSON shape of a results file.</summary>
internal sealed record ResultsFile
{
    public required string Schema { get; init; }

    public required IReadOnlyList<ProfileReport> Reports { get; init; }
}

/// <summary>Source-generated JSON metadata for every report type (profile reports, results files, comparisons).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NewLine = "\n",
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ProfileReport))]
[JsonSerializable(typeof(ResultsFile))]
[JsonSerializable(typeof(ComparisonReport))]
[JsonSerializable(typeof(PipelineReport))]
[JsonSerializable(typeof(OperatorProfile))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

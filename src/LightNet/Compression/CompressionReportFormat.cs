using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Compression;

/// <summary>JSON and Markdown forms of <see cref="CompressionReport"/>, in the style of the other reports.</summary>
public static class CompressionReportFormat
{
    /// <summary>The report as indented JSON (camelCase, <c>"\n"</c> line ends).</summary>
    /// <param name="report">The report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string ToJson(CompressionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, CompressionJsonContext.WithReportSettings.CompressionReport);
    }

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not a compression report of a supported schema.</exception>
    public static CompressionReport FromJson(string json)
    {
        using JsonDocument doc = ReportJson.ParseDocument(json ?? "", "the JSON text");
        string schema = ReportJson.RequireSchema(doc.RootElement, "the JSON text", "the report");
        ReportJson.CheckSchema(schema, "lightnet.compression", CompressionReport.CurrentSchema, "the JSON text", "the report");
        return ReportJson.ToObject(doc.RootElement, CompressionJsonContext.WithReportSettings.CompressionReport, "the JSON text", "compression report");
    }

    /// <summary>Writes the JSON form atomically.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination file.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> naming the path.</exception>
    public static void WriteJson(CompressionReport report, string path) => ReportJson.WriteText(ToJson(report), path);

    /// <summary>The report as a Markdown section: size, fidelity per output and latency.</summary>
    /// <param name="report">The report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string ToMarkdown(CompressionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("## Compression: ").Append(ReportMarkdown.Inline(report.ModelName)).Append(" (").Append(ReportMarkdown.Or(report.Method)).Append(")\n\n");
        sb.Append("| | Before | After | Ratio |\n|---|---:|---:|---:|\n");
        sb.Append("| File bytes | ").Append(ReportMarkdown.Count(report.FileBytesBefore)).Append(" | ").Append(ReportMarkdown.Count(report.FileBytesAfter))
            .Append(" | ").Append(ReportMarkdown.Fixed(report.SizeRatio * 100, "F1")).Append(" % |\n");
        double paramRatio = report.ParameterBytesBefore == 0 ? double.NaN : 100.0 * report.ParameterBytesAfter / report.ParameterBytesBefore;
        sb.Append("| Parameter bytes | ").Append(ReportMarkdown.Count(report.ParameterBytesBefore)).Append(" | ").Append(ReportMarkdown.Count(report.ParameterBytesAfter))
            .Append(" | ").Append(ReportMarkdown.Fixed(paramRatio, "F1")).Append(" % |\n");
        if (report.LatencyBefore is { } lb && report.LatencyAfter is { } la)
        {
            sb.Append("| Median latency (ms, ").Append(ReportMarkdown.Cell(report.LatencyBackend)).Append(") | ").Append(ReportMarkdown.Fixed(lb.Median, "F3"))
                .Append(" | ").Append(ReportMarkdown.Fixed(la.Median, "F3")).Append(" | ").Append(ReportMarkdown.Fixed(100 * la.Median / lb.Median, "F1")).Append(" % |\n");
        }

        sb.Append("\nFidelity against the original on ").Append(report.Samples.ToString(CultureInfo.InvariantCulture)).Append(" samples (")
            .Append(ReportMarkdown.Inline(report.InputsDescription)).Append("):\n\n");
        sb.Append("| Output | Max abs error | Mean abs error | Cosine (worst sample) | Top-1 agreement |\n|---|---:|---:|---:|---:|\n");
        foreach (FidelityReport f in report.Fidelity)
        {
            sb.Append("| ").Append(ReportMarkdown.Cell(f.Output)).Append(" | ").Append(ReportMarkdown.Fixed(f.MaxAbsoluteError, "G4")).Append(" | ")
                .Append(ReportMarkdown.Fixed(f.MeanAbsoluteError, "G4")).Append(" | ").Append(ReportMarkdown.Fixed(f.CosineSimilarity, "F5")).Append(" | ")
                .Append(f.Top1Agreement is double t ? ReportMarkdown.Fixed(t * 100, "F1") + " %" : ReportMarkdown.None).Append(" |\n");
        }

        foreach (string w in report.Warnings)
        {
            sb.Append("\n> Warning: ").Append(ReportMarkdown.Inline(w)).Append('\n');
        }

        return sb.ToString();
    }
}

/// <summary>Source-generated JSON metadata of the compression report, used with the other reports' settings.</summary>
[JsonSerializable(typeof(CompressionReport))]
internal sealed partial class CompressionJsonContext : JsonSerializerContext
{
    /// <summary>The settings of <see cref="ReportJson"/> (camelCase, string enums, named float literals, "\n").</summary>
    public static CompressionJsonContext WithReportSettings { get; } = new(new JsonSerializerOptions(ReportJson.Options) { TypeInfoResolver = null });
}

using System.Globalization;
using System.Text;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Compression;

/// <summary>The Markdown form of <see cref="CompressionReport"/>, in the style of the other reports; the JSON form is <see cref="CompressionJson"/>.</summary>
public static class CompressionMarkdown
{
    /// <summary>The report as a Markdown section: size, fidelity per output and latency.</summary>
    /// <param name="report">The report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(CompressionReport report)
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

    /// <summary>Writes <see cref="Format"/>'s text to a file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path, <see cref="ErrorCode.IOFailure"/> naming the path.</exception>
    public static void Write(CompressionReport report, string path) => ReportJson.WriteText(Format(report), path);
}

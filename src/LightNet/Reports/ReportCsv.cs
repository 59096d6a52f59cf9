using System.Globalization;
using System.Text;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Writes <see cref="ProfileReport"/>s as CSV for spreadsheets and data frames: one header row, then one row per report
/// (one model on one backend). Fields follow RFC 4180 (a field holding a comma, a double quote, CR or LF is quoted and
/// its quotes doubled), numbers use the invariant culture and their shortest round-trip form, and lines end with
/// <c>"\n"</c>.
/// </summary>
/// <remarks>
/// The columns, in order, are <see cref="Columns"/>: model, backend, precision, device, threads (empty for the backend's
/// default), batch, parameters, macs, fileBytes, loadMs, firstRunMs, runs, meanMs, medianMs, p90Ms, p95Ms, p99Ms, minMs,
/// maxMs, stdMs, meanCiLowMs, meanCiHighMs, throughputPerSecond, itemsPerSecond, peakRssBytes, managedBytesPerRun, cv,
/// drift and warnings (joined with <c>" | "</c>). A NaN is written <c>NaN</c> and an infinity <c>Infinity</c> or
/// <c>-Infinity</c>.
/// </remarks>
public static class ReportCsv
{
    /// <summary>The header row's column names, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "model", "backend", "precision", "device", "threads", "batch", "parameters", "macs", "fileBytes", "loadMs",
        "firstRunMs", "runs", "meanMs", "medianMs", "p90Ms", "p95Ms", "p99Ms", "minMs", "maxMs", "stdMs", "meanCiLowMs",
        "meanCiHighMs", "throughputPerSecond", "itemsPerSecond", "peakRssBytes", "managedBytesPerRun", "cv", "drift",
        "warnings",
    ];

    /// <summary>Formats reports as CSV text: the header row and one row per report, in the order given.</summary>
    /// <param name="reports">The reports.</param>
    /// <returns>The CSV text; every line, the last included, ends with <c>"\n"</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when one of the reports is null.</exception>
    public static string Format(IEnumerable<ProfileReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var text = new StringBuilder();
        AppendRow(text, Columns);
        int index = 0;
        foreach (ProfileReport report in reports)
        {
            if (report is null)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"reports[{index}] is null.");
            }

            AppendRow(text, Row(report));
            index++;
        }

        return text.ToString();
    }

    /// <summary>Writes reports to a CSV file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="reports">The reports.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reports"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path or a null report,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(IEnumerable<ProfileReport> reports, string path) => ReportJson.WriteText(Format(reports), path);

    /// <summary>Formats one report as CSV text: the header row and the report's row.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The CSV text; both lines end with <c>"\n"</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ProfileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Format([report]);
    }

    /// <summary>Writes one report to a CSV file atomically (the header row and the report's row).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ProfileReport report, string path) => ReportJson.WriteText(Format(report), path);

    /// <summary>The timeline CSV's column names, in order (<see cref="FormatTimeline"/>); <c>cpuMHz</c> is the mean over the cores.</summary>
    public static IReadOnlyList<string> TimelineColumns { get; } = ["tSeconds", "runs", "medianMs", "p90Ms", "cpuMHz", "temperatureC", "watts"];

    /// <summary>Formats a sustained run's timeline as CSV: a header row (<see cref="TimelineColumns"/>) and one row per interval; an unreadable sensor is an empty field.</summary>
    /// <param name="sustained">The sustained run.</param>
    /// <returns>The CSV text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sustained"/> is null.</exception>
    public static string FormatTimeline(SustainedSummary sustained)
    {
        ArgumentNullException.ThrowIfNull(sustained);
        var text = new StringBuilder();
        AppendRow(text, TimelineColumns);
        foreach (TimelinePoint p in sustained.Timeline)
        {
            AppendRow(text, [Number(p.TSeconds), Number(p.Runs), Number(p.MedianMs), Number(p.P90Ms), Number(p.CpuMHz), Number(p.TemperatureC), Number(p.Watts)]);
        }

        return text.ToString();
    }

    /// <summary>Writes <see cref="FormatTimeline"/>'s text to a file atomically.</summary>
    /// <param name="sustained">The sustained run.</param>
    /// <param name="path">Destination path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sustained"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void WriteTimeline(SustainedSummary sustained, string path) => ReportJson.WriteText(FormatTimeline(sustained), path);

    /// <summary>Quotes one field as RFC 4180 asks: when it holds a comma, a double quote, CR or LF.</summary>
    /// <param name="field">The field's text.</param>
    /// <returns>The field, quoted with its quotes doubled when needed, else unchanged.</returns>
    internal static string Escape(string field)
    {
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return field;
        }

        return "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Escape(fields[i]));
        }

        text.Append('\n');
    }

    private static string[] Row(ProfileReport r)
    {
        LatencySummary latency = r.LatencyMs;
        return
        [
            r.Model?.Name ?? "",
            r.Backend?.Name ?? "",
            r.Backend?.Precision ?? "",
            r.Backend?.Device ?? "",
            r.Settings?.ThreadsShown is int threads ? Number(threads) : "",
            Number(r.Settings?.BatchSize ?? 0),
            Number(r.Model?.Parameters ?? 0),
            Number(r.Model?.Macs ?? 0),
            Number(r.Model?.FileBytes ?? 0),
            Number(r.LoadMs),
            Number(r.FirstRunMs),
            Number(r.Settings?.Runs ?? latency?.Count ?? 0),
            Number(latency?.Mean),
            Number(latency?.Median),
            Number(latency?.P90),
            Number(latency?.P95),
            Number(latency?.P99),
            Number(latency?.Min),
            Number(latency?.Max),
            Number(latency?.StandardDeviation),
            Number(latency?.MeanCi.Lower),
            Number(latency?.MeanCi.Upper),
            Number(r.ThroughputPerSecond),
            Number(r.ItemsPerSecond),
            Number(r.Memory?.PeakRssBytes ?? 0),
            Number(r.Memory?.ManagedBytesPerRun),
            Number(r.Stability?.CoefficientOfVariation),
            Number(r.Stability?.Drift),
            string.Join(" | ", r.Warnings ?? []),
        ];
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is double v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}

using System.Globalization;
using System.Net;
using System.Text;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Formats a <see cref="ProfileReport"/> as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched):
/// the environment, latency, load and memory, the warm-up, and when measured the cold starts, the sustained run with its
/// timeline drawn (median and p90 per interval, the throttling point marked) and the load steps, every warning, and the most
/// expensive operators. All text is HTML-escaped.
/// </summary>
public static class ReportHtml
{
    private const string Style = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}"
        + "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .6rem}.num{text-align:right;font-variant-numeric:tabular-nums}"
        + "th{background:#f3f3f3}.warn{background:#fff4e5;border-left:4px solid #f0a030;padding:.5rem 1rem}"
        + "svg .grid{stroke:#ddd}svg .axis{stroke:#333}svg text{font-size:11px;fill:#333}svg .median{stroke:#4e79a7;fill:none;stroke-width:2}"
        + "svg .p90{stroke:#f28e2b;fill:none;stroke-width:1.5;stroke-dasharray:4 3}svg .throttle{stroke:#e15759;stroke-width:1.5}";

    /// <summary>Formats the page.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The HTML text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ProfileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        string title = $"{report.Model?.Name ?? "model"} on {report.Backend?.Name ?? "backend"}";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title><style>")
            .Append(Style).Append("</style></head><body>\n<h1>").Append(E(title)).Append("</h1>\n");
        if (report.Environment is { } env)
        {
            html.Append("<p><b>Environment:</b> ").Append(E(ReportMarkdown.EnvironmentLine(env))).Append("</p>\n");
        }

        if (report.Backend is { } b && report.Settings is { } s)
        {
            html.Append("<p><b>Settings:</b> ").Append(E($"{s.Runs} timed runs after {s.WarmupRuns} warm-up runs, batch {s.BatchSize}, threads "
                + (s.ThreadsShown is int t ? t.ToString(CultureInfo.InvariantCulture) : "default") + $", precision {b.Precision}, device {b.Device}"))
                .Append("</p>\n");
        }

        var key = new ReportSection("Load, throughput, memory and stability", [], ["Measure", ">Value"],
        [
            ["load (session creation)", ProfileSections.Ms(report.LoadMs) + " ms"],
            ["first run", ProfileSections.Ms(report.FirstRunMs) + " ms"],
            ["throughput", ReportMarkdown.Fixed(report.ThroughputPerSecond, "F1") + " inferences/s"],
            ["peak RSS", ReportMarkdown.Fixed((report.Memory?.PeakRssBytes ?? 0) / (1024.0 * 1024.0), "F1") + " MiB"],
            ["coefficient of variation", ReportMarkdown.Fixed((report.Stability?.CoefficientOfVariation ?? 0) * 100, "F1") + " %"],
            ["drift (last ¼ / first ¼)", ReportMarkdown.Fixed(report.Stability?.Drift ?? 1, "F3")],
        ]);
        foreach (ReportSection section in new[] { ProfileSections.Latency(report), key }.OfType<ReportSection>().Concat(ProfileSections.Extras(report)))
        {
            AppendSection(html, section);
            if (section.Title == "Sustained run" && report.Sustained is { Timeline.Count: > 0 } sustained)
            {
                html.Append(TimelineSvg(sustained)).Append('\n');
            }
        }

        if (ProfileSections.AllWarnings(report) is { Count: > 0 } warnings)
        {
            html.Append("<h2>Warnings</h2>\n<div class=\"warn\"><ul>\n");
            foreach (string w in warnings)
            {
                html.Append("<li>").Append(E(w ?? "")).Append("</li>\n");
            }

            html.Append("</ul></div>\n");
        }

        if (report.Operators is { Count: > 0 } ops)
        {
            AppendSection(html, new ReportSection($"Top operators ({Math.Min(ReportMarkdown.TopOperators, ops.Count)} of {ops.Count})", [],
                ["Node", "Op type", "Provider", ">Calls", ">Mean ms", "95% CI of mean (ms)", ">%", "Noisy"],
                ops.Take(ReportMarkdown.TopOperators).Select(o => new[]
                {
                    o.Name, o.OpType, o.Provider, o.Calls.ToString(CultureInfo.InvariantCulture), ProfileSections.Ms(o.MeanMs),
                    o.MeanCi.Level > 0 ? ProfileSections.Interval(o.MeanCi) : "", ReportMarkdown.Fixed(o.Percent, "F1"), o.Noisy ? "noisy" : "",
                }).ToArray()));
        }

        html.Append("<p><small>Measured ").Append(E(report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)))
            .Append(" UTC · schema ").Append(E(report.Schema)).Append("</small></p>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="Format"/>'s page to a file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Destination path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ProfileReport report, string path) => ReportJson.WriteText(Format(report), path);

    private static void AppendSection(StringBuilder html, ReportSection section)
    {
        html.Append("<h2>").Append(E(section.Title)).Append("</h2>\n");
        foreach (string note in section.Notes)
        {
            html.Append("<p>").Append(E(note)).Append("</p>\n");
        }

        if (section.Header.Count == 0)
        {
            return;
        }

        Study.StudyHtml.AppendTable(html, new Study.StudyTable("", section.Title, "", section.Header, section.Rows));
    }

    /// <summary>The timeline as an inline SVG line chart: median and p90 per interval, the throttling start as a vertical line.</summary>
    internal static string TimelineSvg(SustainedSummary s)
    {
        const double width = 720, height = 260, left = 56, right = 16, top = 24, bottom = 36;
        double plotW = width - left - right, plotH = height - top - bottom;
        double tMax = Math.Max(s.Seconds, s.Timeline[^1].TSeconds + s.IntervalSeconds);
        double yMax = s.Timeline.Max(p => p.P90Ms);
        yMax = yMax > 0 && double.IsFinite(yMax) ? yMax * 1.1 : 1;
        double X(double t) => left + plotW * (t + s.IntervalSeconds / 2) / tMax;
        double Y(double ms) => top + plotH * (1 - ms / yMax);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" role=\"img\" aria-label=\"Latency timeline\">");
        for (int i = 0; i <= 4; i++)
        {
            double v = yMax * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(left)}\" x2=\"{N(left + plotW)}\" y1=\"{N(Y(v))}\" y2=\"{N(Y(v))}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left - 6)}\" y=\"{N(Y(v) + 4)}\" text-anchor=\"end\">{N(v)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(left)}\" x2=\"{N(left + plotW)}\" y1=\"{N(top + plotH)}\" y2=\"{N(top + plotH)}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + plotW / 2)}\" y=\"{N(height - 6)}\" text-anchor=\"middle\">seconds</text>")
           .Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{N(top + plotH / 2)}\" transform=\"rotate(-90 12 {N(top + plotH / 2)})\" text-anchor=\"middle\">ms</text>")
           .Append(CultureInfo.InvariantCulture, $"<polyline class=\"median\" points=\"{string.Join(" ", s.Timeline.Select(p => $"{N(X(p.TSeconds))},{N(Y(p.MedianMs))}"))}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<polyline class=\"p90\" points=\"{string.Join(" ", s.Timeline.Select(p => $"{N(X(p.TSeconds))},{N(Y(p.P90Ms))}"))}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + 8)}\" y=\"14\" fill=\"#4e79a7\">median</text><text x=\"{N(left + 70)}\" y=\"14\" fill=\"#f28e2b\">p90</text>");
        if (s.Throttling is { Detected: true, StartSeconds: double start })
        {
            double x = left + plotW * start / tMax;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"throttle\" x1=\"{N(x)}\" x2=\"{N(x)}\" y1=\"{N(top)}\" y2=\"{N(top + plotH)}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 4)}\" y=\"{N(top + 12)}\" fill=\"#e15759\">throttling from {N(start)} s</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

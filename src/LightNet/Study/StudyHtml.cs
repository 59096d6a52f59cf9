using System.Globalization;
using System.Text;
using LightNet.Backends;
using LightNet.Reports;

namespace LightNet.Study;

/// <summary>
/// The study as one self-contained HTML page (<c>index.html</c>): inline SVG charts and CSS, no script, no font and no other
/// file, so it opens offline and can be mailed as is.
/// </summary>
/// <remarks>
/// The charts, each an <c>svg[data-chart]</c>: <c>tradeoff</c> (accuracy, or fidelity when accuracy was not measured, against
/// median latency for every measured cell, Pareto front marked), <c>size-latency</c> (file size against latency, Pareto front
/// marked), <c>latency</c> (median per model and backend in FP32, p10–p90 whiskers, log scale), <c>precision</c> (FP32 vs FP16
/// vs INT8 per model and backend), <c>size</c> (file MiB per precision), <c>speedup</c> (over the baseline's FP32, baseline = 1),
/// <c>accuracy</c> (measured top-1 per precision, or top-1 agreement with FP32 when nothing was measured) and <c>operators</c>
/// (time share of the top operator types of the breakdown model). Tables add load time, first-run time and peak memory per cell
/// and every measurement warning. Then the environment, the exact command, and why the recommended model was picked.
/// </remarks>
public static class StudyHtml
{
    /// <summary>Writes <see cref="Format"/>'s text to a file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="results">The results.</param>
    /// <param name="path">Destination path.</param>
    /// <param name="comparison">A comparison with an earlier study, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path;
    /// <see cref="ErrorCode.IOFailure"/> naming the path when it cannot be written.</exception>
    public static void Write(StudyResults results, string path, StudyComparison? comparison = null) =>
        ReportJson.WriteText(Format(results, comparison), path);

    /// <summary>Formats the page.</summary>
    /// <param name="results">The results.</param>
    /// <param name="comparison">A comparison with an earlier study, or null.</param>
    /// <returns>The HTML text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    public static string Format(StudyResults results, StudyComparison? comparison = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        List<StudyTable> tables = StudyTables.Build(results, comparison);
        Dictionary<string, ISvgChart> charts = Charts(results).ToDictionary(c => c.Id);
        StringBuilder html = Head("LightNet study — " + results.Environment.CpuModel);
        html.Append("<header><h1>LightNet study</h1><p>")
            .Append(E($"{results.Models.Count} models × {StudyTables.Backends(results).Count} backends × {StudyTables.Precisions(results).Count} precisions on "
                + $"{results.Environment.CpuModel}, {results.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. "
                + $"Baseline: {results.Baseline} in FP32 = 1. {StudyTables.AccuracyStatement(results)}"))
            .Append("</p>");
        if (results.Recommendation is { } rec)
        {
            html.Append("<p class=\"lead\"><a href=\"#recommendation\">Recommended</a>: ").Append(E(rec.Best?.ToString() ?? "nothing meets the budget"))
                .Append(rec.Best is { } b ? E($" (median {StudyTables.Ms(b.MedianMs)} ms, {StudyTables.MiB(b.FileBytes)} MiB)") : "").Append("</p>");
        }

        html.Append("<nav>");
        foreach (StudyTable t in tables)
        {
            html.Append("<a href=\"#").Append(E(t.Id)).Append("\">").Append(E(t.Title)).Append("</a> ");
        }

        html.Append("<a href=\"#environment\">Environment</a> <a href=\"#recommendation\">Recommendation</a></nav></header>\n<main>\n");
        AppendSections(html, tables, charts, ChartsOf);
        html.Append("<section id=\"environment\">\n<h2>Environment</h2>\n<table class=\"env\"><tbody>");
        foreach ((string name, string value) in StudyTables.Environment(results))
        {
            html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }

        html.Append("</tbody></table>\n<h3>Command</h3>\n<pre id=\"command\">")
            .Append(E(results.Command.Length > 0 ? results.Command : "(run from code: StudyRunner.Run)")).Append("</pre>\n</section>\n");
        html.Append("<section id=\"recommendation\">\n<h2>Recommendation: why this model</h2>\n<p class=\"recommendation\">").Append(E(StudyMarkdown.Recommendation(results)))
            .Append("</p>\n</section>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The charts of the page, in order (only those with data).</summary>
    internal static List<ISvgChart> Charts(StudyResults r)
    {
        var charts = new List<ISvgChart>();
        IReadOnlyList<string> backends = StudyTables.Backends(r);
        IReadOnlyList<Precision> precisions = StudyTables.Precisions(r);
        List<string> models = r.Models.Select(m => m.Name).ToList();

        charts.Add(new SvgBarChart("latency", "Latency per model and backend, FP32 (median, whiskers p10–p90)", "ms (log scale)", models, backends,
            models.Select(m => backends.Select(b => LatencyBar(r.Cell(m, b, Precision.Fp32), $"{m} on {b}")).ToArray()).ToArray(), Log: true));

        List<(string Model, string Backend)> groups = StudyTables.PrecisionGroups(r);
        charts.Add(new SvgBarChart("precision", "FP32 vs FP16 vs INT8 per model and backend (median, whiskers p10–p90)", "ms (log scale)",
            groups.Select(g => $"{g.Model} · {g.Backend}").ToList(), precisions.Select(StudyTables.P).ToList(),
            groups.Select(g => precisions.Select(p => LatencyBar(r.Cell(g.Model, g.Backend, p), $"{g.Model} {StudyTables.P(p)} on {g.Backend}")).ToArray()).ToArray(),
            Log: true));

        charts.Add(new SvgBarChart("size", "Model file size per precision", "MiB", models, precisions.Select(StudyTables.P).ToList(),
            r.Models.Select(m => precisions.Select(p => m.Variant(p) is { Error: null, FileBytes: > 0 } v
                ? new ChartBar(v.FileBytes / (1024.0 * 1024.0), null, null, $"{m.Name} {StudyTables.P(p)}: {StudyTables.MiB(v.FileBytes)} MiB") : null).ToArray()).ToArray()));
        List<Candidate> candidates = ModelSelector.Candidates(r);
        (string axis, Func<Candidate, double?> value) = StudyTables.TradeoffAxis(r, candidates);
        List<string> kinds = candidates.Select(c => $"{c.Backend} {StudyTables.P(c.Precision)}").Distinct().ToList();
        ScatterPoint Point(Candidate c, double y, string what) => new(c.MedianMs, y, kinds.IndexOf($"{c.Backend} {StudyTables.P(c.Precision)}"),
            $"{c.Model} {StudyTables.P(c.Precision)}", $"{c}: median {StudyTables.Ms(c.MedianMs)} ms, {what}");
        charts.Add(new SvgScatterChart("tradeoff", $"{char.ToUpperInvariant(axis[0])}{axis[1..]} vs median latency; ringed and joined: the Pareto front",
            "median latency, ms (log scale)", axis, kinds,
            candidates.Where(c => value(c) is not null).Select(c => Point(c, value(c)!.Value, $"{axis} {value(c)!.Value:G4}")).ToList(), HigherYIsBetter: true));
        charts.Add(new SvgScatterChart("size-latency", "Model file size vs median latency; ringed and joined: the Pareto front (smaller and faster)",
            "median latency, ms (log scale)", "file MiB (log scale)", kinds,
            candidates.Select(c => Point(c, c.FileBytes / (1024.0 * 1024.0), $"{StudyTables.MiB(c.FileBytes)} MiB")).ToList(), HigherYIsBetter: false, LogY: true));

        List<(string Backend, Precision Precision)> series = StudyTables.SpeedUpSeries(r);
        charts.Add(new SvgBarChart("speedup", $"Speed-up over {r.Baseline} FP32 (baseline = 1, whiskers: 95% interval)", "× faster", models,
            series.Select(s => $"{s.Backend} {StudyTables.P(s.Precision)}").ToList(),
            models.Select(m => series.Select(s => r.Cell(m, s.Backend, s.Precision) is { Report: not null } c && double.IsFinite(c.SpeedUp)
                ? new ChartBar(c.SpeedUp, Finite(c.SpeedUpCi.Lower), Finite(c.SpeedUpCi.Upper),
                    $"{m} {StudyTables.P(s.Precision)} on {s.Backend}: {StudyTables.Times(c.SpeedUp, c.SpeedUpCi, false)}") : null).ToArray()).ToArray(),
            Reference: 1));

        bool measured = r.Models.Any(m => m.Variants.Any(v => v.Accuracy is not null));
        charts.Add(measured
            ? new SvgBarChart("accuracy", $"Measured top-1 per precision on {r.Settings.EvaluationImages} labelled images", "top-1 %",
                models, precisions.Select(StudyTables.P).ToList(),
                r.Models.Select(m => precisions.Select(p => m.Variant(p)?.Accuracy is { } a
                    ? new ChartBar(a.Top1Percent, null, null, $"{m.Name} {StudyTables.P(p)}: top-1 {a.Top1Percent:F2} %, top-5 {a.Top5Percent:F2} % ({a.Images} images)") : null).ToArray()).ToArray())
            : new SvgBarChart("accuracy", "Top-1 agreement of each compressed model with its FP32 original (what was measured; accuracy itself was not)",
                "agreement", models, precisions.Where(p => p != Precision.Fp32).Select(StudyTables.P).ToList(),
                r.Models.Select(m => precisions.Where(p => p != Precision.Fp32).Select(p => m.Variant(p)?.Fidelity?.Top1Agreement is double a
                    ? new ChartBar(a, null, null, $"{m.Name} {StudyTables.P(p)}: top-1 agreement {a:F3} on {m.Variant(p)!.FidelitySamples} synthetic inputs") : null).ToArray()).ToArray()));

        if (StudyTables.BreakdownCell(r) is { Report: { } report } bd)
        {
            var ops = report.OperatorTypes.Take(StudyTables.TopOperatorTypes).ToList();
            charts.Add(new SvgBarChart("operators", $"Top operator types of {bd.Model} on {bd.Backend}, FP32 (share of kernel time)", "% of time",
                ops.Select(o => o.OpType).ToList(), ["share"],
                ops.Select(o => new[] { new ChartBar(o.Percent, null, null, $"{o.OpType}: {o.Percent:F1} % ({o.TotalMs:F3} ms, {o.Nodes} nodes)") }).ToArray()));
        }

        return charts;
    }

    private static IEnumerable<string> ChartsOf(string section) => section switch
    {
        "tradeoffs" => ["tradeoff", "size-latency"],
        _ => [section],
    };

    private static ChartBar? LatencyBar(StudyCell? cell, string label) =>
        cell?.Report?.LatencyMs is { } l
            ? new ChartBar(l.Median, Finite(cell.P10Ms), l.P90, $"{label}: median {StudyTables.Ms(l.Median)} ms, p10 {StudyTables.Ms(cell.P10Ms)}, p90 {StudyTables.Ms(l.P90)}")
            : null;

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>One section per table: heading, note, the table's figures, the table.</summary>
    internal static void AppendSections(StringBuilder html, IEnumerable<StudyTable> tables, Dictionary<string, ISvgChart> charts, Func<string, IEnumerable<string>> chartsOf)
    {
        foreach (StudyTable table in tables)
        {
            html.Append("<section id=\"").Append(E(table.Id)).Append("\">\n<h2>").Append(E(table.Title)).Append("</h2>\n<p class=\"note\">").Append(E(table.Note)).Append("</p>\n");
            html.Append("<div class=\"figures\">");
            foreach (string id in chartsOf(table.Id))
            {
                if (charts.TryGetValue(id, out ISvgChart? chart))
                {
                    html.Append("<figure>").Append(chart.Render()).Append("<figcaption>").Append(E(chart.Title)).Append("</figcaption></figure>\n");
                }
            }

            html.Append("</div>\n");
            AppendTable(html, table);
            html.Append("</section>\n");
        }
    }

    /// <summary>The page up to the opening body tag: title, inline style.</summary>
    internal static StringBuilder Head(string title) => new StringBuilder()
        .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .Append("<title>").Append(E(title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");

    internal static void AppendTable(StringBuilder html, StudyTable table)
    {
        html.Append("<table><thead>");
        if (table.ColumnGroups is { Count: > 0 } groups)
        {
            html.Append("<tr class=\"groups\">");
            foreach ((string name, int span) in groups)
            {
                html.Append("<th colspan=\"").Append(span.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(E(name)).Append("</th>");
            }

            html.Append("</tr>");
        }

        html.Append("<tr>");
        foreach (string h in table.Headers)
        {
            html.Append(h.StartsWith('>') ? "<th class=\"num\">" : "<th>").Append(E(h.TrimStart('>'))).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (string[] row in table.Rows)
        {
            html.Append("<tr>");
            for (int i = 0; i < row.Length; i++)
            {
                bool right = i < table.Headers.Count && table.Headers[i].StartsWith('>');
                html.Append(right ? "<td class=\"num\">" : "<td>").Append(E(row[i])).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>\n");
    }

    private static string E(string text) => SvgBarChart.E(text);

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1f2328;background:#fff}
        header{padding:16px 32px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
        header h1{margin:0 0 6px;font-size:24px} header p{margin:0 0 8px;max-width:1100px}
        nav a{margin-right:12px;font-size:13px;color:#0969da;text-decoration:none}
        main{padding:8px 32px 32px} section{margin-top:28px}
        h2{font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
        .note{color:#57606a;font-size:14px;max-width:1100px}
        .figures{display:flex;flex-wrap:wrap;gap:8px 24px} figure{margin:12px 0;overflow-x:auto;max-width:100%} figcaption{font-size:12px;color:#57606a;width:0;min-width:100%}
        table{border-collapse:collapse;font-size:13px;margin:8px 0}
        th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f6f8fa} tr.groups th{text-align:center;background:#eaeef2}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .env th{width:140px} pre{background:#f6f8fa;padding:10px;border:1px solid #d0d7de;white-space:pre-wrap}
        .recommendation{font-size:16px;font-weight:600;max-width:1100px} .lead{font-weight:600}
        svg.chart{font-family:inherit} svg .tick,svg .group-label,svg .legend-label,svg .missing{font-size:11px;fill:#1f2328}
        svg .axis-label{font-size:12px;fill:#57606a} svg .grid{stroke:#eaeef2} svg .axis{stroke:#57606a}
        svg .whisker{stroke:#1f2328;stroke-width:1.2;fill:none} svg .reference{stroke:#cf222e;stroke-dasharray:5 4}
        svg .reference-label{font-size:11px;fill:#cf222e} svg .missing{fill:#8c959f}
        svg .point{stroke:#fff;stroke-width:1;fill-opacity:.85} svg .point.front{stroke:#1f2328;stroke-width:2}
        svg .pareto{stroke:#1f2328;stroke-width:1.5;fill:none;stroke-dasharray:4 3} svg .point-label{font-size:11px;fill:#1f2328}
        """;
}

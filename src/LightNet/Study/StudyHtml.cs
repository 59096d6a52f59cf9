using System.Globalization;
using System.Text;
using LightNet.Backends;

namespace LightNet.Study;

/// <summary>
/// The study as one self-contained HTML page (<c>index.html</c>): inline SVG charts and CSS, no script, no font and no other
/// file, so it opens offline and can be mailed as is.
/// </summary>
/// <remarks>
/// The charts, each an <c>svg[data-chart]</c>: <c>latency</c> (median per model and backend in FP32, p10–p90 whiskers, log
/// scale), <c>precision</c> (FP32 vs FP16 vs INT8 per model and backend), <c>size</c> (file MiB per precision),
/// <c>params</c>, <c>macs</c>, <c>speedup</c> (over the baseline's FP32, baseline = 1), <c>accuracy</c> (estimated top-1 per
/// precision) and <c>operators</c> (time share of the top operator types of the breakdown model). Then the environment, the
/// exact command, and the recommendation.
/// </remarks>
public static class StudyHtml
{
    /// <summary>Formats the page.</summary>
    /// <param name="results">The results.</param>
    /// <param name="comparison">A comparison with an earlier study, or null.</param>
    /// <returns>The HTML text.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when <paramref name="results"/> is null.</exception>
    public static string Format(StudyResults results, StudyComparison? comparison = null)
    {
        StudyJson.NotNull(results, "Study results");
        List<StudyTable> tables = StudyTables.Build(results, comparison);
        Dictionary<string, SvgBarChart> charts = Charts(results).ToDictionary(c => c.Id);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>LightNet study — ").Append(E(results.Environment.CpuModel)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<header><h1>LightNet study</h1><p>")
            .Append(E($"{results.Models.Count} models × {StudyTables.Backends(results).Count} backends × {StudyTables.Precisions(results).Count} precisions on "
                + $"{results.Environment.CpuModel}, {results.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. "
                + $"Baseline: {results.Baseline} in FP32 = 1. Zoo weights are synthetic: speed, size and fidelity are measured here; accuracy is the published value of trained weights."))
            .Append("</p><nav>");
        foreach (StudyTable t in tables)
        {
            html.Append("<a href=\"#").Append(E(t.Id)).Append("\">").Append(E(t.Title)).Append("</a> ");
        }

        html.Append("<a href=\"#environment\">Environment</a> <a href=\"#recommendation\">Recommendation</a></nav></header>\n<main>\n");
        foreach (StudyTable table in tables)
        {
            html.Append("<section id=\"").Append(E(table.Id)).Append("\">\n<h2>").Append(E(table.Title)).Append("</h2>\n<p class=\"note\">").Append(E(table.Note)).Append("</p>\n");
            html.Append("<div class=\"figures\">");
            foreach (string id in ChartsOf(table.Id))
            {
                if (charts.TryGetValue(id, out SvgBarChart? chart))
                {
                    html.Append("<figure>").Append(chart.Render()).Append("<figcaption>").Append(E(chart.Title)).Append("</figcaption></figure>\n");
                }
            }

            html.Append("</div>\n");

            AppendTable(html, table);
            html.Append("</section>\n");
        }

        html.Append("<section id=\"environment\">\n<h2>Environment</h2>\n<table class=\"env\"><tbody>");
        foreach ((string name, string value) in StudyTables.Environment(results))
        {
            html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }

        html.Append("</tbody></table>\n<h3>Command</h3>\n<pre id=\"command\">")
            .Append(E(results.Command.Length > 0 ? results.Command : "(run from code: StudyRunner.Run)")).Append("</pre>\n</section>\n");
        html.Append("<section id=\"recommendation\">\n<h2>Recommendation</h2>\n<p class=\"recommendation\">").Append(E(StudyMarkdown.Recommendation(results)))
            .Append("</p>\n</section>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The charts of the page, in order (only those with data).</summary>
    internal static List<SvgBarChart> Charts(StudyResults r)
    {
        var charts = new List<SvgBarChart>();
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
        charts.Add(new SvgBarChart("params", "Parameters per model", "millions", models, ["parameters"],
            r.Models.Select(m => new[] { m.Variants.FirstOrDefault() is { } v ? new ChartBar(v.Parameters / 1e6, null, null, $"{m.Name}: {v.Parameters:N0} parameters") : null }).ToArray()));
        charts.Add(new SvgBarChart("macs", "MACs per inference at the measured resolution", "G MACs", models, ["MACs"],
            r.Models.Select(m => new[] { m.Variants.FirstOrDefault() is { } v ? new ChartBar(v.Macs / 1e9, null, null, $"{m.Name} at {m.Resolution}×{m.Resolution}: {v.Macs / 1e9:F3} G MACs") : null }).ToArray()));

        List<(string Backend, Precision Precision)> series = StudyTables.SpeedUpSeries(r);
        charts.Add(new SvgBarChart("speedup", $"Speed-up over {r.Baseline} FP32 (baseline = 1, whiskers: 95% interval)", "× faster", models,
            series.Select(s => $"{s.Backend} {StudyTables.P(s.Precision)}").ToList(),
            models.Select(m => series.Select(s => r.Cell(m, s.Backend, s.Precision) is { Report: not null } c && double.IsFinite(c.SpeedUp)
                ? new ChartBar(c.SpeedUp, Finite(c.SpeedUpCi.Lower), Finite(c.SpeedUpCi.Upper),
                    $"{m} {StudyTables.P(s.Precision)} on {s.Backend}: {StudyTables.Times(c.SpeedUp, c.SpeedUpCi, false)}") : null).ToArray()).ToArray(),
            Reference: 1));

        charts.Add(new SvgBarChart("accuracy", "Estimated ImageNet top-1 per precision (published FP32 value less disagreements with FP32)", "top-1 %",
            models, precisions.Select(StudyTables.P).ToList(),
            r.Models.Select(m => precisions.Select(p =>
            {
                double? top1 = p == Precision.Fp32 ? m.PublishedTop1 : m.Variant(p)?.EstimatedTop1;
                string agreement = m.Variant(p)?.Fidelity?.Top1Agreement is double a ? $", top-1 agreement {a:F3}" : "";
                return top1 is double t ? new ChartBar(t, null, null, $"{m.Name} {StudyTables.P(p)}: {t:F1} %{agreement}") : null;
            }).ToArray()).ToArray()));

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
        "size" => ["size", "params", "macs"],
        _ => [section],
    };

    private static ChartBar? LatencyBar(StudyCell? cell, string label) =>
        cell?.Report?.LatencyMs is { } l
            ? new ChartBar(l.Median, Finite(cell.P10Ms), l.P90, $"{label}: median {StudyTables.Ms(l.Median)} ms, p10 {StudyTables.Ms(cell.P10Ms)}, p90 {StudyTables.Ms(l.P90)}")
            : null;

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    internal static void AppendTable(StringBuilder html, StudyTable table)
    {
        html.Append("<table><thead><tr>");
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
        .figures{display:flex;flex-wrap:wrap;gap:8px 24px} figure{margin:12px 0;overflow-x:auto;max-width:100%} figcaption{font-size:12px;color:#57606a}
        table{border-collapse:collapse;font-size:13px;margin:8px 0}
        th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f6f8fa}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .env th{width:140px} pre{background:#f6f8fa;padding:10px;border:1px solid #d0d7de;white-space:pre-wrap}
        .recommendation{font-size:16px;font-weight:600;max-width:1100px}
        svg.chart{font-family:inherit} svg .tick,svg .group-label,svg .legend-label,svg .missing{font-size:11px;fill:#1f2328}
        svg .axis-label{font-size:12px;fill:#57606a} svg .grid{stroke:#eaeef2} svg .axis{stroke:#57606a}
        svg .whisker{stroke:#1f2328;stroke-width:1.2;fill:none} svg .reference{stroke:#cf222e;stroke-dasharray:5 4}
        svg .reference-label{font-size:11px;fill:#cf222e} svg .missing{fill:#8c959f}
        """;
}

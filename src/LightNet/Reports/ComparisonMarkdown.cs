using System.Globalization;
using System.Text;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// Writes <see cref="ComparisonReport"/>s as Markdown: a model × backend table of median latencies and speed-ups over the
/// baseline, then the backends that could not run with the reason. The JSON form is <see cref="ComparisonJson"/>.
/// </summary>
/// <example>
/// <code>
/// ComparisonReport report = Profiler.Compare(models, backends);
/// ComparisonMarkdown.Write(report, "compare.md");
/// </code>
/// </example>
public static class ComparisonMarkdown
{
    /// <summary>
    /// Formats a comparison as GitHub-flavoured Markdown: a heading, the environment and settings, a table with one row
    /// per model and one column per backend whose cells hold the median latency and the speed-up over the baseline with
    /// its 95% interval (<c>4.213 ms · 2.31× [2.10, 2.55]</c>; the baseline is <c>1.00×</c>), the cells that failed with
    /// their error, and the unavailable backends with the reason.
    /// </summary>
    /// <param name="report">The comparison.</param>
    /// <returns>The Markdown text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    public static string Format(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append("# Backend comparison\n\n");
        if (report.Environment is { } env)
        {
            md.Append("**Environment:** ").Append(ReportMarkdown.Inline(ReportMarkdown.EnvironmentLine(env))).Append("\n\n");
        }

        md.Append("**Baseline:** ").Append(ReportMarkdown.Inline(report.Baseline ?? ReportMarkdown.None)).Append(" = 1.00×; a speed-up above 1 is faster than the baseline. ")
          .Append("Cells: median latency · speed-up of the mean latency with its 95% confidence interval.\n\n");
        if (report.Settings is { } s)
        {
            md.Append("**Settings:** at least ").Append(ReportMarkdown.Count(s.MinRuns)).Append(" interleaved runs (").Append(ReportMarkdown.Count(s.Runs))
              .Append(" done in the smallest cell) after ").Append(ReportMarkdown.Count(s.WarmupRuns)).Append(" warm-up runs, batch ")
              .Append(ReportMarkdown.Count(s.BatchSize)).Append(", threads ").Append(s.ThreadsShown is int t ? ReportMarkdown.Count(t) : "default")
              .Append(s.SwitchSettleMs > 0
                  ? $", in blocks of {ReportMarkdown.Count((long)(2 * s.SwitchSettleMs))} ms after {ReportMarkdown.Count((long)s.SwitchSettleMs)} ms of untimed runs on each switch of backend"
                  : ", single runs alternating")
              .Append(", measured ").Append(report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(" UTC\n\n");
        }

        IReadOnlyList<ComparisonCell> cells = report.Cells ?? [];
        List<(string Key, string Label)> models = ModelLabels(cells);
        List<string> backends = cells.Select(c => c.Backend?.Name ?? "backend").Distinct(StringComparer.Ordinal).ToList();

        // The baseline first, then the others in the order they were measured.
        int baseIndex = backends.IndexOf(report.Baseline ?? "");
        if (baseIndex > 0)
        {
            backends.RemoveAt(baseIndex);
            backends.Insert(0, report.Baseline!);
        }

        if (cells.Count > 0)
        {
            md.Append("| Model |");
            foreach (string b in backends)
            {
                md.Append(' ').Append(ReportMarkdown.Cell(b)).Append(b == report.Baseline ? " (baseline)" : "").Append(" |");
            }

            md.Append("\n|---|");
            foreach (string _ in backends)
            {
                md.Append("---:|");
            }

            md.Append('\n');
            foreach ((string key, string label) in models)
            {
                md.Append("| ").Append(ReportMarkdown.Cell(label)).Append(" |");
                foreach (string backend in backends)
                {
                    ComparisonCell? cell = cells.FirstOrDefault(c => ModelKey(c.Model) == key && (c.Backend?.Name ?? "backend") == backend);
                    md.Append(' ').Append(cell is null ? "—" : ReportMarkdown.Cell(FormatCell(cell, backend == report.Baseline))).Append(" |");
                }

                md.Append('\n');
            }

            md.Append('\n');
        }
        else
        {
            md.Append("No backend produced a result.\n\n");
        }

        foreach (LayerBreakdown layers in report.Layers ?? [])
        {
            AppendLayers(md, layers);
        }

        List<ComparisonCell> failed = cells.Where(c => c.LatencyMs is null || c.Error is not null).ToList();
        if (failed.Count > 0)
        {
            md.Append("## Failures\n\n");
            foreach (ComparisonCell c in failed)
            {
                string label = models.FirstOrDefault(m => m.Key == ModelKey(c.Model)).Label ?? c.Model?.Name ?? "model";
                md.Append("- ").Append(ReportMarkdown.Inline(label)).Append(" on ").Append(ReportMarkdown.Inline(c.Backend?.Name ?? "backend"))
                  .Append(": ").Append(ReportMarkdown.Inline(c.Error ?? "no measurement")).Append('\n');
            }

            md.Append('\n');
        }

        List<ComparisonCell> warned = cells.Where(c => c.Warnings is { Count: > 0 }).ToList();
        if (warned.Count > 0)
        {
            md.Append("## Warnings\n\n");
            foreach (ComparisonCell c in warned)
            {
                string label = models.FirstOrDefault(m => m.Key == ModelKey(c.Model)).Label ?? c.Model?.Name ?? "model";
                foreach (string warning in c.Warnings)
                {
                    md.Append("- ").Append(ReportMarkdown.Inline(label)).Append(" on ").Append(ReportMarkdown.Inline(c.Backend?.Name ?? "backend"))
                      .Append(": ").Append(ReportMarkdown.Inline(warning ?? "")).Append('\n');
                }
            }

            md.Append('\n');
        }

        if (report.Unavailable is { Count: > 0 } unavailable)
        {
            md.Append("## Unavailable backends\n\n");
            md.Append("| Backend | Reason |\n|---|---|\n");
            foreach (UnavailableBackend u in unavailable)
            {
                md.Append("| ").Append(ReportMarkdown.Cell(u.Name)).Append(" | ").Append(ReportMarkdown.Cell(u.Reason)).Append(" |\n");
            }

            md.Append('\n');
        }

        return md.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>Writes <see cref="Format"/>'s text to a file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="report">The comparison.</param>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path,
    /// <see cref="ErrorCode.IOFailure"/> naming the path when the file cannot be written.</exception>
    public static void Write(ComparisonReport report, string path) => ReportJson.WriteText(Format(report), path);

    private static void AppendLayers(StringBuilder md, LayerBreakdown layers)
    {
        md.Append("## ").Append(ReportMarkdown.Inline(layers.Model)).Append(": by layer kind\n\n")
          .Append(ReportMarkdown.Inline(LayerBreakdownTable.Caption(layers))).Append("\n\n");
        IReadOnlyList<string> header = LayerBreakdownTable.Header(layers);
        md.Append("| ").AppendJoin(" | ", header.Select(ReportMarkdown.Cell)).Append(" |\n|---|")
          .AppendJoin("", header.Skip(1).Select(_ => "---:|")).Append('\n');
        foreach (IReadOnlyList<string> row in LayerBreakdownTable.Rows(layers))
        {
            md.Append("| ").AppendJoin(" | ", row.Select(ReportMarkdown.Cell)).Append(" |\n");
        }

        md.Append('\n');
        foreach (string note in LayerBreakdownTable.Notes(layers))
        {
            md.Append("- ").Append(ReportMarkdown.Inline(note)).Append('\n');
        }

        md.Append('\n');
    }

    /// <summary>A speed-up as the tables show it: <c>2.31×</c>, or <c>n/a</c> when it is not a number.</summary>
    /// <param name="speedUp">Baseline mean over the cell's mean.</param>
    internal static string FormatSpeedUp(double speedUp) => double.IsNaN(speedUp) ? ReportMarkdown.None : ReportMarkdown.Fixed(speedUp, "F2") + "×";

    /// <summary>A speed-up with its interval: <c>2.31× [2.10, 2.55]</c>; the baseline is <c>1.00×</c>.</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="isBaseline">Whether the cell's backend is the baseline.</param>
    internal static string FormatSpeedUp(ComparisonCell cell, bool isBaseline)
    {
        if (isBaseline)
        {
            return "1.00×";
        }

        string value = FormatSpeedUp(cell.SpeedUp);
        ConfidenceInterval ci = cell.SpeedUpCi;
        return double.IsFinite(ci.Lower) && double.IsFinite(ci.Upper) && ci.Level > 0
            ? $"{value} [{ReportMarkdown.Fixed(ci.Lower, "F2")}, {ReportMarkdown.Fixed(ci.Upper, "F2")}]"
            : value;
    }

    /// <summary>
    /// The models in the order measured, each with a label: its name, or, where two models share a name (a zoo network
    /// at two widths or resolutions), its name with its parameters and input shapes.
    /// </summary>
    private static List<(string Key, string Label)> ModelLabels(IReadOnlyList<ComparisonCell> cells)
    {
        var models = new List<(string Key, ModelSummary? Model)>();
        foreach (ComparisonCell c in cells)
        {
            string key = ModelKey(c.Model);
            if (models.All(m => m.Key != key))
            {
                models.Add((key, c.Model));
            }
        }

        return models.Select(m =>
        {
            string name = m.Model?.Name ?? "model";
            bool shared = models.Count(o => (o.Model?.Name ?? "model") == name) > 1;
            if (!shared || m.Model is null)
            {
                return (m.Key, name);
            }

            string shapes = string.Join(", ", (m.Model.InputShapes ?? new Dictionary<string, long[]>())
                .Select(p => string.Join("×", (p.Value ?? []).Select(d => d.ToString(CultureInfo.InvariantCulture)))));
            return (m.Key, $"{name} ({ReportMarkdown.Fixed(m.Model.Parameters / 1e6, "F3")} M params, {shapes})");
        }).ToList();
    }

    private static string ModelKey(ModelSummary? model) =>
        model is null ? "" : string.Join("|",
            model.Name, model.Parameters.ToString(CultureInfo.InvariantCulture), model.Macs.ToString(CultureInfo.InvariantCulture),
            model.FileBytes.ToString(CultureInfo.InvariantCulture),
            string.Join(";", (model.InputShapes ?? new Dictionary<string, long[]>()).OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => p.Key + "=" + string.Join("x", (p.Value ?? []).Select(d => d.ToString(CultureInfo.InvariantCulture))))));

    private static string FormatCell(ComparisonCell cell, bool isBaseline) =>
        cell.LatencyMs is not { } latency
            ? "failed"
            : $"{ReportMarkdown.Fixed(latency.Median, "F3")} ms · {FormatSpeedUp(cell, isBaseline)}";
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Study;

/// <summary>One device of a fleet: a study made on it, under a name.</summary>
public sealed record FleetDevice
{
    /// <summary>The device's name in the report ("laptop", "jetson").</summary>
    public required string Name { get; init; }

    /// <summary>The results.json it was read from (its folder's <c>models/</c> holds the variants it kept).</summary>
    public string Source { get; init; } = "";

    /// <summary>The study.</summary>
    public required StudyResults Results { get; init; }

    /// <summary>The pick for this device under the fleet's budgets (null when nothing was measured).</summary>
    public Recommendation? Recommendation { get; init; }
}

/// <summary>
/// Studies made on several devices, merged into one (<c>lightnet study merge a/results.json b/results.json -o fleet</c>): each device's
/// environment and cells side by side, the same cells compared across devices, and a recommendation per device. Saved as
/// <c>lightnet.fleet/1</c> JSON embedding each device's <c>lightnet.study/1</c> results.
/// </summary>
public sealed record FleetResults
{
    /// <summary>The version of the JSON schema.</summary>
    public const string CurrentSchema = "lightnet.fleet/1";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the studies were merged (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The budgets each device's recommendation is for.</summary>
    public SelectionConstraints Constraints { get; init; } = SelectionConstraints.None;

    /// <summary>The devices, in the order given; the first is the reference of every ratio.</summary>
    public IReadOnlyList<FleetDevice> Devices { get; init; } = [];

    /// <summary>Differences that make the devices' numbers not comparable (another LightNet version, resolution, variant files):
    /// empty unless the merge was forced.</summary>
    public IReadOnlyList<string> Incompatibilities { get; init; } = [];

    /// <summary>Differences a reader should know of, but that keep the cells comparable (threads, runs per cell, ONNX Runtime version).</summary>
    public IReadOnlyList<string> Differences { get; init; } = [];

    /// <summary>The device named <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name">A device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> listing the devices when there is none of that name.</exception>
    public FleetDevice Device(string name) =>
        Devices.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new LightNetException(ErrorCode.InvalidArgument,
            $"The fleet has no device '{name}'.{(NameSuggestions.Closest(name ?? "", Devices.Select(d => d.Name)) is string c ? $" Did you mean '{c}'?" : "")} "
            + $"Devices: {string.Join(", ", Devices.Select(d => d.Name))}.");
}

/// <summary>One cell (model × backend × precision) on every device of a fleet.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Backend">Backend name.</param>
/// <param name="Precision">Precision.</param>
/// <param name="MedianMs">Median latency per device (NaN where the device did not measure it).</param>
/// <param name="Ratio">Per device, its mean latency over the first device's (NaN where either is missing; 1 for the first).</param>
/// <param name="RatioCi">Per device, the 95% interval of <paramref name="Ratio"/> (Fieller).</param>
public sealed record FleetCell(string Model, string Backend, Precision Precision, IReadOnlyList<double> MedianMs, IReadOnlyList<double> Ratio,
    IReadOnlyList<ConfidenceInterval> RatioCi);

/// <summary>Merges studies of several devices, reads and writes fleets, and writes their report.</summary>
/// <example>
/// <code>
/// FleetResults fleet = StudyFleet.Merge([("laptop", StudyJson.Read("a/results.json")), ("phone", StudyJson.Read("b/results.json"))]);
/// StudyFleet.Write(fleet, "fleet");                 // index.html, summary.md, results.json
/// Recommendation pick = fleet.Device("phone").Recommendation!;
/// </code>
/// </example>
public static class StudyFleet
{
    internal static readonly JsonTypeInfo<FleetResults> Info = StudyJson.Info<FleetResults>();

    /// <summary>Merges the studies of several devices.</summary>
    /// <param name="devices">Each device's name and study; at least two, names distinct.</param>
    /// <param name="constraints">The budgets of each device's recommendation; null for none.</param>
    /// <param name="allowIncompatible">Merge even when the studies are not comparable; the differences are then listed in
    /// <see cref="FleetResults.Incompatibilities"/> and shown at the top of the report.</param>
    /// <param name="sources">The results.json path of each device, in the same order (for the kept variants); null when unknown.</param>
    /// <returns>The fleet, with a recommendation per device.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for fewer than two devices, a repeated or empty name,
    /// or, unless <paramref name="allowIncompatible"/>, studies that are not comparable: the message lists every difference (LightNet
    /// version, resolution, calibration, pretrained or synthetic weights, a variant whose SHA-256 differs).</exception>
    public static FleetResults Merge(IReadOnlyList<(string Name, StudyResults Results)> devices, SelectionConstraints? constraints = null,
        bool allowIncompatible = false, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count < 2)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A fleet needs the studies of at least two devices, not {devices?.Count ?? 0}.");
        }

        if (devices.Any(d => string.IsNullOrWhiteSpace(d.Name) || d.Results is null))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Every device needs a name and study results.");
        }

        if (devices.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Device name '{twice.Key}' is given twice; name each study with name=path.");
        }

        constraints ??= SelectionConstraints.None;
        (List<string> incompatible, List<string> differences) = Check(devices);
        if (incompatible.Count > 0 && !allowIncompatible)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                "The studies are not comparable, so they are not merged: " + string.Join("; ", incompatible)
                + ". Run them again with the same LightNet and settings, or merge anyway with --allow-mismatch (the report then says what differs).");
        }

        return new FleetResults
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Constraints = constraints,
            Devices = devices.Select((d, i) => new FleetDevice
            {
                Name = d.Name,
                Source = sources is not null && i < sources.Count ? sources[i] : "",
                Results = d.Results,
                Recommendation = d.Results.Cells.Any(c => c.Report is not null && c.Error is null) ? ModelSelector.Recommend(d.Results, constraints) : null,
            }).ToList(),
            Incompatibilities = incompatible,
            Differences = differences,
        };
    }

    /// <summary>What makes the studies not comparable, and what merely differs.</summary>
    private static (List<string> Incompatible, List<string> Differences) Check(IReadOnlyList<(string Name, StudyResults Results)> devices)
    {
        var incompatible = new List<string>();
        var differences = new List<string>();
        void Compare<T>(string what, Func<StudyResults, T> value, List<string> into)
        {
            var distinct = devices.GroupBy(d => value(d.Results)).ToList();
            if (distinct.Count > 1)
            {
                into.Add($"{what} differs ({string.Join(", ", devices.Select(d => $"{d.Name}: {Text(value(d.Results))}"))})");
            }
        }

        Compare("LightNet version", r => r.Environment.LightNetVersion, incompatible);
        Compare("resolution", r => r.Settings.Resolution, incompatible);
        Compare("INT8 calibration samples", r => r.Settings.CalibrationSamples, incompatible);
        Compare("weights (pretrained or synthetic)", r => r.Settings.Pretrained ? "pretrained" : "synthetic", incompatible);
        var first = devices[0];
        foreach (var other in devices.Skip(1))
        {
            foreach (StudyModel m in first.Results.Models)
            {
                foreach (StudyVariant v in m.Variants.Where(v => v.Sha256 is not null))
                {
                    if (other.Results.Models.FirstOrDefault(o => o.Name == m.Name)?.Variant(v.Precision)?.Sha256 is string sha && sha != v.Sha256)
                    {
                        incompatible.Add($"the {StudyRunner.Label(v.Precision)} variant of {m.Name} is not the same file on {first.Name} and {other.Name} (SHA-256 {v.Sha256![..12]}… vs {sha[..12]}…)");
                    }
                }
            }
        }

        Compare("threads per inference", r => r.Settings.Threads, differences);
        Compare("quick preset", r => r.Settings.Quick, differences);
        Compare("timed runs per cell", r => $"{r.Settings.WarmupRuns} warm-up, ≥ {r.Settings.MinRuns} runs, {r.Settings.MinSeconds}–{r.Settings.MaxSeconds} s", differences);
        Compare("baseline (speed-ups are relative to each device's own)", r => r.Baseline, differences);
        Compare("fidelity samples", r => r.Settings.FidelitySamples, differences);
        Compare("labelled set", r => r.Settings.EvaluationSource ?? "none", differences);
        Compare("ONNX Runtime", r => r.Environment.OnnxRuntimeVersion, differences);
        return (incompatible, differences);

        static string Text<T>(T value) => value switch
        {
            null => "default",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>Every cell measured on at least one device, with each device's median and its ratio to the first device.</summary>
    /// <param name="fleet">The fleet.</param>
    /// <returns>The cells, in the first device's model order.</returns>
    public static IReadOnlyList<FleetCell> Cells(FleetResults fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var keys = fleet.Devices.SelectMany(d => d.Results.Cells).Where(c => StudyComparison.Measured(c) is not null)
            .Select(c => (c.Model, c.Backend, c.Precision)).Distinct().ToList();
        var order = fleet.Devices.SelectMany(d => d.Results.Models.Select(m => m.Name)).Distinct().ToList();
        var cells = new List<FleetCell>();
        foreach ((string model, string backend, Precision precision) in keys.OrderBy(k => order.IndexOf(k.Model)).ThenBy(k => k.Backend, StringComparer.Ordinal).ThenBy(k => k.Precision))
        {
            StudyCell? reference = fleet.Devices[0].Results.Cell(model, backend, precision);
            var medians = new List<double>();
            var ratios = new List<double>();
            var cis = new List<ConfidenceInterval>();
            foreach (FleetDevice d in fleet.Devices)
            {
                StudyCell? cell = d.Results.Cell(model, backend, precision);
                LatencySummary? s = StudyComparison.Measured(cell);
                medians.Add(s?.Median ?? double.NaN);
                if (s is null || StudyComparison.Measured(reference) is not { } r)
                {
                    ratios.Add(double.NaN);
                    cis.Add(new ConfidenceInterval(double.NaN, double.NaN, 0));
                }
                else
                {
                    ratios.Add(s.Mean / r.Mean);
                    cis.Add(ReferenceEquals(cell, reference) ? new ConfidenceInterval(1, 1, LatencyStatistics.ConfidenceLevel)
                        : LatencyStatistics.RatioConfidenceInterval(StudyComparison.Stats(cell!), StudyComparison.Stats(reference!)));
                }
            }

            cells.Add(new FleetCell(model, backend, precision, medians, ratios, cis));
        }

        return cells;
    }

    /// <summary>Reads a fleet from a file.</summary>
    /// <param name="path">A fleet's results.json.</param>
    /// <returns>The fleet.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when missing; <see cref="ErrorCode.InvalidArgument"/> when it is not a fleet.</exception>
    public static FleetResults Read(string path) => StudyJson.Parse(ReportJson.ReadText(path), $"'{path}'", Info, FleetResults.CurrentSchema, "fleet results file");

    /// <summary>
    /// One device's study from a results.json that is either a single study or a fleet: the study itself (any <paramref name="device"/>
    /// must then be its folder's name or null), or the named device of the fleet.
    /// </summary>
    /// <param name="path">A study's or a fleet's results.json.</param>
    /// <param name="device">The device, required for a fleet.</param>
    /// <returns>The study, and the folder its kept variant files would be in.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a fleet without <paramref name="device"/> (listing the
    /// devices) or an unknown device; the read errors.</exception>
    public static (StudyResults Results, string ModelsFolder) Open(string path, string? device)
    {
        string text = ReportJson.ReadText(path);
        string schema;
        using (JsonDocument document = ReportJson.ParseDocument(text, $"'{path}'"))
        {
            schema = ReportJson.RequireSchema(document.RootElement, $"'{path}'", "", $"'{StudyResults.CurrentSchema}' or '{FleetResults.CurrentSchema}'");
        }

        if (ReportJson.SchemaName(schema) != ReportJson.SchemaName(FleetResults.CurrentSchema))
        {
            return (StudyJson.Read(path), ModelsFolderOf(path));
        }

        FleetResults fleet = Read(path);
        if (device is null)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"'{path}' is a fleet of {fleet.Devices.Count} devices: name one with --device ({string.Join(", ", fleet.Devices.Select(d => d.Name))}).");
        }

        FleetDevice d = fleet.Device(device);
        return (d.Results, d.Source.Length > 0 ? ModelsFolderOf(d.Source) : ModelsFolderOf(path));
    }

    /// <summary>The folder a study's kept variants are in: <c>models/</c> next to its results.json.</summary>
    internal static string ModelsFolderOf(string resultsPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resultsPath))!, "models");

    /// <summary>Writes the fleet's report: index.html, summary.md and results.json (the fleet), each atomically.</summary>
    /// <param name="fleet">The fleet.</param>
    /// <param name="folder">The output folder (created when missing).</param>
    /// <returns>The paths written: HTML, Markdown, JSON.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> naming a file that cannot be written.</exception>
    public static IReadOnlyList<string> Write(FleetResults fleet, string folder)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        StudyReport.EnsureWritable(folder);
        string json = Path.Combine(folder, StudyReport.JsonFile), md = Path.Combine(folder, StudyReport.MarkdownFile), html = Path.Combine(folder, StudyReport.HtmlFile);
        ReportJson.WriteText(StudyJson.Format(fleet), json);
        List<StudyTable> tables = Tables(fleet);
        var text = new StringBuilder("# LightNet fleet study\n\n");
        text.Append(ReportMarkdown.Inline(Intro(fleet))).Append("\n\n");
        StudyMarkdown.AppendTables(text, tables);
        ReportJson.WriteText(text.ToString(), md);

        StringBuilder page = StudyHtml.Head($"LightNet fleet study — {fleet.Devices.Count} devices");
        page.Append("<header><h1>LightNet fleet study</h1><p>").Append(SvgBarChart.E(Intro(fleet))).Append("</p><nav>");
        foreach (StudyTable t in tables)
        {
            page.Append("<a href=\"#").Append(SvgBarChart.E(t.Id)).Append("\">").Append(SvgBarChart.E(t.Title)).Append("</a> ");
        }

        page.Append("</nav></header>\n<main>\n");
        Dictionary<string, ISvgChart> charts = new() { ["latency"] = Chart(fleet) };
        StudyHtml.AppendSections(page, tables, charts, id => id == "cells" ? ["latency"] : []);
        page.Append("</main>\n</body>\n</html>\n");
        ReportJson.WriteText(page.ToString(), html);
        return [html, md, json];
    }

    private static string Intro(FleetResults fleet) =>
        $"{fleet.Devices.Count} devices ({string.Join(", ", fleet.Devices.Select(d => d.Name))}) measured with LightNet "
        + $"{string.Join(" / ", fleet.Devices.Select(d => d.Results.Environment.LightNetVersion).Distinct())}; ratios are each device's mean latency over "
        + $"{fleet.Devices[0].Name}'s, with 95% intervals (Fieller). "
        + (fleet.Incompatibilities.Count > 0 ? "NOT COMPARABLE, merged anyway: " + string.Join("; ", fleet.Incompatibilities) + ". " : "")
        + (fleet.Differences.Count > 0 ? "Also differs: " + string.Join("; ", fleet.Differences) + "." : "The studies used the same settings.");

    private static List<StudyTable> Tables(FleetResults fleet)
    {
        IReadOnlyList<FleetDevice> devices = fleet.Devices;
        var tables = new List<StudyTable>();
        List<(string Name, string Value)>[] environments = devices.Select(d => StudyTables.Environment(d.Results)).ToArray();
        tables.Add(new StudyTable("devices", "Devices", "Each study's machine, runtimes and settings, one column per device.",
            ["", .. devices.Select(d => d.Name)],
            environments[0].Select((row, i) => (string[])[row.Name, .. environments.Select(e => i < e.Count ? e[i].Value : "")]).ToList()));

        string reference = devices[0].Name;
        List<(string, int)> groups = [("Cell", 3), (reference, 1), .. devices.Skip(1).Select(d => (d.Name, 2))];
        tables.Add(new StudyTable("cells", "The same cells on every device",
            $"Median latency in ms per device; for the others, mean latency over {reference}'s with its 95% interval (above 1: slower than {reference}). "
            + "— where a device did not measure the cell (a backend it does not have). " + StudyTables.Unbounded,
            ["Model", "Backend", "Precision", $">{reference} median ms", .. devices.Skip(1).SelectMany(d => (string[])[$">{d.Name} median ms", $">{d.Name} / {reference}"])],
            Cells(fleet).Select(c => (string[])[c.Model, c.Backend, StudyTables.P(c.Precision), Ms(c.MedianMs[0]),
                .. Enumerable.Range(1, devices.Count - 1).SelectMany(i => (string[])[Ms(c.MedianMs[i]),
                    double.IsNaN(c.Ratio[i]) ? "—" : StudyTables.Times(c.Ratio[i], c.RatioCi[i], false)])]).ToList(),
            groups));

        tables.Add(new StudyTable("recommendations", "Recommendation per device",
            $"The pick for each device against {fleet.Constraints}, with why (lightnet recommend fleet/results.json --device NAME --emit DIR ships it).",
            ["Device", "Pick", ">Median ms", ">File MiB", ">Top-1 %", "Why"],
            devices.Select(d => d.Recommendation is { } r
                ? new[] { d.Name, r.Best?.ToString() ?? "none fits", r.Best is { } b ? Ms(b.MedianMs) : "—", r.Best is { } f ? StudyTables.MiB(f.FileBytes) : "—",
                    r.Best?.EstimatedTop1 is double t ? ReportMarkdown.Fixed(t, "F1") : "n/a", r.Summary }
                : [d.Name, "nothing measured", "—", "—", "—", ""]).ToList()));
        return tables;
    }

    private static SvgBarChart Chart(FleetResults fleet)
    {
        List<FleetCell> cells = [.. Cells(fleet).Where(c => c.MedianMs.Count(double.IsFinite) > 1)];
        return new SvgBarChart("latency", "Median latency of each cell on each device (cells measured on more than one device)", "ms (log scale)",
            cells.Select(c => $"{c.Model} {StudyTables.P(c.Precision)} · {c.Backend}").ToList(), fleet.Devices.Select(d => d.Name).ToList(),
            cells.Select(c => c.MedianMs.Select((m, i) => double.IsFinite(m)
                ? new ChartBar(m, null, null, $"{c.Model} {StudyTables.P(c.Precision)} on {c.Backend}, {fleet.Devices[i].Name}: median {StudyTables.Ms(m)} ms") : null).ToArray()).ToArray(),
            Log: true);
    }

    private static string Ms(double v) => double.IsFinite(v) ? StudyTables.Ms(v) : "—";
}

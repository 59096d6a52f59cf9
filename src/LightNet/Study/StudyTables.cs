using System.Globalization;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Study;

/// <summary>A table of the report, format-neutral: the Markdown summary and the HTML page render the same rows.</summary>
/// <param name="Id">Anchor and section id ("latency").</param>
/// <param name="Title">Heading.</param>
/// <param name="Note">What the numbers mean.</param>
/// <param name="Headers">Column headings; one starting with '&gt;' is right-aligned (the '&gt;' is not shown).</param>
/// <param name="Rows">Cells as text.</param>
/// <param name="ColumnGroups">Headings over runs of columns (HTML only: a device's columns in a fleet report), or null.</param>
internal sealed record StudyTable(string Id, string Title, string Note, IReadOnlyList<string> Headers, IReadOnlyList<string[]> Rows,
    IReadOnlyList<(string Name, int Span)>? ColumnGroups = null);

/// <summary>Builds the report's tables from study results; shared by <see cref="StudyMarkdown"/> and <see cref="StudyHtml"/>.</summary>
internal static class StudyTables
{
    public const int TopOperatorTypes = 10;

    public static string P(Precision p) => StudyRunner.Label(p);

    public static string Ms(double v) => ReportMarkdown.Fixed(v, "F3");

    public static string MiB(long bytes) => ReportMarkdown.Fixed(bytes / (1024.0 * 1024.0), "F2");

    /// <summary>A ratio with its interval: "1.07× [1.02, 1.12]", or, when the runs are too few or too spread for Fieller's interval to
    /// be bounded, a sentence instead of "[0.00, ∞]".</summary>
    public static string Times(double v, ConfidenceInterval ci, bool exact)
    {
        string value = ReportMarkdown.Fixed(v, "F2") + "×";
        return exact || !(ci.Level > 0) || double.IsNaN(ci.Lower) ? value
            : !double.IsFinite(ci.Upper) ? $"{value} (no bound)"
            : $"{value} [{ReportMarkdown.Fixed(ci.Lower, "F2")}, {ReportMarkdown.Fixed(ci.Upper, "F2")}]";
    }

    /// <summary>What "(no bound)" after a ratio means, for the notes of the tables that print ratios.</summary>
    public const string Unbounded = "\"(no bound)\" after a ratio: the runs are too few or too spread for a 95% interval (Fieller's has no finite upper end, "
        + "the ratio cannot be told from noise); measure more runs (-n) to get one.";

    /// <summary>The vertical axis of the trade-off chart: measured top-1 when a labelled set was evaluated, else the estimated top-1 when
    /// every candidate has a published value, else the top-1 agreement with FP32 (all that was measured).</summary>
    public static (string Name, Func<Candidate, double?> Value) TradeoffAxis(StudyResults r, IReadOnlyList<Candidate> candidates) =>
        candidates.Count > 0 && candidates.All(c => c.AccuracyMeasured) ? ("measured top-1 %", c => c.EstimatedTop1)
        : candidates.Count > 0 && candidates.All(c => c.EstimatedTop1 is not null) ? ("estimated top-1 % (published less disagreements with FP32)", c => c.EstimatedTop1)
        : ("top-1 agreement with FP32", c => c.Fidelity);

    /// <summary>One sentence on where the accuracy numbers come from.</summary>
    public static string AccuracyStatement(StudyResults r) =>
        r.Settings.EvaluationSource is string set
            ? $"Accuracy is measured: top-1 and top-5 of every variant on {ReportMarkdown.Count(r.Settings.EvaluationImages)} labelled images of {set}"
              + (r.Settings.Pretrained ? ", with the pretrained weights." : ", but with synthetic weights, so it says nothing of the trained networks (add --pretrained).")
            : (r.Settings.Pretrained ? "Pretrained weights were measured, but no labelled set was given (--eval DIR): " : "Zoo weights are synthetic: ")
              + "speed, size and fidelity (agreement of FP16 and INT8 with FP32) are measured here; accuracy is the published value of trained weights, "
              + "and the estimated top-1 of a compressed model is that value less its disagreements with FP32.";

    public static IReadOnlyList<string> Backends(StudyResults r) =>
        r.Settings.Backends.Count > 0 ? r.Settings.Backends : r.Cells.Select(c => c.Backend).Distinct().ToList();

    public static IReadOnlyList<Precision> Precisions(StudyResults r) =>
        r.Settings.Precisions.Count > 0 ? [.. r.Settings.Precisions.Order()] : r.Cells.Select(c => c.Precision).Distinct().Order().ToList();

    /// <summary>The backend whose operators the breakdown shows: the first non-baseline backend with a per-operator profile.</summary>
    public static StudyCell? BreakdownCell(StudyResults r)
    {
        var withOps = r.Cells.Where(c => c.Model == r.Settings.BreakdownModel && c.Precision == Precision.Fp32 && c.Report is { OperatorTypes.Count: > 0 }).ToList();
        return withOps.FirstOrDefault(c => c.Backend != r.Baseline) ?? withOps.FirstOrDefault();
    }

    /// <summary>Model × backend pairs that have a cell for more than one precision, in model order (the baseline runs FP32 only);
    /// every pair with a cell when no pair has more than one.</summary>
    public static List<(string Model, string Backend)> PrecisionGroups(StudyResults r)
    {
        var pairs = r.Models.SelectMany(m => Backends(r).Select(b => (Model: m.Name, Backend: b)))
            .Select(g => (g.Model, g.Backend, Count: r.Cells.Count(c => c.Model == g.Model && c.Backend == g.Backend))).Where(g => g.Count > 0).ToList();
        int least = pairs.Any(g => g.Count > 1) ? 2 : 1;
        return pairs.Where(g => g.Count >= least).Select(g => (g.Model, g.Backend)).ToList();
    }

    /// <summary>The (backend, precision) series of the speed-up chart: every cell kind that was measured.</summary>
    public static List<(string Backend, Precision Precision)> SpeedUpSeries(StudyResults r) =>
        Backends(r).SelectMany(b => Precisions(r).Select(p => (b, p))).Where(s => r.Cells.Any(c => c.Backend == s.b && c.Precision == s.p)).ToList();

    public static List<StudyTable> Build(StudyResults r, StudyComparison? comparison)
    {
        var tables = new List<StudyTable>();
        IReadOnlyList<string> backends = Backends(r);
        IReadOnlyList<Precision> precisions = Precisions(r);

        List<Candidate> candidates = ModelSelector.Candidates(r);
        (string axis, Func<Candidate, double?> value) = TradeoffAxis(r, candidates);
        HashSet<Candidate> accuracyFront = [.. SvgScatterChart.Front(candidates, c => c.MedianMs, c => value(c) ?? double.NaN, higherYIsBetter: true)];
        HashSet<Candidate> sizeFront = [.. SvgScatterChart.Front(candidates, c => c.MedianMs, c => c.FileBytes, higherYIsBetter: false)];
        tables.Add(new StudyTable("tradeoffs", "Accuracy, size and latency",
            $"Each measured model × backend × precision; the Pareto front holds those no other candidate beats on both latency and {axis} "
            + "(or on both latency and file size).",
            ["Candidate", ">Median ms", ">File MiB", ">" + Capital(axis), "Pareto front"],
            candidates.OrderBy(c => c.MedianMs).Select(c => new[] { c.ToString(), Ms(c.MedianMs), MiB(c.FileBytes),
                value(c) is double v ? ReportMarkdown.Fixed(v, axis.StartsWith("top-1 agreement", StringComparison.Ordinal) ? "F3" : "F1") : "n/a",
                string.Join(", ", new[] { accuracyFront.Contains(c) ? "accuracy vs latency" : null, sizeFront.Contains(c) ? "size vs latency" : null }.OfType<string>()) is { Length: > 0 } f ? f : "—",
            }).ToList()));

        tables.Add(new StudyTable("latency", "Latency per model and backend (FP32)",
            "Median latency of one inference in ms, with the 10th and 90th percentiles of the timed runs.",
            ["Model", .. backends.Select(b => ">" + b + (b == r.Baseline ? " (baseline)" : ""))],
            r.Models.Select(m => (string[])[m.Name, .. backends.Select(b => LatencyCell(r.Cell(m.Name, b, Precision.Fp32)))]).ToList()));

        tables.Add(new StudyTable("precision", "FP32 vs FP16 vs INT8",
            "Median latency in ms of each precision of a model on each backend (FP16 and INT8 made with LightNet.Compression).",
            ["Model", "Backend", .. precisions.Select(p => ">" + P(p))],
            PrecisionGroups(r).Select(g => (string[])[g.Model, g.Backend, .. precisions.Select(p => LatencyCell(r.Cell(g.Model, g.Backend, p)))]).ToList()));

        tables.Add(new StudyTable("load", "Load, first run and memory",
            "Per measured cell: time to load the model into the backend (session creation), the first inference after it (allocation, "
            + "kernel selection, JIT), the steady median for comparison, the process's peak resident memory and what loading added to it.",
            ["Model", "Backend", "Precision", ">Load ms", ">First run ms", ">Median ms", ">Peak RSS MiB", ">Load added MiB", ">Warnings"],
            r.Cells.Where(c => c.Report is not null && c.Error is null).Select(c => new[] { c.Model, c.Backend, P(c.Precision),
                Ms(c.Report!.LoadMs), Ms(c.Report.FirstRunMs), Ms(c.Report.LatencyMs.Median), MiB(c.Report.Memory.PeakRssBytes),
                MiB(Math.Max(0, c.Report.Memory.RssAfterLoadBytes - c.Report.Memory.RssBeforeLoadBytes)),
                c.Report.Warnings.Count == 0 ? "—" : ReportMarkdown.Count(c.Report.Warnings.Count) }).ToList()));

        tables.Add(new StudyTable("size", "Model size and cost",
            "Parameters and MACs of one inference at the measured resolution; ONNX file size in MiB per precision.",
            ["Model", ">Resolution", ">Params (M)", ">MACs (G)", .. precisions.Select(p => ">" + P(p) + " MiB")],
            r.Models.Select(m =>
            {
                StudyVariant? v = m.Variants.FirstOrDefault();
                return (string[])[m.Name, $"{m.Resolution}×{m.Resolution}", ReportMarkdown.Fixed((v?.Parameters ?? 0) / 1e6, "F3"),
                    ReportMarkdown.Fixed((v?.Macs ?? 0) / 1e9, "F3"),
                    .. precisions.Select(p => m.Variant(p) is { Error: null, FileBytes: > 0 } x ? MiB(x.FileBytes) : "—")];
            }).ToList()));

        List<(string Backend, Precision Precision)> series = SpeedUpSeries(r);
        tables.Add(new StudyTable("speedup", $"Speed-up over {r.Baseline} (FP32 = 1)",
            $"Mean latency of {r.Baseline} in FP32 over each cell's, with its 95% confidence interval (Fieller) in brackets; above 1 is faster. "
            + Unbounded,
            ["Model", .. series.Select(s => ">" + s.Backend + " " + P(s.Precision))],
            r.Models.Select(m => (string[])[m.Name, .. series.Select(s => r.Cell(m.Name, s.Backend, s.Precision) is { Report: not null } c && !double.IsNaN(c.SpeedUp)
                ? Times(c.SpeedUp, c.SpeedUpCi, s.Backend == r.Baseline && s.Precision == Precision.Fp32) : "—")]).ToList()));

        bool measured = r.Models.Any(m => m.Variants.Any(v => v.Accuracy is not null));
        tables.Add(new StudyTable("accuracy", "Accuracy cost of compression",
            $"Each compressed model against its FP32 original on {r.Settings.FidelitySamples} synthetic inputs: top-1 agreement, cosine similarity "
            + "and largest absolute error of the logits. Estimated top-1 = published top-1 − 100 × (1 − agreement), a lower bound. " + AccuracyStatement(r),
            ["Model", "Precision", ">Top-1 agreement", ">Cosine", ">Max abs error", ">Published top-1 %", ">Estimated top-1 %",
                .. measured ? (string[])[">Measured top-1 %", ">Measured top-5 %"] : []],
            r.Models.SelectMany(m => m.Variants.Select(v => (string[])[m.Name, P(v.Precision),
                v.Precision == Precision.Fp32 ? "1 (reference)" : v.Fidelity?.Top1Agreement is double a ? ReportMarkdown.Fixed(a, "F3") : v.Error is null ? "n/a" : "failed",
                v.Fidelity is { } f ? ReportMarkdown.Fixed(f.CosineSimilarity, "F5") : "—",
                v.Fidelity is { } g ? ReportMarkdown.Fixed(g.MaxAbsoluteError, "G4") : "—",
                m.PublishedTop1 is double t ? ReportMarkdown.Fixed(t, "F1") : "n/a",
                (v.Precision == Precision.Fp32 ? m.PublishedTop1 : v.EstimatedTop1) is double e ? ReportMarkdown.Fixed(e, "F1") : "n/a",
                .. measured ? (string[])[v.Accuracy is { } x ? ReportMarkdown.Fixed(x.Top1Percent, "F2") : "—", v.Accuracy is { } y ? ReportMarkdown.Fixed(y.Top5Percent, "F2") : "—"] : []])).ToList()));

        if (BreakdownCell(r) is { Report: { } report } bd)
        {
            tables.Add(new StudyTable("operators", $"Operators of {bd.Model} on {bd.Backend} (FP32)",
                $"Kernel time by operator type in the separate per-operator pass, the {TopOperatorTypes} largest shares.",
                ["Op type", ">Nodes", ">Calls", ">Total ms", ">Share %"],
                report.OperatorTypes.Take(TopOperatorTypes).Select(o => new[] { o.OpType, ReportMarkdown.Count(o.Nodes), ReportMarkdown.Count(o.Calls),
                    Ms(o.TotalMs), ReportMarkdown.Fixed(o.Percent, "F1") }).ToList()));
        }

        if (comparison is not null)
        {
            tables.Add(new StudyTable("comparison", "Changes since the earlier study",
                $"New mean over old mean with its 95% confidence interval; {Unbounded} A regression or improvement needs the whole interval beyond 1 and a change above "
                + $"{ReportMarkdown.Fixed(comparison.Threshold * 100, "F0")} %.{(comparison.EnvironmentNote is null ? "" : " " + comparison.EnvironmentNote)}",
                ["Model", "Backend", "Precision", ">Old mean ms", ">New mean ms", ">New / old", "Verdict"],
                comparison.Changes.Select(c => new[] { c.Model, c.Backend, P(c.Precision), Ms(c.OldMeanMs), Ms(c.NewMeanMs),
                    double.IsNaN(c.Ratio) ? "—" : Times(c.Ratio, c.RatioCi, false), Verdict(c.Kind) }).ToList()));
        }

        var problems = r.Models.SelectMany(m => m.Variants.Where(v => v.Error is not null).Select(v => new[] { m.Name, P(v.Precision), "(compression)", v.Error! }))
            .Concat(r.Cells.Where(c => c.Error is not null).Select(c => new[] { c.Model, P(c.Precision), c.Backend, c.Error! }))
            .Concat(r.Models.SelectMany(m => m.Notes.Select(n => new[] { m.Name, "", "(note)", n }))).ToList();
        if (problems.Count > 0)
        {
            tables.Add(new StudyTable("failures", "Failures and notes", "What could not be measured, and why.", ["Model", "Precision", "Backend", "Reason"], problems));
        }

        var warnings = r.Cells.Where(c => c.Report is { Warnings.Count: > 0 })
            .SelectMany(c => c.Report!.Warnings.Select(w => new[] { c.Model, P(c.Precision), c.Backend, w ?? "" })).ToList();
        if (warnings.Count > 0)
        {
            tables.Add(new StudyTable("warnings", "Measurement warnings",
                "What the profiler flagged in each measured cell (too few runs, noisy timings, drift, a noisy per-operator pass): read those numbers with care.",
                ["Model", "Precision", "Backend", "Warning"], warnings));
        }

        if (r.Unavailable.Count > 0)
        {
            tables.Add(new StudyTable("unavailable", "Backends that cannot run here", "Each with what is missing.",
                ["Backend", "Reason"], r.Unavailable.Select(u => new[] { u.Name, u.Reason }).ToList()));
        }

        if (r.Recommendation is { } rec)
        {
            tables.Add(new StudyTable("candidates", "Candidates for the budget",
                $"Every measured model × backend × precision against {rec.Constraints}, accepted ones first "
                + $"({(rec.Objective == SelectionObjective.MostAccurate ? "most accurate first" : "fastest first")}).",
                ["Candidate", ">Median ms", ">File MiB", ">Agreement", ">Top-1 %", "Verdict"],
                rec.Verdicts.Select(v => new[] { v.Candidate.ToString(), Ms(v.Candidate.MedianMs), MiB(v.Candidate.FileBytes),
                    v.Candidate.Fidelity is double f ? ReportMarkdown.Fixed(f, "F3") : "n/a",
                    v.Candidate.EstimatedTop1 is double t ? ReportMarkdown.Fixed(t, "F1") + (v.Candidate.AccuracyMeasured ? " (measured)" : "") : "n/a",
                    v.Accepted ? (v.Candidate == rec.Best ? "recommended" : "meets the budget") : "rejected: " + string.Join("; ", v.Reasons) }).ToList()));
        }

        return tables;
    }

    private static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    public static List<(string Name, string Value)> Environment(StudyResults r)
    {
        EnvironmentInfo e = r.Environment;
        return
        [
            ("CPU", e.CpuModel),
            ("Logical cores", ReportMarkdown.Count(e.LogicalCores)),
            ("ISA", e.IsaFeatures.Count > 0 ? string.Join(", ", e.IsaFeatures) : "none reported"),
            ("Vector width", $"{e.VectorWidthBits} bits"),
            ("Memory", ReportMarkdown.Fixed(e.TotalMemoryBytes / (1024.0 * 1024 * 1024), "F1") + " GiB"),
            ("OS", $"{e.OperatingSystem} ({e.Architecture})"),
            ("Runtime", e.DotNetRuntime),
            ("ONNX Runtime", e.OnnxRuntimeVersion ?? "n/a"),
            ("LightNet", e.LightNetVersion),
            ("Backends", string.Join(", ", Backends(r))),
            ("Settings", Settings(r)),
            ("Measured", r.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC"),
        ];
    }

    public static string Settings(StudyResults r)
    {
        StudySettings s = r.Settings;
        return $"{(s.Quick ? "quick, " : "")}at least {s.WarmupRuns} warm-up and {s.MinRuns} timed runs per cell "
            + $"({ReportMarkdown.Fixed(s.MinSeconds, "0.##")}–{ReportMarkdown.Fixed(s.MaxSeconds, "0.##")} s), threads {(s.Threads is int t ? ReportMarkdown.Count(t) : "default")}, "
            + $"resolution {(s.Resolution is int res ? $"{res}×{res}" : "each network's default")}, INT8 calibrated on {s.CalibrationSamples} synthetic samples, "
            + $"took {ReportMarkdown.Fixed(s.ElapsedSeconds, "F1")} s";
    }

    private static string LatencyCell(StudyCell? c) =>
        c is null ? "—"
        : c.Report?.LatencyMs is not { } l ? "failed"
        : $"{Ms(l.Median)} [{Ms(c.P10Ms)}–{Ms(l.P90)}]";

    private static string Verdict(ChangeKind kind) => kind switch
    {
        ChangeKind.Regression => "regression",
        ChangeKind.Improvement => "improvement",
        ChangeKind.Added => "new",
        ChangeKind.Removed => "gone",
        _ => "unchanged",
    };
}

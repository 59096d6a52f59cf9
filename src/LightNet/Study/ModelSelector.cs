using System.Globalization;
using System.Text.Json.Serialization;
using LightNet.Backends;

namespace LightNet.Study;

/// <summary>What the recommendation optimises once the budgets are met.</summary>
public enum SelectionObjective
{
    /// <summary>The most accurate candidate when a latency budget is given without an accuracy floor; otherwise the fastest.</summary>
    Auto,

    /// <summary>The lowest median latency.</summary>
    Fastest,

    /// <summary>The highest estimated top-1 accuracy.</summary>
    MostAccurate,
}

/// <summary>
/// The budgets a model must meet on this device: latency, size, and an accuracy or fidelity floor. Every limit is optional.
/// </summary>
public sealed record SelectionConstraints
{
    /// <summary>No budget at all.</summary>
    public static SelectionConstraints None { get; } = new();

    /// <summary>Largest median latency in milliseconds.</summary>
    public double? MaxLatencyMs { get; init; }

    /// <summary>Largest model file in MiB (2^20 bytes).</summary>
    public double? MaxModelMiB { get; init; }

    /// <summary>Smallest top-1 agreement with the FP32 model, 0 to 1 (FP32 itself agrees fully).</summary>
    public double? MinFidelity { get; init; }

    /// <summary>Smallest estimated ImageNet top-1 accuracy in percent (published value adjusted by the measured fidelity).</summary>
    public double? MinAccuracy { get; init; }

    /// <summary>What to optimise among the candidates that meet the budgets.</summary>
    public SelectionObjective Objective { get; init; } = SelectionObjective.Auto;

    /// <summary>Whether any limit is set.</summary>
    [JsonIgnore]
    public bool HasLimits => MaxLatencyMs is not null || MaxModelMiB is not null || MinFidelity is not null || MinAccuracy is not null;

    /// <summary>Every problem with the limits (empty when valid).</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxLatencyMs is double ms && !(ms > 0 && double.IsFinite(ms))) problems.Add($"the latency budget must be a positive number of milliseconds, not {Num(ms)}");
        if (MaxModelMiB is double mb && !(mb > 0 && double.IsFinite(mb))) problems.Add($"the size budget must be a positive number of MiB, not {Num(mb)}");
        if (MinFidelity is double f && !(f >= 0 && f <= 1)) problems.Add($"the fidelity floor must be between 0 and 1, not {Num(f)}");
        if (MinAccuracy is double a && !(a >= 0 && a <= 100)) problems.Add($"the accuracy floor must be between 0 and 100 percent, not {Num(a)}");
        if (!Enum.IsDefined(Objective)) problems.Add($"unknown objective {(int)Objective}");
        return problems;
    }

    /// <summary>The limits in words ("≤ 10 ms, ≤ 5 MiB, top-1 ≥ 65 %"), or "no budget".</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var parts = new List<string>();
        if (MaxLatencyMs is double ms) parts.Add($"median ≤ {Num(ms)} ms");
        if (MaxModelMiB is double mb) parts.Add($"file ≤ {Num(mb)} MiB");
        if (MinFidelity is double f) parts.Add($"top-1 agreement with FP32 ≥ {Num(f)}");
        if (MinAccuracy is double a) parts.Add($"estimated top-1 ≥ {Num(a)} %");
        return parts.Count == 0 ? "no budget" : string.Join(", ", parts);
    }

    internal static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>One model × backend × precision that was measured, as the selector sees it.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Backend">Backend name.</param>
/// <param name="Precision">Precision.</param>
/// <param name="MedianMs">Median latency.</param>
/// <param name="FileBytes">Model file size.</param>
/// <param name="Fidelity">Top-1 agreement with FP32 (1 for FP32; null when not measured).</param>
/// <param name="EstimatedTop1">Top-1 accuracy in percent: measured on a labelled set when <paramref name="AccuracyMeasured"/>, else the
/// published value less the disagreements with FP32 (null without either).</param>
/// <param name="AccuracyMeasured">True when <paramref name="EstimatedTop1"/> was measured on labelled images (<c>study --eval</c>).</param>
public sealed record Candidate(string Model, string Backend, Precision Precision, double MedianMs, long FileBytes, double? Fidelity, double? EstimatedTop1,
    bool AccuracyMeasured = false)
{
    /// <summary>"mobilenet_v2 · Int8 on ort-cpu".</summary>
    /// <returns>The label.</returns>
    public override string ToString() => $"{Model} · {Precision.ToString().ToLowerInvariant()} on {Backend}";

    /// <summary>"measured top-1" or "estimated top-1", as the reports name <see cref="EstimatedTop1"/>.</summary>
    [JsonIgnore]
    public string Top1Name => AccuracyMeasured ? "measured top-1" : "estimated top-1";
}

/// <summary>A candidate and why it was accepted or rejected.</summary>
/// <param name="Candidate">The candidate.</param>
/// <param name="Accepted">True when it meets every limit.</param>
/// <param name="Reasons">Each limit it misses, with the numbers ("median 12.3 ms > 10 ms budget"); empty when accepted.</param>
/// <param name="Excess">How far it is from meeting the limits: the sum of each missed limit's relative excess (0 when accepted).</param>
public sealed record CandidateVerdict(Candidate Candidate, bool Accepted, IReadOnlyList<string> Reasons, double Excess);

/// <summary>The outcome of <see cref="ModelSelector.Recommend"/>.</summary>
public sealed record Recommendation
{
    /// <summary>The limits applied.</summary>
    public required SelectionConstraints Constraints { get; init; }

    /// <summary>The objective applied (never <see cref="SelectionObjective.Auto"/>).</summary>
    public SelectionObjective Objective { get; init; }

    /// <summary>The pick, or null when no candidate meets the limits.</summary>
    public Candidate? Best { get; init; }

    /// <summary>When nothing meets the limits, the candidate that misses them by the least; else null.</summary>
    public Candidate? Closest { get; init; }

    /// <summary>The candidate the objective ranks second among those that meet the limits (null when fewer than two do).</summary>
    public Candidate? RunnerUp { get; init; }

    /// <summary>Each budget the pick meets, with its numbers ("median 3.2 ms ≤ 10 ms budget"); empty without budgets or a pick.</summary>
    public IReadOnlyList<string> BudgetsMet { get; init; } = [];

    /// <summary>Every candidate, accepted ones first in the objective's order, then rejected ones by how far they miss.</summary>
    public IReadOnlyList<CandidateVerdict> Verdicts { get; init; } = [];

    /// <summary>A short paragraph: the pick and why (the budgets it meets, the objective, the runner-up and what it costs), or that
    /// nothing fits and which candidate comes closest.</summary>
    public string Summary { get; init; } = "";
}

/// <summary>
/// Picks, from measured study results, the model × backend × precision that fits a device's budgets: the fastest that meets an
/// accuracy floor, or the most accurate that meets a latency budget — the seed study's cloud → device loop.
/// </summary>
/// <example>
/// <code>
/// Recommendation r = ModelSelector.Recommend(results, new SelectionConstraints { MaxLatencyMs = 10, MaxModelMiB = 8 });
/// Console.WriteLine(r.Summary);
/// </code>
/// </example>
public static class ModelSelector
{
    /// <summary>Recommends a candidate for the limits.</summary>
    /// <param name="results">Measured study results.</param>
    /// <param name="constraints">The limits; null for none.</param>
    /// <returns>The recommendation, with every candidate's verdict. When nothing meets the limits, <see cref="Recommendation.Best"/> is null
    /// and <see cref="Recommendation.Closest"/> names the nearest miss.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid limits, or results without a
    /// single measured cell.</exception>
    public static Recommendation Recommend(StudyResults results, SelectionConstraints? constraints = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        constraints ??= SelectionConstraints.None;
        IReadOnlyList<string> problems = constraints.Validate();
        if (problems.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid budget: " + string.Join("; ", problems) + ".");
        }

        List<Candidate> candidates = Candidates(results);
        if (candidates.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The study results hold no measured model ({results.Cells.Count} cells, all failed): nothing to recommend.");
        }

        SelectionObjective objective = constraints.Objective != SelectionObjective.Auto ? constraints.Objective
            : constraints.MaxLatencyMs is not null && constraints.MinAccuracy is null && constraints.MinFidelity is null ? SelectionObjective.MostAccurate
            : SelectionObjective.Fastest;

        List<CandidateVerdict> verdicts = candidates.Select(c => Judge(c, constraints)).ToList();
        List<CandidateVerdict> accepted = Order(verdicts.Where(v => v.Accepted), objective).ToList();
        List<CandidateVerdict> rejected = verdicts.Where(v => !v.Accepted).OrderBy(v => v.Excess).ThenBy(v => v.Candidate.MedianMs).ToList();
        Candidate? best = accepted.FirstOrDefault()?.Candidate;
        Candidate? closest = best is null ? rejected.FirstOrDefault()?.Candidate : null;

        Candidate? runnerUp = accepted.Count > 1 ? accepted[1].Candidate : null;
        List<string> met = best is null ? [] : BudgetsMet(best, constraints);
        string summary = best is not null ? Why(best, runnerUp, met, objective, accepted.Count, verdicts.Count, constraints)
            : $"No candidate meets {constraints}. The closest is {closest}: {string.Join("; ", rejected[0].Reasons)}.";
        return new Recommendation
        {
            Constraints = constraints,
            Objective = objective,
            Best = best,
            Closest = closest,
            RunnerUp = runnerUp,
            BudgetsMet = met,
            Verdicts = [.. accepted, .. rejected],
            Summary = summary,
        };
    }

    /// <summary>The paragraph that explains the pick: what it is chosen for, the budgets it meets with the numbers, and the runner-up.</summary>
    private static string Why(Candidate best, Candidate? runnerUp, List<string> met, SelectionObjective objective, int accepted, int total,
        SelectionConstraints constraints)
    {
        string what = objective == SelectionObjective.MostAccurate ? $"the most accurate ({best.Top1Name})" : "the fastest (median latency)";
        string pool = constraints.HasLimits
            ? $"{accepted} of the {total} measured candidates meet every budget ({string.Join("; ", met)}); it is {what} of them"
            : $"no budget was given, so it is {what} of all {total} measured candidates (give --budget-ms, --budget-mb, --min-fidelity or "
              + "--min-accuracy to narrow the choice)";
        string text = $"{best}: {pool}. Median {Ms(best.MedianMs)} ms, file {MiB(best.FileBytes)} MiB, {best.Top1Name} {Top1(best.EstimatedTop1)}"
            + (best.Fidelity is double f && best.Precision != Precision.Fp32 ? $", top-1 agreement with FP32 {f.ToString("F3", CultureInfo.InvariantCulture)}" : "") + ".";
        if (runnerUp is null)
        {
            return text + " No other candidate meets the budgets, so there is no runner-up.";
        }

        double slower = runnerUp.MedianMs / best.MedianMs;
        string trade = objective == SelectionObjective.MostAccurate
            ? $"{runnerUp.Top1Name} {Top1(runnerUp.EstimatedTop1)}, median {Ms(runnerUp.MedianMs)} ms ({slower.ToString("F2", CultureInfo.InvariantCulture)}× the pick's)"
            : $"{slower.ToString("F2", CultureInfo.InvariantCulture)}× slower (median {Ms(runnerUp.MedianMs)} ms), file {MiB(runnerUp.FileBytes)} MiB, "
              + $"{runnerUp.Top1Name} {Top1(runnerUp.EstimatedTop1)}";
        return text + $" Runner-up: {runnerUp}, {trade}.";
    }

    private static List<string> BudgetsMet(Candidate c, SelectionConstraints limits)
    {
        var met = new List<string>();
        if (limits.MaxLatencyMs is double ms) met.Add($"median {Ms(c.MedianMs)} ms ≤ {SelectionConstraints.Num(ms)} ms");
        if (limits.MaxModelMiB is double mb) met.Add($"file {MiB(c.FileBytes)} MiB ≤ {SelectionConstraints.Num(mb)} MiB");
        if (limits.MinFidelity is double f && c.Fidelity is double cf) met.Add($"top-1 agreement {SelectionConstraints.Num(cf)} ≥ {SelectionConstraints.Num(f)}");
        if (limits.MinAccuracy is double a && c.EstimatedTop1 is double t) met.Add($"{c.Top1Name} {Top1(t)} ≥ {SelectionConstraints.Num(a)} %");
        return met;
    }

    /// <summary>Every measured cell of the results as a candidate (failed cells left out).</summary>
    internal static List<Candidate> Candidates(StudyResults results)
    {
        var list = new List<Candidate>();
        foreach (StudyCell cell in results.Cells)
        {
            if (cell.Report?.LatencyMs is not { } latency || cell.Error is not null)
            {
                continue;
            }

            StudyModel? model = results.Models.FirstOrDefault(m => m.Name == cell.Model);
            StudyVariant? variant = model?.Variant(cell.Precision);
            double? fidelity = cell.Precision == Precision.Fp32 ? 1.0 : variant?.Fidelity?.Top1Agreement;
            double? measured = variant?.Accuracy?.Top1Percent;
            double? top1 = measured ?? (cell.Precision == Precision.Fp32 ? model?.PublishedTop1 : variant?.EstimatedTop1);
            list.Add(new Candidate(cell.Model, cell.Backend, cell.Precision, latency.Median, variant?.FileBytes ?? cell.Report.Model.FileBytes, fidelity, top1,
                measured is not null));
        }

        return list;
    }

    private static CandidateVerdict Judge(Candidate c, SelectionConstraints limits)
    {
        var reasons = new List<string>();
        double excess = 0;
        if (limits.MaxLatencyMs is double ms && c.MedianMs > ms)
        {
            reasons.Add($"median {Ms(c.MedianMs)} ms > {SelectionConstraints.Num(ms)} ms budget");
            excess += c.MedianMs / ms - 1;
        }

        double mib = c.FileBytes / (1024.0 * 1024.0);
        if (limits.MaxModelMiB is double mb && mib > mb)
        {
            reasons.Add($"file {MiB(c.FileBytes)} MiB > {SelectionConstraints.Num(mb)} MiB budget");
            excess += mib / mb - 1;
        }

        excess += Floor(limits.MinFidelity, c.Fidelity, reasons, "fidelity against FP32 was not measured",
            (v, f) => $"top-1 agreement with FP32 {SelectionConstraints.Num(v)} < {SelectionConstraints.Num(f)} floor");
        excess += Floor(limits.MinAccuracy, c.EstimatedTop1, reasons, "no published or measured accuracy for this architecture",
            (v, a) => $"{c.Top1Name} {Top1(v)} < {SelectionConstraints.Num(a)} % floor");
        return new CandidateVerdict(c, reasons.Count == 0, reasons, excess);
    }

    /// <summary>Checks a lower limit: adds the reason and returns the relative shortfall (1 when the value is unknown).</summary>
    private static double Floor(double? floor, double? value, List<string> reasons, string unknown, Func<double, double, string> below)
    {
        if (floor is not double limit)
        {
            return 0;
        }

        if (value is not double v)
        {
            reasons.Add(unknown);
            return 1;
        }

        if (v >= limit)
        {
            return 0;
        }

        reasons.Add(below(v, limit));
        return limit > 0 ? (limit - v) / limit : 0;
    }

    private static IEnumerable<CandidateVerdict> Order(IEnumerable<CandidateVerdict> verdicts, SelectionObjective objective) =>
        objective == SelectionObjective.MostAccurate
            ? verdicts.OrderByDescending(v => v.Candidate.EstimatedTop1 ?? double.NegativeInfinity).ThenBy(v => v.Candidate.MedianMs)
            : verdicts.OrderBy(v => v.Candidate.MedianMs).ThenByDescending(v => v.Candidate.EstimatedTop1 ?? double.NegativeInfinity);

    private static string Ms(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F2", CultureInfo.InvariantCulture);

    private static string Top1(double? v) => v is double d ? d.ToString("F1", CultureInfo.InvariantCulture) + " %" : "n/a";
}

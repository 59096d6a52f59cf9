using LightNet.Backends;
using LightNet.Profiling;

namespace LightNet.Study;

/// <summary>How one cell changed between two studies.</summary>
public enum ChangeKind
{
    /// <summary>No change the confidence interval can tell from noise, or below the threshold.</summary>
    Unchanged,

    /// <summary>Slower: the whole interval of new/old is above 1 and the change exceeds the threshold.</summary>
    Regression,

    /// <summary>Faster: the whole interval of new/old is below 1 and the change exceeds the threshold.</summary>
    Improvement,

    /// <summary>Measured now, not before.</summary>
    Added,

    /// <summary>Measured before, not now (or it failed now).</summary>
    Removed,
}

/// <summary>One model × backend × precision in two studies.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Backend">Backend name.</param>
/// <param name="Precision">Precision.</param>
/// <param name="OldMeanMs">Mean latency before (NaN when added).</param>
/// <param name="NewMeanMs">Mean latency now (NaN when removed).</param>
/// <param name="Ratio">New mean over old mean: above 1 is slower.</param>
/// <param name="RatioCi">95% confidence interval of <paramref name="Ratio"/> (Fieller).</param>
/// <param name="Kind">The verdict.</param>
public sealed record StudyChange(string Model, string Backend, Precision Precision, double OldMeanMs, double NewMeanMs, double Ratio,
    ConfidenceInterval RatioCi, ChangeKind Kind);

/// <summary>A study compared with an earlier one: regressions and improvements with confidence intervals.</summary>
public sealed record StudyComparison
{
    /// <summary>When the earlier study ran.</summary>
    public DateTimeOffset OldCreatedUtc { get; init; }

    /// <summary>When this study ran.</summary>
    public DateTimeOffset NewCreatedUtc { get; init; }

    /// <summary>Relative change below which a cell counts as unchanged even when significant (0.05 = 5 %).</summary>
    public double Threshold { get; init; }

    /// <summary>A warning when the two studies ran on different machines or runtimes; null when they match.</summary>
    public string? EnvironmentNote { get; init; }

    /// <summary>One entry per cell in either study: regressions first, then improvements, unchanged, added and removed.</summary>
    public IReadOnlyList<StudyChange> Changes { get; init; } = [];

    /// <summary>The regressions.</summary>
    public IEnumerable<StudyChange> Regressions => Changes.Where(c => c.Kind == ChangeKind.Regression);

    /// <summary>The improvements.</summary>
    public IEnumerable<StudyChange> Improvements => Changes.Where(c => c.Kind == ChangeKind.Improvement);

    /// <summary>Compares <paramref name="current"/> with <paramref name="old"/>, cell by cell.</summary>
    /// <param name="old">The earlier results.</param>
    /// <param name="current">The new results.</param>
    /// <param name="threshold">Smallest relative change reported (0 to 1; default 5 %).</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a threshold outside [0, 1).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="old"/> or <paramref name="current"/> is null.</exception>
    public static StudyComparison Compare(StudyResults old, StudyResults current, double threshold = 0.05)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(current);

        if (!(threshold >= 0 && threshold < 1))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The change threshold must be in [0, 1), not {threshold}.");
        }

        var changes = new List<StudyChange>();
        var keys = old.Cells.Concat(current.Cells).Select(c => (c.Model, c.Backend, c.Precision)).Distinct().ToList();
        foreach ((string model, string backend, Precision precision) in keys)
        {
            StudyCell? oldCell = old.Cell(model, backend, precision);
            StudyCell? newCell = current.Cell(model, backend, precision);
            LatencySummary? before = Measured(oldCell);
            LatencySummary? after = Measured(newCell);
            if (before is null && after is null)
            {
                continue;
            }

            if (before is null || after is null)
            {
                var nan = new ConfidenceInterval(double.NaN, double.NaN, 0);
                changes.Add(new StudyChange(model, backend, precision, before?.Mean ?? double.NaN, after?.Mean ?? double.NaN, double.NaN, nan,
                    before is null ? ChangeKind.Added : ChangeKind.Removed));
                continue;
            }

            double ratio = after.Mean / before.Mean;
            ConfidenceInterval ci = LatencyStatistics.RatioConfidenceInterval(Stats(newCell!), Stats(oldCell!));
            ChangeKind kind = ci.Lower > 1 && ratio > 1 + threshold ? ChangeKind.Regression
                : ci.Upper < 1 && ratio < 1 - threshold ? ChangeKind.Improvement
                : ChangeKind.Unchanged;
            changes.Add(new StudyChange(model, backend, precision, before.Mean, after.Mean, ratio, ci, kind));
        }

        return new StudyComparison
        {
            OldCreatedUtc = old.CreatedUtc,
            NewCreatedUtc = current.CreatedUtc,
            Threshold = threshold,
            EnvironmentNote = DescribeSetupChange(old.Environment, current.Environment),
            Changes = changes.OrderBy(c => c.Kind switch { ChangeKind.Regression => 0, ChangeKind.Improvement => 1, ChangeKind.Unchanged => 2, ChangeKind.Added => 3, _ => 4 })
                .ThenByDescending(c => double.IsNaN(c.Ratio) ? 0 : Math.Abs(Math.Log(c.Ratio))).ToList(),
        };
    }

    internal static LatencySummary? Measured(StudyCell? cell) =>
        cell is { Error: null, Report.LatencyMs: { Count: > 0, Mean: > 0 } latency } ? latency : null;

    /// <summary>The statistics Fieller's interval needs: from the raw samples when kept, else from the summary's count, mean and
    /// standard deviation (all that interval uses).</summary>
    internal static LatencyStatistics Stats(StudyCell cell)
    {
        LatencySummary s = cell.Report!.LatencyMs;
        return cell.Report.RawSamplesMs is { Count: > 0 } raw && raw.Count == s.Count
            ? LatencyStatistics.FromSamples([.. raw])
            : LatencyStatistics.FromSamples([s.Mean]) with { Count = s.Count, Mean = s.Mean, StandardDeviation = s.StandardDeviation };
    }

    private static string? DescribeSetupChange(EnvironmentInfo? a, EnvironmentInfo? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        var diffs = new List<string>();
        if (a.CpuModel != b.CpuModel) diffs.Add($"CPU '{a.CpuModel}' then '{b.CpuModel}'");
        if (a.LogicalCores != b.LogicalCores) diffs.Add($"{a.LogicalCores} then {b.LogicalCores} logical cores");
        if (a.OnnxRuntimeVersion != b.OnnxRuntimeVersion) diffs.Add($"ONNX Runtime {a.OnnxRuntimeVersion} then {b.OnnxRuntimeVersion}");
        if (a.DotNetRuntime != b.DotNetRuntime) diffs.Add($"{a.DotNetRuntime} then {b.DotNetRuntime}");
        return diffs.Count == 0 ? null : "The two studies ran on different setups (" + string.Join("; ", diffs) + "): changes may come from the setup.";
    }
}

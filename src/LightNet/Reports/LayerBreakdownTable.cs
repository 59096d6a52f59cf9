using System.Globalization;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>
/// The text of a <see cref="LayerBreakdown"/> as the command line and <see cref="ComparisonMarkdown"/> show it: one row per
/// layer kind with its layers, GMAC, each backend's milliseconds per run, share and GMAC/s, and each backend's ratio to the
/// baseline; then the sum of the operators, the measured median and the gap between them; then notes on unmatched nodes and
/// the layers that cost most against the baseline.
/// </summary>
public static class LayerBreakdownTable
{
    /// <summary>The cell of a backend that reported no node of a kind.</summary>
    public const string NotReported = "—";

    /// <summary>How many layers <see cref="Notes"/> names per backend as costing most against the baseline.</summary>
    public const int WorstLayers = 5;

    /// <summary>What the table shows, in one sentence, for a caption.</summary>
    /// <param name="breakdown">The breakdown.</param>
    /// <returns>The caption.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="breakdown"/> is null.</exception>
    public static string Caption(LayerBreakdown breakdown)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        int runs = breakdown.Totals.Count == 0 ? 0 : breakdown.Totals.Min(t => t.Runs);
        return $"Where the time of {breakdown.Model} goes, by layer kind: kernel ms per run from a separate per-operator pass "
            + $"({Count(runs)} runs or more per backend; the profiler slows fast nodes, so read shares and ratios), fused nodes "
            + $"charged to the layer they belong to; a ratio above 1 is slower than {breakdown.Baseline}.";
    }

    /// <summary>The column headers: <c>layer kind</c>, <c>layers</c>, <c>GMAC</c>, then <c>B ms</c>, <c>share</c>, <c>GMAC/s</c> per
    /// backend, then <c>B / baseline</c> per other backend.</summary>
    /// <param name="breakdown">The breakdown.</param>
    /// <returns>The headers.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="breakdown"/> is null.</exception>
    public static IReadOnlyList<string> Header(LayerBreakdown breakdown)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        var header = new List<string> { "layer kind", "layers", "GMAC" };
        foreach (string b in breakdown.Backends)
        {
            header.AddRange([$"{b} ms", "share", "GMAC/s"]);
        }

        header.AddRange(Others(breakdown).Select(b => $"{b} / {breakdown.Baseline}"));
        return header;
    }

    /// <summary>The rows under <see cref="Header"/>: one per kind, then <c>sum of operators</c>, <c>measured median</c> and
    /// <c>gap (between operators)</c>.</summary>
    /// <param name="breakdown">The breakdown.</param>
    /// <returns>The rows, each as long as the header.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="breakdown"/> is null.</exception>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(LayerBreakdown breakdown)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        int baseIndex = BaseIndex(breakdown);
        int[] others = Others(breakdown).Select(b => IndexOf(breakdown, b)).ToArray();
        var rows = new List<IReadOnlyList<string>>();
        foreach (LayerKindRow k in breakdown.Kinds)
        {
            var row = new List<string> { k.Kind, k.Layers > 0 ? Count(k.Layers) : "", k.Macs > 0 ? Fixed(k.Macs / 1e9, "F3") : "" };
            foreach (LayerKindTime t in k.Times)
            {
                // A backend that reported no node of this kind ran it fused into another layer, or not at all.
                row.AddRange(t.Nodes == 0 ? [NotReported, "", ""] : [Fixed(t.Ms, "F2"), Fixed(t.Percent, "F0") + " %", Gmacs(k.Macs, t.Ms)]);
            }

            row.AddRange(others.Select(i => k.Times[i].Nodes == 0 || k.Times[baseIndex].Nodes == 0 ? NotReported : Ratio(k.Times[i].Ratio)));
            rows.Add(row);
        }

        long macs = breakdown.Kinds.Sum(k => k.Macs);
        IReadOnlyList<LayerBackendTotal> totals = breakdown.Totals;
        var sum = new List<string> { "sum of operators", Count(breakdown.Kinds.Sum(k => k.Layers)), Fixed(macs / 1e9, "F3") };
        var median = new List<string> { "measured median", "", "" };
        var gap = new List<string> { "gap (between operators)", "", "" };
        foreach (LayerBackendTotal t in totals)
        {
            sum.AddRange([Fixed(t.OperatorsMs, "F2"), "100 %", Gmacs(macs, t.OperatorsMs)]);
            median.AddRange([Fixed(t.MedianMs, "F2"), "", Gmacs(macs, t.MedianMs)]);
            gap.AddRange([Fixed(t.GapMs, "F2"), t.MedianMs > 0 ? Fixed(t.GapMs / t.MedianMs * 100, "F0") + " %" : "", ""]);
        }

        sum.AddRange(others.Select(i => Ratio(totals[i].OperatorsMs / totals[baseIndex].OperatorsMs)));
        median.AddRange(others.Select(i => Ratio(totals[i].MedianMs / totals[baseIndex].MedianMs)));
        gap.AddRange(others.Select(_ => ""));
        rows.AddRange([sum, median, gap]);
        return rows;
    }

    /// <summary>
    /// Lines to print under the table: the reported nodes that matched nothing in the model, per backend, and the
    /// <see cref="WorstLayers"/> layers where each other backend spends the most time beyond the baseline's.
    /// </summary>
    /// <param name="breakdown">The breakdown.</param>
    /// <returns>The lines; empty when there is nothing to say.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="breakdown"/> is null.</exception>
    public static IReadOnlyList<string> Notes(LayerBreakdown breakdown)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        var notes = new List<string>();
        foreach (LayerBackendTotal t in breakdown.Totals.Where(t => t.Unmatched.Count > 0))
        {
            notes.Add($"{t.Backend}: {Count(t.Unmatched.Count)} reported node{(t.Unmatched.Count == 1 ? "" : "s")} matched no node of the model "
                + $"({Fixed(t.Unmatched.Sum(u => u.Ms), "F2")} ms, in 'other / unmatched'): "
                + string.Join(", ", t.Unmatched.Take(WorstLayers).Select(u => $"{u.Name} ({u.OpType}, {Fixed(u.Ms, "F2")} ms)"))
                + (t.Unmatched.Count > WorstLayers ? ", ..." : "") + ".");
        }

        int baseIndex = BaseIndex(breakdown);
        foreach (string other in Others(breakdown))
        {
            int i = IndexOf(breakdown, other);
            var worst = breakdown.Layers.Select(l => (Layer: l, Excess: l.Ms[i] - l.Ms[baseIndex])).Where(x => x.Excess > 0)
                .OrderByDescending(x => x.Excess).Take(WorstLayers).ToList();
            if (worst.Count > 0)
            {
                notes.Add($"Layers where {other} spends the most beyond {breakdown.Baseline}: " + string.Join(", ", worst.Select(x =>
                    $"{x.Layer.Name} ({x.Layer.Kind}) +{Fixed(x.Excess, "F2")} ms, {Ratio(x.Layer.Ms[baseIndex] > 0 ? x.Layer.Ms[i] / x.Layer.Ms[baseIndex] : double.NaN)}")) + ".");
            }
        }

        return notes;
    }

    private static IEnumerable<string> Others(LayerBreakdown breakdown) => breakdown.Backends.Where(b => b != breakdown.Baseline);

    private static int BaseIndex(LayerBreakdown breakdown) => Math.Max(0, IndexOf(breakdown, breakdown.Baseline));

    private static int IndexOf(LayerBreakdown breakdown, string backend) => breakdown.Backends.ToList().IndexOf(backend);

    private static string Gmacs(long macs, double ms) => macs > 0 && ms > 0 && double.IsFinite(ms) ? Fixed(macs / (ms * 1e6), "F1") : "";

    private static string Ratio(double ratio) => double.IsFinite(ratio) ? Fixed(ratio, "F2") + "×" : "n/a";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Fixed(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}

namespace LightNet.Profiling;

/// <summary>
/// A point in a series of timings where the level shifted: the runs from <see cref="Index"/> on have a different median
/// from the runs before it (thermal throttling, a neighbour starting work, a warm-up ending).
/// </summary>
/// <param name="Index">The first sample of the new phase (0-based).</param>
/// <param name="MedianBeforeMs">The median before it, in milliseconds.</param>
/// <param name="MedianAfterMs">The median from it on, in milliseconds.</param>
public sealed record ChangePoint(int Index, double MedianBeforeMs, double MedianAfterMs)
{
    /// <summary>The median after over the median before: above 1 the series slowed down, below 1 it sped up.</summary>
    public double Ratio => MedianBeforeMs > 0 ? MedianAfterMs / MedianBeforeMs : double.PositiveInfinity;
}

/// <summary>
/// Finds the single most likely level shift in a series by least absolute deviations around each side's median (robust to
/// the odd slow run), and keeps it only when the shift is large and clearly beyond the noise.
/// </summary>
internal static class ChangePointDetector
{
    /// <summary>Series longer than this are reduced to the medians of equal blocks first, so the search stays cheap.</summary>
    internal const int MaximumPoints = 240;

    /// <summary>
    /// The most likely change point of <paramref name="series"/>, or null when there is none worth reporting: each side must
    /// hold at least <paramref name="minimumSegment"/> samples, the medians must differ by a ratio of at least
    /// <paramref name="minimumRatio"/> either way, and by more than four robust standard errors.
    /// </summary>
    /// <param name="series">Timings in milliseconds, in run order.</param>
    /// <param name="minimumSegment">The fewest samples on either side (at least 2).</param>
    /// <param name="minimumRatio">The smallest shift reported, as a ratio above 1 (1.05: 5% either way).</param>
    public static ChangePoint? Find(IReadOnlyList<double> series, int minimumSegment = 5, double minimumRatio = 1.05)
    {
        minimumSegment = Math.Max(2, minimumSegment);
        int n = series.Count;
        if (n < 2 * minimumSegment)
        {
            return null;
        }

        int block = (n + MaximumPoints - 1) / MaximumPoints;
        double[] points = block == 1 ? [.. series] : BlockMedians(series, block);
        int minPoints = Math.Max(2, (minimumSegment + block - 1) / block);
        if (points.Length < 2 * minPoints)
        {
            return null;
        }

        int best = -1;
        double bestCost = Cost(points, 0, points.Length);
        for (int s = minPoints; s <= points.Length - minPoints; s++)
        {
            double cost = Cost(points, 0, s) + Cost(points, s, points.Length);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = s;
            }
        }

        if (best < 0)
        {
            return null;
        }

        int index = Math.Min(best * block, n - minimumSegment);
        double[] before = Sorted(series, 0, index);
        double[] after = Sorted(series, index, n);
        double medianBefore = LatencyStatistics.Percentile(before, 0.5);
        double medianAfter = LatencyStatistics.Percentile(after, 0.5);
        double ratio = medianBefore > 0 ? medianAfter / medianBefore : double.PositiveInfinity;
        if (ratio < minimumRatio && ratio > 1 / minimumRatio)
        {
            return null;
        }

        // Standard error of a median ≈ 1.253·σ/√n, σ ≈ 1.4826·MAD.
        double se = Math.Sqrt(Square(1.253 * 1.4826 * Mad(before, medianBefore)) / before.Length
            + Square(1.253 * 1.4826 * Mad(after, medianAfter)) / after.Length);
        return Math.Abs(medianAfter - medianBefore) > 4 * se ? new ChangePoint(index, medianBefore, medianAfter) : null;
    }

    private static double Square(double x) => x * x;

    private static double[] BlockMedians(IReadOnlyList<double> series, int block)
    {
        int m = series.Count / block;
        var medians = new double[m];
        for (int b = 0; b < m; b++)
        {
            medians[b] = LatencyStatistics.Percentile(Sorted(series, b * block, (b + 1) * block), 0.5);
        }

        return medians;
    }

    private static double[] Sorted(IReadOnlyList<double> series, int from, int to)
    {
        var slice = new double[to - from];
        for (int i = from; i < to; i++)
        {
            slice[i - from] = series[i];
        }

        Array.Sort(slice);
        return slice;
    }

    private static double Cost(double[] points, int from, int to)
    {
        double median = LatencyStatistics.Percentile(Sorted(points, from, to), 0.5);
        double cost = 0;
        for (int i = from; i < to; i++)
        {
            cost += Math.Abs(points[i] - median);
        }

        return cost;
    }

    private static double Mad(double[] sorted, double median)
    {
        var deviations = new double[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            deviations[i] = Math.Abs(sorted[i] - median);
        }

        Array.Sort(deviations);
        return LatencyStatistics.Percentile(deviations, 0.5);
    }
}

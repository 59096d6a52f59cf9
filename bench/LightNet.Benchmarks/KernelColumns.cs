using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet.BenchmarkDotNet;

namespace LightNet.Benchmarks;

/// <summary>
/// The columns of a kernel suite (<see cref="KernelBenchmarks"/>, <see cref="Int8KernelBenchmarks"/>): the kernel's
/// algorithm, GMAC/s (the case's MACs over BenchmarkDotNet's mean time) and that rate as a share of a peak.
/// </summary>
internal static class KernelColumns
{
    /// <summary>The three columns.</summary>
    /// <param name="describe">The case's MACs per call and algorithm label (computed in the host process, where the summary is built).</param>
    /// <param name="peakMacsPerSecond">The peak rate the case is compared with; 0 when unknown ("?").</param>
    /// <param name="algorithmLegend">The legend of the algorithm column.</param>
    /// <param name="peakName">The peak column's header, such as "Peak FMA %".</param>
    /// <param name="peakLegend">The peak column's legend, built when the summary is printed.</param>
    public static IColumn[] Create(Func<BenchmarkCase, (long Macs, string Algorithm)> describe, Func<BenchmarkCase, double> peakMacsPerSecond,
        string algorithmLegend, string peakName, Func<string> peakLegend) =>
    [
        new Column(Kind.Algorithm, describe, peakMacsPerSecond, "Algorithm", () => algorithmLegend),
        new Column(Kind.Gmacs, describe, peakMacsPerSecond, "GMAC/s", () => "Multiply-accumulates per nanosecond of the mean time"),
        new Column(Kind.PeakShare, describe, peakMacsPerSecond, peakName, peakLegend),
    ];

    private enum Kind { Algorithm, Gmacs, PeakShare }

    private sealed class Column(Kind kind, Func<BenchmarkCase, (long Macs, string Algorithm)> describe, Func<BenchmarkCase, double> peakMacsPerSecond,
        string name, Func<string> legend) : LightNetColumn("Case")
    {
        public override string Id => base.Id + "." + kind;

        public override string ColumnName => name;

        public override int PriorityInCategory => (int)kind;

        public override string Legend => legend();

        protected override string? Format(Summary summary, BenchmarkCase benchmarkCase)
        {
            var (macs, algorithm) = describe(benchmarkCase);
            if (kind == Kind.Algorithm)
            {
                return algorithm;
            }

            if (MeanNanoseconds(summary, benchmarkCase) is not double ns)
            {
                return null;
            }

            double gmacs = macs / ns;
            if (kind == Kind.Gmacs)
            {
                return gmacs.ToString("0.00", CultureInfo.InvariantCulture);
            }

            double peak = peakMacsPerSecond(benchmarkCase);
            return peak > 0 ? (100 * gmacs * 1e9 / peak).ToString("0.0", CultureInfo.InvariantCulture) + "%" : null;
        }
    }
}

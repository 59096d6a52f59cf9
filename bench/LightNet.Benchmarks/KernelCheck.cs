using System.Diagnostics;
using LightNet.BenchmarkDotNet;
using LightNet.Engine.Kernels;

namespace LightNet.Benchmarks;

/// <summary>
/// A quick, interleaved look at the <see cref="KernelBenchmarks"/> cases without BenchmarkDotNet: every case × ISA
/// level × thread count is timed in rounds (one short block of calls each, in turn), so a loaded machine slows all of
/// them alike; prints the median time per call, GMAC/s and the share of <see cref="CpuPeak"/> at the row's own level
/// (its vector lanes).
/// </summary>
/// <remarks>
/// <c>--kernel-check [--case substring] [--rounds N] [--threads 1,2] [--isa avx512,avx2,vector128] [--int8] [--foreign]</c>; defaults: every
/// case, 15 rounds, 1 and 2 threads, the levels of <see cref="KernelBenchmarks.IsaLevels"/>. With <c>--int8</c> the cases are <see cref="Int8KernelBenchmarks"/>' (every integer path this machine runs
/// beside fp32, 1 thread), and the share of peak is the path's (<see cref="Int8KernelBenchmarks.PeakMacsPerCycle"/>).
/// With <c>--foreign</c> every call of the fp32 cases is timed after its input and output were rewritten (untimed) with
/// the threads' shares reversed (<see cref="GemmHarness.Foreign"/>): the case as a model runs it after a layer that cut its
/// work the other way, the cost of reading what another core wrote.
/// </remarks>
internal static class KernelCheck
{
    public static int Run(string[] args)
    {
        string filter = Option(args, "--case", "");
        int rounds = int.Parse(Option(args, "--rounds", "15"));
        int[] threads = Option(args, "--threads", "1,2").Split(',').Select(int.Parse).ToArray();
        string isaOption = Option(args, "--isa", "");
        Isa[] isas = isaOption.Length == 0 ? KernelBenchmarks.IsaLevels().ToArray()
            : isaOption.Split(',').Select(IsaSupport.Parse).ToArray();
        bool foreign = args.Contains("--foreign");
        var cells = new List<Cell>();
        if (args.Contains("--int8"))
        {
            foreach (var name in Int8KernelBenchmarks.CaseNames.Where(c => c.Contains(filter, StringComparison.Ordinal)))
            {
                foreach (var kernel in Int8KernelBenchmarks.KernelNames)
                {
                    Int8KernelBenchmarks.Create(name, kernel, out Int8Harness? int8, out GemmHarness? fp32);
                    double perCycle = Int8KernelBenchmarks.PeakMacsPerCycle(name, kernel);
                    cells.Add(int8 is not null
                        ? new Cell(name, kernel, 1, int8.Run, int8.Macs, int8.Algorithm, perCycle, int8.Dispose)
                        : new Cell(name, kernel, 1, fp32!.Run, fp32!.Macs, fp32!.Algorithm, 0, fp32!.Dispose));
                }
            }
        }
        else
        {
            foreach (var (name, make) in KernelBenchmarks.Cases.Where(c => c.Key.Contains(filter, StringComparison.Ordinal) && KernelBenchmarks.CaseNames.Contains(c.Key)))
            {
                foreach (int t in threads)
                {
                    foreach (var isa in isas.Where(i => !name.Contains("nchwc", StringComparison.Ordinal) || ConvLayout.LanesFor(i) > 0))
                    {
                        // The share of peak is the level's own: its lanes times the core's FMA units (an AVX2 or Vector128
                        // row on an AVX-512 machine against 8 or 4 lanes, not 16).
                        var h = make(isa, t);
                        // FMA units at the level's width (1 for 512 bits on Zen 4 and 256 bits on Zen 1, whose pipes
                        // take them in halves; 2 on narrower vectors).
                        int units = CpuPeak.Current.FmaUnitsFor(IsaSupport.VectorLanes(isa));
                        double perCycle = (double)units * IsaSupport.VectorLanes(isa);
                        cells.Add(new Cell(name, IsaSupport.Name(isa), t, h.Run, h.Macs, h.Algorithm, perCycle, h.Dispose) { Prepare = foreign ? h.Foreign : null });
                    }
                }
            }
        }

        Console.WriteLine($"Kernel check: {rounds} interleaved rounds; peak per core {CpuPeak.Current}");
        foreach (var c in cells)
        {
            for (int i = 0; i < 3; i++)
            {
                c.Run();
            }
        }

        for (int r = 0; r < rounds; r++)
        {
            foreach (var c in cells)
            {
                // A block of about 20 ms (at least 3 calls): the median of the blocks' mean call times. Each call is timed
                // alone, so that a preparation (--foreign) runs between calls untimed; the timestamps cost tens of
                // nanoseconds a call, the smallest case about 17 µs.
                int calls = 0;
                double total = 0;
                long start = Stopwatch.GetTimestamp();
                do
                {
                    c.Prepare?.Invoke();
                    long t0 = Stopwatch.GetTimestamp();
                    c.Run();
                    total += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                    calls++;
                }
                while (calls < 3 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < 20);
                c.Us.Add(total / calls);
            }
        }

        Console.WriteLine($"{"case",-24} {"isa",-7} {"thr",3} {"algorithm",-24} {"median us",10} {"GMAC/s",8} {"peak %",7}");
        foreach (var c in cells)
        {
            double us = c.Us.Order().ElementAt(c.Us.Count / 2);
            double gmacs = c.Macs / us / 1e3;
            int cores = Math.Min(c.Threads, Environment.ProcessorCount);
            double peak = c.MacsPerCycle > 0 ? CpuPeak.Current.PeakMacsPerSecond(cores, c.MacsPerCycle) : CpuPeak.Current.PeakMacsPerSecond(cores);
            string share = peak > 0 ? $"{100 * gmacs * 1e9 / peak:0.0}%" : "-";
            Console.WriteLine($"{c.Name,-24} {c.Isa,-7} {c.Threads,3} {c.Algorithm,-24} {us,10:0.0} {gmacs,8:0.00} {share,7}");
            c.Dispose();
        }

        return 0;
    }

    // One case × ISA (or integer path) × thread count: how to run it, its work, and the per-cycle MACs of its peak (0: fp32 FMA).
    private sealed record Cell(string Name, string Isa, int Threads, Action Run, long Macs, string Algorithm, double MacsPerCycle, Action Dispose)
    {
        public List<double> Us { get; } = [];

        // Run untimed before each timed call (--foreign), or null.
        public Action? Prepare { get; init; }
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}

using System.Diagnostics;
using LightNet.BenchmarkDotNet;
using LightNet.Engine.Kernels;

namespace LightNet.Benchmarks;

/// <summary>
/// A quick, interleaved look at the <see cref="KernelBenchmarks"/> cases without BenchmarkDotNet: every case × ISA
/// level × thread count is timed in rounds (one short block of calls each, in turn), so a loaded machine slows all of
/// them alike; prints the median time per call, GMAC/s and the share of <see cref="CpuPeak"/>.
/// </summary>
/// <remarks><c>--kernel-check [--case substring] [--rounds N] [--threads 1,2]</c>; defaults: every case, 15 rounds, 1 and 2 threads.</remarks>
internal static class KernelCheck
{
    public static int Run(string[] args)
    {
        string filter = Option(args, "--case", "");
        int rounds = int.Parse(Option(args, "--rounds", "15"));
        int[] threads = Option(args, "--threads", "1,2").Split(',').Select(int.Parse).ToArray();
        var cells = new List<(string Name, Isa Isa, int Threads, GemmHarness Harness, List<double> Us)>();
        foreach (var (name, make) in KernelBenchmarks.Cases.Where(c => c.Key.Contains(filter, StringComparison.Ordinal) && KernelBenchmarks.CaseNames.Contains(c.Key)))
        {
            foreach (int t in threads)
            {
                foreach (var isa in KernelBenchmarks.IsaLevels())
                {
                    cells.Add((name, isa, t, make(isa, t), []));
                }
            }
        }

        Console.WriteLine($"Kernel check: {rounds} interleaved rounds; peak per core {CpuPeak.Current}");
        foreach (var c in cells)
        {
            for (int i = 0; i < 3; i++)
            {
                c.Harness.Run();
            }
        }

        for (int r = 0; r < rounds; r++)
        {
            foreach (var c in cells)
            {
                // A block of about 20 ms (at least 3 calls), timed as one: the median of the blocks' per-call times.
                int calls = 0;
                long start = Stopwatch.GetTimestamp();
                do
                {
                    c.Harness.Run();
                    calls++;
                }
                while (calls < 3 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < 20);
                c.Us.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls);
            }
        }

        Console.WriteLine($"{"case",-24} {"isa",-7} {"thr",3} {"algorithm",-24} {"median us",10} {"GMAC/s",8} {"peak %",7}");
        foreach (var c in cells)
        {
            double us = c.Us.Order().ElementAt(c.Us.Count / 2);
            double gmacs = c.Harness.Macs / us / 1e3;
            double peak = CpuPeak.Current.PeakMacsPerSecond(Math.Min(c.Threads, Environment.ProcessorCount));
            string share = peak > 0 ? $"{100 * gmacs * 1e9 / peak:0.0}%" : "-";
            Console.WriteLine($"{c.Name,-24} {IsaSupport.Name(c.Isa),-7} {c.Threads,3} {c.Harness.Algorithm,-24} {us,10:0.0} {gmacs,8:0.00} {share,7}");
            c.Harness.Dispose();
        }

        return 0;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}

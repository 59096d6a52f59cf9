using System.Diagnostics;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// The end-to-end check behind the profiler's promise that its numbers are ONNX Runtime's own: the median
/// latency <see cref="Profiler.Measure"/> reports on ort-cpu against the median of a timed loop written by hand
/// over a raw ONNX Runtime session (same model bytes, same session options, same inputs, a Stopwatch around
/// <c>InferenceSession.Run</c> with preallocated OrtValues). The two alternate, round after round (A, B, A, B, ...),
/// so that drift of the machine touches both; the verdict is the median of the per-round ratios with its 95%
/// interval, and a paired run-by-run diagnosis follows (see <see cref="PairedRuns"/>).
/// </summary>
/// <remarks>
/// <c>--overhead [--model m[,m2...]] [--rounds N] [--runs R] [--seconds S] [--warmup W]</c> [--pairs P] (defaults squeezenet1_1, 6, 50, 2, 10, 150; --pairs 0 skips the paired diagnosis). Exit code 0 when every
/// model's interval lies within ±2%, 2 otherwise.
/// </remarks>
internal static class OverheadCheck
{
    private const double Tolerance = 0.02;

    public static int Run(string[] args)
    {
        string[] models = Option(args, "--model", "squeezenet1_1").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int rounds = Math.Max(6, int.Parse(Option(args, "--rounds", "6"))); // 6: the fewest for a 95% interval of a median
        int runs = int.Parse(Option(args, "--runs", "50"));
        double seconds = double.Parse(Option(args, "--seconds", "2"));
        int warmup = int.Parse(Option(args, "--warmup", "10"));
        int pairs = int.Parse(Option(args, "--pairs", "150"));

        Console.WriteLine($"Profiler overhead check: Profiler.Measure (A) vs a hand-written ONNX Runtime loop (B), ort-cpu, 1 thread, 224x224");
        Console.WriteLine($"CPU: {CpuName()}, {Environment.ProcessorCount} logical cores; .NET {Environment.Version}; ONNX Runtime {OrtVersion()}");
        Console.WriteLine($"Each side per round: {warmup} warm-up runs (>= 0.5 s), then >= {runs} timed runs and >= {seconds} s; {rounds} rounds each, alternating A, B, after one discarded pair.");

        bool allWithin = true;
        foreach (string name in models)
        {
            allWithin &= CheckModel(name, rounds, runs, seconds, warmup, pairs);
        }

        return allWithin ? 0 : 2;
    }

    private static bool CheckModel(string name, int rounds, int runs, double seconds, int warmup, int pairs)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 224 });
        byte[] bytes = model.ToArray();
        Backend backend = Backend.Parse("ort-cpu");
        Dictionary<string, TensorBuffer> inputs;
        using (var probe = new RawOrtSession(bytes, threads: 1))
        {
            inputs = probe.InputBuffers(); // the very values the hand-written loop feeds
        }

        ProfileOptions options = ProfileOptions.Default with
        {
            Threads = 1,
            WarmupRuns = warmup,
            WarmupSeconds = 0.5,
            Runs = runs,
            MinSeconds = seconds,
            MaxSeconds = Math.Max(60, seconds * 10),
            InputFill = InputFill.Given,
            Inputs = inputs,
            KeepRawSamples = true,
        };

        Console.WriteLine();
        Console.WriteLine($"== {name} ==");

        // A discarded pair: JIT, caches, CPU clocks.
        ProfileOptions brief = options with { WarmupRuns = 3, WarmupSeconds = 0, Runs = 5, MinSeconds = 0 };
        Profiler.Measure(model, backend, brief);
        HandWritten(bytes, brief);

        var medianA = new double[rounds];
        var medianB = new double[rounds];
        var p10A = new double[rounds];
        var p10B = new double[rounds];
        double managedPerRun = 0;
        Console.WriteLine($"{"round",5} {"A median",10} {"B median",10} {"A/B",7} {"A p10",9} {"B p10",9} {"A/B p10",8} {"A runs",7} {"B runs",7} {"A B/run",8} {"B B/run",8}");
        for (int r = 0; r < rounds; r++)
        {
            ProfileReport report = Profiler.Measure(model, backend, options);
            (double[] hand, double handBytes) = HandWritten(bytes, options);
            double[] measured = report.RawSamplesMs!.ToArray();
            medianA[r] = report.LatencyMs.Median;
            medianB[r] = Quantile(hand, 0.5);
            p10A[r] = Quantile(measured, 0.1);
            p10B[r] = Quantile(hand, 0.1);
            managedPerRun = Math.Max(managedPerRun, report.Memory.ManagedBytesPerRun);
            Console.WriteLine($"{r + 1,5} {medianA[r],7:F3} ms {medianB[r],7:F3} ms {medianA[r] / medianB[r],7:F4} {p10A[r],6:F3} ms {p10B[r],6:F3} ms {p10A[r] / p10B[r],8:F4} "
                + $"{measured.Length,7} {hand.Length,7} {report.Memory.ManagedBytesPerRun,8:F1} {handBytes,8:F1}");
        }

        // The verdict: the median of the per-round ratios with its distribution-free 95% interval (order statistics),
        // which one round spoiled by other load on the machine cannot move much. The geometric mean is shown too.
        LatencyStatistics medianRatios = LatencyStatistics.FromSamples(Ratios(medianA, medianB));
        LatencyStatistics p10Ratios = LatencyStatistics.FromSamples(Ratios(p10A, p10B));
        (double geo, double geoLower, double geoUpper) = RatioInterval(medianA, medianB);
        (double p10Geo, double p10GeoLower, double p10GeoUpper) = RatioInterval(p10A, p10B);
        Console.WriteLine($"median of the round medians: A {Quantile(medianA, 0.5):F3} ms, B {Quantile(medianB, 0.5):F3} ms");
        Console.WriteLine($"Measure / hand-written, medians: median round ratio {medianRatios.Median:F4}, 95% CI [{medianRatios.MedianConfidenceInterval.Lower:F4}, {medianRatios.MedianConfidenceInterval.Upper:F4}]; "
            + $"geometric mean {geo:F4} [{geoLower:F4}, {geoUpper:F4}]");
        Console.WriteLine($"Measure / hand-written, p10:     median round ratio {p10Ratios.Median:F4}, 95% CI [{p10Ratios.MedianConfidenceInterval.Lower:F4}, {p10Ratios.MedianConfidenceInterval.Upper:F4}]; "
            + $"geometric mean {p10Geo:F4} [{p10GeoLower:F4}, {p10GeoUpper:F4}]");
        Console.WriteLine("  (median round ratio: interval from order statistics; geometric mean: Student t on the log ratios; p10 is less sensitive to other load)");
        Console.WriteLine($"ManagedBytesPerRun reported by Measure: {managedPerRun:F1} B (largest over the rounds)");
        double ratio = medianRatios.Median;
        (double lower, double upper) = (medianRatios.MedianConfidenceInterval.Lower, medianRatios.MedianConfidenceInterval.Upper);
        bool within = lower >= 1 - Tolerance && upper <= 1 + Tolerance;
        bool pointWithin = Math.Abs(ratio - 1) <= Tolerance;
        Console.WriteLine(within
            ? $"WITHIN 2%: the median ratio's whole interval lies in [{1 - Tolerance:F2}, {1 + Tolerance:F2}]"
            : pointWithin
                ? "INCONCLUSIVE: the median ratio is within 2% but its interval is not; the machine is too noisy, add rounds"
                : $"NOT WITHIN 2%: Measure's median is {(ratio - 1) * 100:+0.0;-0.0}% off the hand-written loop's");
        if (pairs > 0)
        {
            PairedRuns(model, bytes, backend, inputs, pairs);
        }

        return within;
    }

    /// <summary>
    /// The diagnosis when the rounds disagree: both sessions alive in one process, run after run in rotating order,
    /// so that other load on the machine touches each side alike. R: the raw session's Run; P: IPreparedRun.Run;
    /// S: IPreparedRun.Run right after reading the process's RSS, as Measure's loop does between runs (untimed).
    /// </summary>
    private static void PairedRuns(Model model, byte[] bytes, Backend backend, Dictionary<string, TensorBuffer> inputs, int pairs)
    {
        using var raw = new RawOrtSession(bytes, threads: 1);
        using IInferenceSession session = backend.CreateSession(model, new InferenceOptions { Threads = 1 });
        using IPreparedRun prepared = session.Prepare(inputs);
        for (int i = 0; i < 10; i++)
        {
            raw.Run();
            prepared.Run();
        }

        var r = new double[pairs];
        var p = new double[pairs];
        var s = new double[pairs];
        for (int i = 0; i < pairs; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                switch ((i + k) % 3)
                {
                    case 0:
                        r[i] = Time(raw.Run);
                        break;
                    case 1:
                        p[i] = Time(prepared.Run);
                        break;
                    default:
                        _ = Environment.WorkingSet;
                        s[i] = Time(prepared.Run);
                        break;
                }
            }
        }

        Console.WriteLine($"paired runs ({pairs} triples, rotating order): median R {Quantile(r, 0.5):F3} ms, P {Quantile(p, 0.5):F3} ms, S {Quantile(s, 0.5):F3} ms");
        PrintPaired("P/R (prepared run vs hand-written Run)", Ratios(p, r));
        PrintPaired("S/R (prepared run after an RSS sample)", Ratios(s, r));
    }

    internal static void PrintPaired(string label, double[] ratios)
    {
        LatencyStatistics stats = LatencyStatistics.FromSamples(ratios);
        Console.WriteLine($"  {label}: median {stats.Median:F4}, 95% CI [{stats.MedianConfidenceInterval.Lower:F4}, {stats.MedianConfidenceInterval.Upper:F4}]");
    }

    internal static double Time(Action run)
    {
        long t = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    /// <summary>Geometric mean of the per-round ratios with a 95% Student t interval on their logarithms.</summary>
    private static (double Ratio, double Lower, double Upper) RatioInterval(double[] a, double[] b)
    {
        double[] logs = Ratios(a, b).Select(r => Math.Log(r)).ToArray();
        double mean = logs.Average();
        double sd = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (logs.Length - 1));
        double half = LatencyStatistics.StudentTQuantile(0.975, logs.Length - 1) * sd / Math.Sqrt(logs.Length);
        return (Math.Exp(mean), Math.Exp(mean - half), Math.Exp(mean + half));
    }

    internal static double[] Ratios(double[] a, double[] b) => a.Zip(b, (x, y) => x / y).ToArray();

    /// <summary>The hand-written loop: a fresh raw session (as Measure creates one), the same warm-up rule and the same stopping rule.</summary>
    private static (double[] Samples, double BytesPerRun) HandWritten(byte[] modelBytes, ProfileOptions options)
    {
        using var raw = new RawOrtSession(modelBytes, threads: 1); // its constructor makes the first run

        long start = Stopwatch.GetTimestamp();
        int done = 0;
        while (done < options.WarmupRuns || Stopwatch.GetElapsedTime(start).TotalSeconds < options.WarmupSeconds)
        {
            raw.Run();
            done++;
        }

        var samples = new double[Math.Max(options.Runs, 256)];
        int n = 0;
        long allocated = 0;
        long loopStart = Stopwatch.GetTimestamp();
        while (true)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            raw.Run();
            long end = Stopwatch.GetTimestamp();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (n == samples.Length)
            {
                Array.Resize(ref samples, samples.Length * 2);
            }

            samples[n++] = Stopwatch.GetElapsedTime(t, end).TotalMilliseconds;
            double elapsed = Stopwatch.GetElapsedTime(loopStart).TotalSeconds;
            if ((n >= options.Runs && elapsed >= options.MinSeconds) || elapsed >= options.MaxSeconds)
            {
                break;
            }
        }

        return (samples[..n], (double)allocated / n);
    }

    /// <summary>The same percentile definition as the profiler's (linear between closest ranks).</summary>
    internal static double Quantile(double[] values, double p)
    {
        double[] sorted = values.Order().ToArray();
        return LatencyStatistics.Percentile(sorted, p);
    }

    internal static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static string OrtVersion() => Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();

    internal static string CpuName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}

using System.Diagnostics;
using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>How <see cref="Profiler.MeasureLoad"/> loads the model.</summary>
public sealed record LoadOptions
{
    /// <summary>
    /// Requests in flight at once: that many threads, each with its own prepared run on one shared session (sessions run
    /// concurrently by contract). Without <see cref="RateRps"/> each thread sends its next request as soon as the last one
    /// returns (closed loop). Default 1.
    /// </summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// Open loop, like MLPerf's Server scenario: requests arrive at this many per second on a fixed schedule whatever the
    /// answers, served by <see cref="Concurrency"/> threads; latency counts from the scheduled arrival, so queueing shows.
    /// Null for the closed loop.
    /// </summary>
    public double? RateRps { get; init; }

    /// <summary>Seconds of each load step. Default 2.</summary>
    public double SecondsPerStep { get; init; } = 2;

    /// <summary>
    /// Also measure lighter loads first (concurrency 1, 2, … up to <see cref="Concurrency"/>, or 25, 50, 75% of
    /// <see cref="RateRps"/>) to find the knee where latency climbs. Default true.
    /// </summary>
    public bool Sweep { get; init; } = true;

    internal IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Concurrency is < 1 or > 256) problems.Add($"concurrency must be between 1 and 256, not {Concurrency}");
        if (RateRps is double r && (!(r > 0) || !double.IsFinite(r) || r > 1e6)) problems.Add($"rate must be a positive number of requests per second up to 1e6, not {r}");
        if (!(SecondsPerStep > 0) || !double.IsFinite(SecondsPerStep) || SecondsPerStep > 3600) problems.Add($"seconds per step must be more than 0 and at most 3600, not {SecondsPerStep}");
        return problems;
    }
}

/// <summary>Throughput and latency under a given load, with the lighter loads measured on the way.</summary>
public sealed record LoadSummary
{
    /// <summary>"closed" (a new request as soon as one returns) or "open" (requests on a fixed schedule).</summary>
    public string Mode { get; init; } = "closed";

    /// <summary>Requests in flight at most (threads).</summary>
    public int Concurrency { get; init; }

    /// <summary>Scheduled arrivals per second in the open loop; null in the closed loop.</summary>
    public double? RateRps { get; init; }

    /// <summary>Requests completed per second at the requested load.</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>Latency of a request at the requested load (from its scheduled arrival in the open loop).</summary>
    public required LatencySummary LatencyMs { get; init; }

    /// <summary>Every load measured, lightest first; the last is the requested one.</summary>
    public IReadOnlyList<LoadStep> Steps { get; init; } = [];

    /// <summary>
    /// The knee: the heaviest step before latency climbs without a matching gain — in the closed loop, the last step before
    /// throughput stopped rising by 10% per added request; in the open loop, the last rate whose p90 stayed within twice the
    /// lightest rate's. Null when the sweep did not reach it (or had one step).
    /// </summary>
    public LoadStep? Knee { get; init; }

    /// <summary>Problems with the measurement (an open loop that could not keep up with its schedule).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>One load level.</summary>
/// <param name="Concurrency">Requests in flight at most.</param>
/// <param name="RateRps">Scheduled arrivals per second; null in the closed loop.</param>
/// <param name="ThroughputPerSecond">Requests completed per second.</param>
/// <param name="LatencyMs">Latency of a request.</param>
public sealed record LoadStep(int Concurrency, double? RateRps, double ThroughputPerSecond, LatencySummary LatencyMs);

/// <summary>The load measurement behind <see cref="Profiler.MeasureLoad"/>.</summary>
internal static class LoadTest
{
    /// <summary>A step's throughput must beat the previous one's by this factor to count as a gain.</summary>
    internal const double ThroughputGain = 1.10;

    /// <summary>In the open loop, a p90 above this multiple of the lightest rate's marks latency climbing.</summary>
    internal const double LatencyClimb = 2.0;

    public static LoadSummary Measure(Model model, Backend backend, LoadOptions load, ProfileOptions? options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (load.Validate() is { Count: > 0 } problems)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid load options: " + string.Join("; ", problems) + ".");
        }

        var warnings = new List<string>();
        MeasurementSetup setup = MeasurementSetup.Create(model, backend, options, warnings);
        using IInferenceSession session = backend.CreateSession(model, setup.SessionOptions);
        var runs = new IPreparedRun[load.Concurrency];
        try
        {
            for (int i = 0; i < runs.Length; i++)
            {
                runs[i] = session.Prepare(setup.Inputs);
                runs[i].Run();
            }

            // One steady-state warm-up on the first prepared run (the session's code paths are shared).
            var sampler = new MeasurementSampler(setup.Options, progress, ct);
            if (Profiler.WarmupWarning(sampler.WarmUp(runs[0].Run, backend), setup.Options) is string unsteady)
            {
                warnings.Add(unsteady);
            }

            var steps = new List<LoadStep>();
            foreach ((int concurrency, double? rate) in Levels(load))
            {
                ct.ThrowIfCancellationRequested();
                steps.Add(Step(runs, concurrency, rate, load.SecondsPerStep, warnings, progress, ct));
            }

            LoadStep last = steps[^1];
            return new LoadSummary
            {
                Mode = load.RateRps is null ? "closed" : "open",
                Concurrency = load.Concurrency,
                RateRps = load.RateRps,
                ThroughputPerSecond = last.ThroughputPerSecond,
                LatencyMs = last.LatencyMs,
                Steps = steps,
                Knee = Knee(steps, open: load.RateRps is not null),
                Warnings = warnings,
            };
        }
        finally
        {
            foreach (IPreparedRun? run in runs)
            {
                run?.Dispose();
            }
        }
    }

    /// <summary>The loads to measure, lightest first, ending with the one asked for.</summary>
    internal static IEnumerable<(int Concurrency, double? Rate)> Levels(LoadOptions load)
    {
        if (load.RateRps is double rate)
        {
            double[] fractions = load.Sweep ? [0.25, 0.5, 0.75, 1.0] : [1.0];
            return fractions.Select(f => (load.Concurrency, (double?)(rate * f)));
        }

        if (!load.Sweep)
        {
            return [(load.Concurrency, null)];
        }

        // 1, 2, … up to 8, then doubling, always ending at the concurrency asked for.
        var levels = new SortedSet<int>();
        for (int c = 1; c <= load.Concurrency; c = c < 8 ? c + 1 : c * 2)
        {
            levels.Add(c);
        }

        levels.Add(load.Concurrency);
        return levels.Select(c => (c, (double?)null));
    }

    /// <summary>The knee of a sweep (see <see cref="LoadSummary.Knee"/>).</summary>
    internal static LoadStep? Knee(IReadOnlyList<LoadStep> steps, bool open)
    {
        for (int i = 1; i < steps.Count; i++)
        {
            bool climbed = open
                ? steps[i].LatencyMs.P90 > LatencyClimb * steps[0].LatencyMs.P90
                : steps[i].ThroughputPerSecond < ThroughputGain * steps[i - 1].ThroughputPerSecond;
            if (climbed)
            {
                return steps[i - 1];
            }
        }

        return null;
    }

    private static LoadStep Step(IPreparedRun[] runs, int concurrency, double? rate, double seconds, List<string> warnings,
        IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        var latencies = new List<double>[concurrency];
        long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100; // every thread starts together, 10 ms from now
        long end = start + (long)(seconds * Stopwatch.Frequency);
        long next = -1;
        long lastDone = start;
        double ticksPerRequest = rate is double r ? Stopwatch.Frequency / r : 0;
        Exception? failure = null;
        var threads = new Thread[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            int worker = w;
            latencies[worker] = new List<double>(1024);
            threads[worker] = new Thread(() =>
            {
                try
                {
                    IPreparedRun run = runs[worker];
                    WaitUntil(start, ct);
                    while (!ct.IsCancellationRequested)
                    {
                        long arrival;
                        if (rate is null)
                        {
                            arrival = Stopwatch.GetTimestamp();
                            if (arrival >= end)
                            {
                                break;
                            }
                        }
                        else
                        {
                            arrival = start + (long)(Interlocked.Increment(ref next) * ticksPerRequest);
                            if (arrival >= end)
                            {
                                break;
                            }

                            WaitUntil(arrival, ct);
                        }

                        run.Run();
                        long done = Stopwatch.GetTimestamp();
                        latencies[worker].Add(Stopwatch.GetElapsedTime(arrival, done).TotalMilliseconds);
                        InterlockedMax(ref lastDone, done);
                    }
                }
                catch (Exception e)
                {
                    // catch-all: kept and rethrown on the calling thread once the load test's workers have stopped.
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            { IsBackground = true, Name = $"lightnet-load-{worker}" };
            threads[worker].Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        ct.ThrowIfCancellationRequested();
        if (failure is not null)
        {
            throw failure is LightNetException ? failure : new LightNetException(ErrorCode.InferenceFailed, $"A request under load failed: {failure.Message}", failure);
        }

        double[] all = latencies.SelectMany(l => l).ToArray();
        if (all.Length == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"No request completed in the {seconds} s load step; give it more time.");
        }

        double elapsed = Stopwatch.GetElapsedTime(start, Math.Max(lastDone, end)).TotalSeconds;
        double throughput = all.Length / elapsed;
        if (rate is double scheduled && throughput < 0.9 * scheduled)
        {
            warnings.Add($"At {scheduled:0.#} requests/s the {concurrency} thread{(concurrency == 1 ? "" : "s")} completed only {throughput:0.#}/s: "
                + "the requests queued and the latency includes the wait (past the knee).");
        }

        progress?.Report(new ProfileProgress(ProfilePhase.Measuring, all.Length, all.Length, TimeSpan.FromSeconds(elapsed)));
        return new LoadStep(concurrency, rate, throughput, LatencySummary.From(LatencyStatistics.FromSamples(all)));
    }

    private static void WaitUntil(long timestamp, CancellationToken ct)
    {
        while (true)
        {
            long left = timestamp - Stopwatch.GetTimestamp();
            if (left <= 0 || ct.IsCancellationRequested)
            {
                return;
            }

            double ms = left * 1000.0 / Stopwatch.Frequency;
            if (ms > 2)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(ms - 1.5));
            }
            else
            {
                Thread.SpinWait(50);
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current = Volatile.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

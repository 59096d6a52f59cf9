using System.Diagnostics;
using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>How a measurement's warm-up ended.</summary>
public sealed record WarmupSummary
{
    /// <summary>Untimed runs done before the timed loop (the first run, reported as first-run time, not counted).</summary>
    public int Runs { get; init; }

    /// <summary>Seconds the warm-up took.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Whether the runs had stopped improving when the warm-up ended (<see cref="ProfileOptions.SteadyStateWarmup"/>'s rule).
    /// False when the warm-up gave up at <see cref="ProfileOptions.WarmupMaxSeconds"/> or <see cref="ProfileOptions.WarmupMaxRuns"/>,
    /// or was a fixed count too short to tell: the timed runs may then include the end of the warm-up.
    /// </summary>
    public bool Steady { get; init; }

    /// <summary>The median of the last window of warm-up runs, in milliseconds (0 without warm-up runs).</summary>
    public double LastWindowMedianMs { get; init; }

    /// <summary>The runs the warm-up had to pass before it could be judged steady: 60 for a managed engine (its JIT tier-up), else 0.</summary>
    public int MinimumRuns { get; init; }
}

/// <summary>
/// The one measurement core every timing loop of the profiler uses (<see cref="Profiler.Measure"/>, the pipeline, the
/// comparison, sustained runs): the steady-state warm-up, one timed run with its allocation count, the timed loop with
/// its run/time limits, cooldown, cancellation and progress. Per-stage timestamps are the caller's: the loop hands every
/// finished sample to a callback, outside the timed region.
/// </summary>
internal sealed class MeasurementSampler(ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct)
{
    /// <summary>Each steady-state window lasts at least this long, so that a window spans the JIT's call-counting delay (100 ms).</summary>
    internal const double WindowSeconds = 0.1;

    /// <summary>Each steady-state window holds at least this many runs.</summary>
    internal const int MinimumWindowRuns = 5;

    /// <summary>And at most this many.</summary>
    internal const int MaximumWindowRuns = 500;

    /// <summary>The newest runs whose median is the typical run time that sizes the steady-state window.</summary>
    internal const int TypicalRunSample = 3 * MinimumWindowRuns;

    /// <summary>
    /// Calls after which .NET's tiered compilation has promoted a method twice (tier 0 → instrumented tier 0 → tier 1, 30 calls
    /// each by default, then a background compile): a managed backend's per-run code is only optimised after this many runs, so
    /// its warm-up is not judged steady before them.
    /// </summary>
    internal const int TieredCompilationRuns = 60;

    /// <summary>The runs a warm-up of <paramref name="backend"/> must pass before it can be steady: <see cref="TieredCompilationRuns"/> for a managed engine, else 0.</summary>
    internal static int MinimumSteadyRuns(Backend? backend) => backend?.Kind == BackendKind.Managed ? TieredCompilationRuns : 0;

    /// <summary>The options the sampler follows.</summary>
    public ProfileOptions Options => options;

    /// <summary>
    /// Warms <paramref name="run"/> up: at least <see cref="ProfileOptions.WarmupRuns"/> runs and <see cref="ProfileOptions.WarmupSeconds"/>,
    /// then, with <see cref="ProfileOptions.SteadyStateWarmup"/>, until <see cref="IsSteady"/> holds (after the last window has
    /// begun past <paramref name="backend"/>'s <see cref="MinimumSteadyRuns"/>) or the bounds are reached.
    /// </summary>
    /// <param name="run">One inference.</param>
    /// <param name="backend">The backend that runs it (a managed engine needs its JIT tier-up before it can be steady); may be null.</param>
    public WarmupSummary WarmUp(Action run, Backend? backend = null)
    {
        int jitRuns = MinimumSteadyRuns(backend);
        long start = Stopwatch.GetTimestamp();
        var times = new List<double>(64);
        double cap = options.SteadyStateWarmup
            ? Math.Max(options.WarmupMaxSeconds, options.WarmupSeconds)
            : Math.Max(options.MaxSeconds, options.WarmupSeconds);
        int planned = Math.Max(options.WarmupRuns, 1);
        bool steady = false;
        while (true)
        {
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            bool minimumDone = times.Count >= options.WarmupRuns && elapsed >= options.WarmupSeconds;
            if (minimumDone)
            {
                steady = times.Count >= jitRuns + WindowRuns(times) && IsSteady(times, options.SteadyStateTolerance);
                if (steady || !options.SteadyStateWarmup)
                {
                    break;
                }
            }

            if (times.Count > 0 && (elapsed >= cap || times.Count >= (options.SteadyStateWarmup ? options.WarmupMaxRuns : int.MaxValue)))
            {
                break;
            }

            ct.ThrowIfCancellationRequested();
            times.Add(TimeOne(run).Ms);
            progress?.Report(new ProfileProgress(ProfilePhase.WarmingUp, times.Count, planned, Stopwatch.GetElapsedTime(start)));
        }

        int window = WindowRuns(times);
        return new WarmupSummary
        {
            Runs = times.Count,
            Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
            Steady = steady,
            MinimumRuns = jitRuns,
            LastWindowMedianMs = times.Count == 0 ? 0 : Median(times, times.Count - Math.Min(window, times.Count), times.Count),
        };
    }

    /// <summary>Times one run: wall milliseconds, and managed bytes the measuring thread allocated in it.</summary>
    public static (double Ms, long Allocated) TimeOne(Action run)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        long t = Stopwatch.GetTimestamp();
        run();
        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (Stopwatch.GetElapsedTime(t, end).TotalMilliseconds, allocated);
    }

    /// <summary>
    /// The timed loop: at least <see cref="ProfileOptions.Runs"/> runs and <see cref="ProfileOptions.MinSeconds"/>, at most
    /// <see cref="ProfileOptions.MaxSeconds"/>, with <see cref="ProfileOptions.Cooldown"/> after each run.
    /// </summary>
    /// <param name="run">One inference (or one pass of a pipeline).</param>
    /// <param name="afterSample">Called after each timed run, outside the timed region, with the run's index and the seconds since the loop
    /// began; may be null.</param>
    public LoopResult Loop(Action run, Action<int, double>? afterSample = null)
    {
        // As BenchmarkDotNet does before its timed iterations: collect what the caller left behind (a study builds models and
        // their variants in this process), so that a background collection of it does not land inside the timed runs.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var samples = new double[Math.Max(options.Runs, 256)];
        var starts = new double[samples.Length];
        var steal = StealMeter.Start();
        int n = 0;
        long allocated = 0;
        long loopStart = Stopwatch.GetTimestamp();
        double elapsed = 0;
        bool cut = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            double startSeconds = Stopwatch.GetElapsedTime(loopStart).TotalSeconds;
            (double ms, long bytes) = TimeOne(run);

            // Everything below is outside the timed region.
            allocated += bytes;
            if (n == samples.Length)
            {
                Array.Resize(ref samples, samples.Length * 2);
                Array.Resize(ref starts, samples.Length);
            }

            starts[n] = startSeconds;
            samples[n++] = ms;
            elapsed = Stopwatch.GetElapsedTime(loopStart).TotalSeconds;
            afterSample?.Invoke(n - 1, elapsed);
            progress?.Report(new ProfileProgress(ProfilePhase.Measuring, n, options.Runs, TimeSpan.FromSeconds(elapsed)));
            if (IsDone(n, elapsed, out cut))
            {
                break;
            }

            Cooldown();
        }

        return new LoopResult(samples[..n], starts[..n], (double)allocated / n, elapsed, cut, steal.Share());
    }

    /// <summary>
    /// Whether a loop with <paramref name="runs"/> timed runs after <paramref name="elapsedSeconds"/> is done: enough runs and
    /// time, or the time limit (<paramref name="cutByMaxTime"/> when that left it short of the runs asked for).
    /// </summary>
    public bool IsDone(int runs, double elapsedSeconds, out bool cutByMaxTime)
    {
        cutByMaxTime = false;
        if (runs >= options.Runs && elapsedSeconds >= options.MinSeconds)
        {
            return true;
        }

        if (elapsedSeconds >= options.MaxSeconds)
        {
            cutByMaxTime = runs < options.Runs;
            return true;
        }

        return false;
    }

    /// <summary>Waits <see cref="ProfileOptions.Cooldown"/> (returns at once without one, or on cancellation).</summary>
    public void Cooldown()
    {
        if (options.Cooldown > TimeSpan.Zero)
        {
            ct.WaitHandle.WaitOne(options.Cooldown);
        }
    }

    /// <summary>Reports progress of a loop driven by the caller (the comparison's interleaved rounds).</summary>
    public void Report(ProfilePhase phase, int done, int planned, TimeSpan elapsed) => progress?.Report(new ProfileProgress(phase, done, planned, elapsed));

    /// <summary>Throws when the measurement was cancelled.</summary>
    public void ThrowIfCancelled() => ct.ThrowIfCancellationRequested();

    /// <summary>
    /// The steady-state rule: with a window of <see cref="WindowRuns"/> runs, the last three windows' medians (A, B, C, oldest
    /// first) may not improve by more than <paramref name="tolerance"/>: B ≥ A·(1 − tolerance) and C ≥ B·(1 − tolerance).
    /// A slow-down counts as steady (the warm-up is over; the timed loop reports the drift). False with fewer than three windows.
    /// </summary>
    /// <param name="times">Run times in milliseconds, oldest first.</param>
    /// <param name="tolerance">The largest relative improvement still counted as steady.</param>
    internal static bool IsSteady(IReadOnlyList<double> times, double tolerance)
    {
        int w = WindowRuns(times);
        int n = times.Count;
        if (n < 3 * w)
        {
            return false;
        }

        double a = Median(times, n - 3 * w, n - 2 * w);
        double b = Median(times, n - 2 * w, n - w);
        double c = Median(times, n - w, n);
        return b >= a * (1 - tolerance) && c >= b * (1 - tolerance);
    }

    /// <summary>
    /// The window of the steady-state rule: as many runs as <see cref="WindowSeconds"/> holds at the typical run time (the
    /// median of the newest <see cref="TypicalRunSample"/> runs), at least <see cref="MinimumWindowRuns"/> and at most
    /// <see cref="MaximumWindowRuns"/>. (Summing the newest runs back to <see cref="WindowSeconds"/> let one run stalled by the
    /// machine, or a few, shrink the windows to their minimum, whose medians then judged a still-improving warm-up steady.)
    /// </summary>
    internal static int WindowRuns(IReadOnlyList<double> times)
    {
        int sample = Math.Min(times.Count, TypicalRunSample);
        if (sample == 0)
        {
            return MinimumWindowRuns;
        }

        double typicalMs = Median(times, times.Count - sample, times.Count);
        double runs = typicalMs > 0 ? Math.Ceiling(WindowSeconds * 1000 / typicalMs) : MaximumWindowRuns;
        return (int)Math.Clamp(runs, MinimumWindowRuns, MaximumWindowRuns);
    }

    private static double Median(IReadOnlyList<double> times, int from, int to)
    {
        var slice = new double[to - from];
        for (int i = from; i < to; i++)
        {
            slice[i - from] = times[i];
        }

        Array.Sort(slice);
        return LatencyStatistics.Percentile(slice, 0.5);
    }
}

/// <summary>What a timed loop measured.</summary>
/// <param name="Samples">Milliseconds of each timed run, in order.</param>
/// <param name="StartSeconds">When each run began, in seconds since the loop began.</param>
/// <param name="AllocatedPerRun">Managed bytes the measuring thread allocated per run.</param>
/// <param name="Seconds">The loop's length in seconds.</param>
/// <param name="CutByMaxTime">Whether the time limit stopped it short of the runs asked for.</param>
/// <param name="CpuSteal">The share of the machine's CPU time the hypervisor took during the loop (<see cref="StealMeter"/>); null where unreadable.</param>
internal sealed record LoopResult(double[] Samples, double[] StartSeconds, double AllocatedPerRun, double Seconds, bool CutByMaxTime, double? CpuSteal = null);

/// <summary>
/// The steps every model measurement takes before its session exists, in one place: null model/backend checks, the options'
/// validation, the availability check, the inputs and the session options (<see cref="ProfileOptions.ToInferenceOptions"/>
/// with the symbolic dimensions the inputs fix).
/// </summary>
internal sealed record MeasurementSetup(ProfileOptions Options, Dictionary<string, TensorBuffer> Inputs, Analysis.ModelInfo? Info, InferenceOptions SessionOptions)
{
    /// <summary>Checks everything and builds the inputs; warnings (analysis failures, an overridden thread count) go to <paramref name="warnings"/>.</summary>
    public static MeasurementSetup Create(Model model, Backend backend, ProfileOptions? options, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        options ??= ProfileOptions.Default;
        options.ThrowIfInvalid();
        Profiler.RequireAvailable(backend);
        if (Profiler.ThreadsOverrideWarning(backend, options.Threads) is string overridden)
        {
            warnings.Add(overridden);
        }

        Dictionary<string, TensorBuffer> inputs = MeasurementInputs.Create(model, options, out Analysis.ModelInfo? info, warnings);
        return new MeasurementSetup(options, inputs, info, MeasurementInputs.SessionOptions(model, options, inputs));
    }
}

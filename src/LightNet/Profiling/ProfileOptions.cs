using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>What the profiler feeds the model.</summary>
public enum InputFill
{
    /// <summary>Seeded random values in the range the model family expects (normalised images: about [-2, 2.7]).</summary>
    Random,

    /// <summary>All zeros.</summary>
    Zeros,

    /// <summary>The tensors given in <see cref="ProfileOptions.Inputs"/>.</summary>
    Given,
}

/// <summary>
/// How <see cref="Profiler.Measure"/> measures: warm-up, how many runs and for how long (TFLite benchmark_model's
/// num_runs / min_secs / max_secs), threads, batch, inputs, and the optional extra passes. Immutable: change a
/// preset with <c>with</c>.
/// </summary>
/// <remarks>
/// Runs: the timed loop runs at least <see cref="Runs"/> times and at least <see cref="MinSeconds"/> seconds,
/// and stops as soon as both hold or <see cref="MaxSeconds"/> has passed (whichever comes first), as
/// benchmark_model does.
/// </remarks>
public sealed record ProfileOptions
{
    /// <summary>A quick look: 3 warm-up runs, at least 10 runs or 0.5 s, at most 5 s.</summary>
    public static ProfileOptions Quick { get; } = new() { WarmupRuns = 3, WarmupSeconds = 0, WarmupMaxSeconds = 3, Runs = 10, MinSeconds = 0.5, MaxSeconds = 5, PerOperatorSeconds = 0.25 };

    /// <summary>The default: 10 warm-up runs or 1 s, at least 50 runs or 2 s, at most 30 s.</summary>
    public static ProfileOptions Default { get; } = new();

    /// <summary>For numbers to publish: 50 warm-up runs or 5 s, at least 300 runs or 20 s, at most 120 s, with raw samples kept.</summary>
    public static ProfileOptions Thorough { get; } = new() { WarmupRuns = 50, WarmupSeconds = 5, Runs = 300, MinSeconds = 20, MaxSeconds = 120, KeepRawSamples = true };

    /// <summary>Warm-up runs before timing, at least (with <see cref="SteadyStateWarmup"/>, the warm-up goes on until the runs stop improving).</summary>
    public int WarmupRuns { get; init; } = 10;

    /// <summary>Keep warming up until this many seconds have passed too.</summary>
    public double WarmupSeconds { get; init; } = 1;

    /// <summary>
    /// End the warm-up only when the recent runs stop improving (after <see cref="WarmupRuns"/> and <see cref="WarmupSeconds"/>):
    /// the medians of the last three windows of runs (each at least 5 runs and 0.1 s at the typical run time) may not fall by more than
    /// <see cref="SteadyStateTolerance"/> from one window to the next — a convergence rule like BenchmarkDotNet's automatic
    /// warm-up, bounded by <see cref="WarmupMaxSeconds"/> and <see cref="WarmupMaxRuns"/>. Default true; false keeps the fixed
    /// count and time.
    /// </summary>
    public bool SteadyStateWarmup { get; init; } = true;

    /// <summary>The largest fall of a window's median below the previous window's that still counts as steady (0.03: 3%).</summary>
    public double SteadyStateTolerance { get; init; } = 0.03;

    /// <summary>The steady-state warm-up gives up (and the report says it was not steady) after this many seconds. Default 10 s.</summary>
    public double WarmupMaxSeconds { get; init; } = 10;

    /// <summary>The steady-state warm-up gives up after this many runs. Default 10 000.</summary>
    public int WarmupMaxRuns { get; init; } = 10_000;

    /// <summary>Timed runs, at least (benchmark_model's num_runs).</summary>
    public int Runs { get; init; } = 50;

    /// <summary>Time the loop for at least this many seconds (min_secs).</summary>
    public double MinSeconds { get; init; } = 2;

    /// <summary>Stop the loop after this many seconds even if <see cref="Runs"/> is not reached (max_secs).</summary>
    public double MaxSeconds { get; init; } = 30;

    /// <summary>Threads per inference; null lets the backend choose.</summary>
    public int? Threads { get; init; }

    /// <summary>Batch size for inputs whose first dimension is symbolic (fixed first dimensions are kept).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Full shapes for inputs with dynamic dimensions, by input name.</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>What to feed.</summary>
    public InputFill InputFill { get; init; } = InputFill.Random;

    /// <summary>Seed of the random inputs.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>The inputs to feed when <see cref="InputFill"/> is <see cref="InputFill.Given"/>.</summary>
    public IReadOnlyDictionary<string, TensorBuffer>? Inputs { get; init; }

    /// <summary>Pause between timed runs (lets a phone or a small board cool down); zero by default.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// In a comparison (<see cref="Profiler.Compare"/>), untimed runs of a backend right after switching to it from
    /// another, until this much time has passed (at least one run); it is then timed for a block of twice this time (at
    /// least one run) before the next backend's turn. Thread pools spin for a while after a run — ONNX Runtime's
    /// intra-op threads for tens of milliseconds — and on a machine with few cores the spinning threads of the backend
    /// that ran last take cores from the one timed next, so back-to-back alternation measures the neighbour, not the
    /// backend. Zero restores strict alternation (one timed run per backend per round). The per-operator pass of a
    /// comparison takes turns in the same blocks, after an idle wait of this time instead of untimed runs. Default 50 ms.
    /// </summary>
    public TimeSpan SwitchSettle { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Run a separate, untimed pass with per-operator profiling and report per-node times.</summary>
    public bool PerOperatorProfile { get; init; }

    /// <summary>Runs in the per-operator pass, at least (the first is a warm-up the profile leaves out).</summary>
    public int PerOperatorRuns { get; init; } = 10;

    /// <summary>
    /// Keep the per-operator pass running until this many seconds have passed too, so that a fast model's shares rest on
    /// many runs; the pass stops at the larger of this and <see cref="MaxSeconds"/> whatever the run count. Default 0.5 s.
    /// </summary>
    public double PerOperatorSeconds { get; init; } = 0.5;

    /// <summary>Sample the process's resident memory (before load, after load, peak during runs).</summary>
    public bool SampleMemory { get; init; } = true;

    /// <summary>Keep every timed sample in the report.</summary>
    public bool KeepRawSamples { get; init; }

    /// <summary>Drift (median of the last quarter over the first) above which the report warns of a slow-down (possible throttling); below its inverse it warns of a speed-up (unfinished warm-up or noise).</summary>
    public double DriftThreshold { get; init; } = LatencyStatistics.DefaultDriftThreshold;

    /// <summary>
    /// Where the measured session runs: in this process (the default) or in a LightNet worker process
    /// (<see cref="Isolation.IsolationMode.Process"/>; CLI <c>--isolate</c>), where a native crash, hang or memory blow-up
    /// fails the measurement with <see cref="ErrorCode.BackendCrashed"/>, <see cref="ErrorCode.Timeout"/> or
    /// <see cref="ErrorCode.ResourceLimit"/>. Times then include the round trip to the worker (see docs/reliability.md).
    /// </summary>
    public Isolation.IsolationMode Isolation { get; init; }

    /// <summary>How an isolated session's worker is started and watched; null for the defaults.</summary>
    public Isolation.IsolationSettings? IsolationSettings { get; init; }

    /// <summary>Where measurements log each phase (and the sessions they create, through <see cref="ToInferenceOptions"/>); null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The session options a measurement with these options creates every backend session with: <see cref="Threads"/>,
    /// and the values of the model's symbolic dimensions that the measured input shapes fix (<see cref="InputShapes"/>,
    /// <see cref="BatchSize"/>), so that a backend which compiles for static shapes (cpu-simd, cudnn) can specialise at load
    /// time as ONNX Runtime does.
    /// </summary>
    /// <param name="dimensionValues">dim_param name → value, as read off the resolved input shapes; null or empty for none.</param>
    /// <param name="perOperatorProfiling">Whether the session records per-operator times.</param>
    /// <returns>New session options (with this <see cref="LoggerFactory"/>); the graph optimisation level is the default.</returns>
    public InferenceOptions ToInferenceOptions(IReadOnlyDictionary<string, long>? dimensionValues = null, bool perOperatorProfiling = false) => new()
    {
        Threads = Threads,
        DimensionValues = dimensionValues is { Count: > 0 } ? new Dictionary<string, long>(dimensionValues, StringComparer.Ordinal) : null,
        PerOperatorProfiling = perOperatorProfiling,
        Isolation = Isolation,
        IsolationSettings = IsolationSettings,
        LoggerFactory = LoggerFactory,
    };

    /// <summary>Every problem with these options at once (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (WarmupRuns < 0) problems.Add($"warm-up runs must be 0 or more, not {WarmupRuns}");
        if (WarmupSeconds < 0 || !double.IsFinite(WarmupSeconds)) problems.Add($"warm-up seconds must be 0 or more, not {WarmupSeconds}");
        if (WarmupMaxSeconds <= 0 || !double.IsFinite(WarmupMaxSeconds)) problems.Add($"warm-up maximum seconds must be positive, not {WarmupMaxSeconds}");
        if (WarmupMaxRuns < 1) problems.Add($"warm-up maximum runs must be at least 1, not {WarmupMaxRuns}");
        if (SteadyStateTolerance is < 0 or >= 1 || double.IsNaN(SteadyStateTolerance)) problems.Add($"steady-state tolerance must be in [0, 1), not {SteadyStateTolerance}");
        if (Runs <= 0) problems.Add($"runs must be at least 1, not {Runs}");
        if (MinSeconds < 0 || !double.IsFinite(MinSeconds)) problems.Add($"minimum seconds must be 0 or more, not {MinSeconds}");
        if (MaxSeconds <= 0 || !double.IsFinite(MaxSeconds)) problems.Add($"maximum seconds must be positive, not {MaxSeconds}");
        if (MaxSeconds < MinSeconds) problems.Add($"maximum seconds ({MaxSeconds}) is below minimum seconds ({MinSeconds})");
        if (InferenceOptions.ThreadsProblem(Threads) is string threads) problems.Add(threads);
        if (BatchSize < 1) problems.Add($"batch size must be at least 1, not {BatchSize}");
        if (Cooldown < TimeSpan.Zero) problems.Add("cooldown must not be negative");
        if (SwitchSettle < TimeSpan.Zero || SwitchSettle > TimeSpan.FromSeconds(10)) problems.Add("switch settle must be between 0 and 10 s");
        if (PerOperatorRuns < 1) problems.Add($"per-operator runs must be at least 1, not {PerOperatorRuns}");
        if (PerOperatorSeconds < 0 || !double.IsFinite(PerOperatorSeconds)) problems.Add($"per-operator seconds must be 0 or more, not {PerOperatorSeconds}");
        if (InputFill == InputFill.Given && (Inputs is null || Inputs.Count == 0)) problems.Add("input fill 'Given' needs Inputs");
        if (DriftThreshold <= 1) problems.Add($"drift threshold must be above 1, not {DriftThreshold}");
        return problems;
    }

    internal void ThrowIfInvalid()
    {
        IReadOnlyList<string> problems = Validate();
        if (problems.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid profile options: " + string.Join("; ", problems) + ".");
        }
    }
}

/// <summary>The phase a measurement is in.</summary>
public enum ProfilePhase
{
    /// <summary>Creating the session.</summary>
    Loading,

    /// <summary>Untimed warm-up runs.</summary>
    WarmingUp,

    /// <summary>The timed loop.</summary>
    Measuring,

    /// <summary>The separate per-operator pass.</summary>
    ProfilingOperators,

    /// <summary>Done.</summary>
    Completed,
}

/// <summary>Progress of a measurement, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Phase">The phase.</param>
/// <param name="RunsDone">Runs finished in this phase.</param>
/// <param name="RunsPlanned">Runs planned in this phase (a minimum when time decides).</param>
/// <param name="Elapsed">Time spent in this phase.</param>
public readonly record struct ProfileProgress(ProfilePhase Phase, int RunsDone, int RunsPlanned, TimeSpan Elapsed);

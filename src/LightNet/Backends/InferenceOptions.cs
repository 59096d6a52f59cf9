namespace LightNet.Backends;

/// <summary>How much a backend may rewrite the graph before running it.</summary>
public enum GraphOptimization
{
    /// <summary>No rewriting.</summary>
    None,

    /// <summary>Semantics-preserving rewrites: constant folding, redundant node removal.</summary>
    Basic,

    /// <summary>Basic plus node fusions (Conv+BN, Conv+activation, ...).</summary>
    Extended,

    /// <summary>Everything, including layout changes (the default).</summary>
    All,
}

/// <summary>Options for creating a session, common to all backends (each maps them to its own settings).</summary>
public sealed record InferenceOptions
{
    /// <summary>The defaults: the backend's thread count, all graph optimisations, no per-operator profiling.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>Threads for one inference (intra-op); null lets the backend choose (usually the physical cores).</summary>
    public int? Threads { get; init; }

    /// <summary>Graph optimisation level.</summary>
    public GraphOptimization GraphOptimization { get; init; } = GraphOptimization.All;

    /// <summary>Record per-operator times, read back with <see cref="IInferenceSession.CollectOperatorProfile"/>. Slows runs down.</summary>
    public bool PerOperatorProfiling { get; init; }

    /// <summary>
    /// Values of symbolic input dimensions (dim_param name → value) that the backend may specialise for at load time.
    /// ONNX Runtime fixes them as free-dimension overrides. cpu-simd compiles its plan for them at creation when they fix
    /// every input dimension (so load-time errors surface there); without them it compiles at the first run with each new
    /// set of input shapes, and in both cases a later run at other shapes compiles another plan (up to 8 are kept).
    /// The profiler fills this from the input shapes it measures with (<see cref="Profiling.ProfileOptions.ToInferenceOptions"/>).
    /// </summary>
    public IReadOnlyDictionary<string, long>? DimensionValues { get; init; }

    /// <summary>
    /// The most bytes a session may plan for its activations (and, where the backend copies them, weights) before it
    /// is created; null (the default) is <see cref="DefaultMemoryBudgetBytes"/>. <c>cpu-simd</c> checks its memory
    /// plan against it; ONNX Runtime and cuDNN sessions are checked by LightNet's own estimate (the model's peak
    /// activation bytes plus its weight bytes) before native code sees the model. Over budget:
    /// <see cref="ErrorCode.ResourceLimit"/> with both numbers.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>The default memory budget: half of the memory this process may use (physical memory, or a container's limit).</summary>
    public static long DefaultMemoryBudgetBytes => Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>The budget in force: <see cref="MemoryBudgetBytes"/> or <see cref="DefaultMemoryBudgetBytes"/>.</summary>
    internal long EffectiveMemoryBudgetBytes => MemoryBudgetBytes ?? DefaultMemoryBudgetBytes;

    /// <summary>
    /// Where the session runs: in this process (the default) or in a LightNet worker process
    /// (<see cref="Isolation.IsolationMode.Process"/>), so that a native crash, hang or memory blow-up fails the call
    /// with <see cref="ErrorCode.BackendCrashed"/>, <see cref="ErrorCode.Timeout"/> or <see cref="ErrorCode.ResourceLimit"/>
    /// instead of taking the process down. Every backend's <see cref="Backend.CreateSession"/> honours it.
    /// </summary>
    public Isolation.IsolationMode Isolation { get; init; }

    /// <summary>How the worker of an isolated session is started and watched; null for <see cref="Isolation.IsolationSettings.Default"/>.</summary>
    public Isolation.IsolationSettings? IsolationSettings { get; init; }

    /// <summary>Where session creation logs (the checks it skipped, a cpu-simd fallback to the interpreter) and, for a <see cref="Postprocessing.Classifier"/>, the classifier; null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The most threads per inference any option accepts.</summary>
    public const int MaxThreads = 1024;

    /// <summary>
    /// The one check of a thread count, shared by every option that sets one (session, profile, study and conformance
    /// options, the CLI's --threads): null when <paramref name="threads"/> is null (the backend's choice) or between 1 and
    /// <see cref="MaxThreads"/>, else the problem, worded "threads must be between 1 and 1024, not N".
    /// </summary>
    /// <param name="threads">The thread count; null for the backend's choice.</param>
    /// <returns>The problem, or null when the count is valid.</returns>
    public static string? ThreadsProblem(int? threads) =>
        threads is < 1 or > MaxThreads ? $"threads must be between 1 and {MaxThreads}, not {threads}" : null;

    internal void Validate()
    {
        if (ThreadsProblem(Threads) is string problem)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Invalid inference options: {problem}.");
        }

        if (MemoryBudgetBytes is <= 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Invalid inference options: {nameof(MemoryBudgetBytes)} must be positive, not {MemoryBudgetBytes}.");
        }
    }
}

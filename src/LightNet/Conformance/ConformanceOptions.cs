namespace LightNet.Conformance;

/// <summary>What <see cref="ConformanceRunner.Run(ConformanceOptions, IProgress{ConformanceCaseResult}?, CancellationToken)"/> runs and how.</summary>
public sealed record ConformanceOptions
{
    /// <summary>Default relative tolerance for floating-point outputs.</summary>
    public const double DefaultRelativeTolerance = 1e-3;

    /// <summary>Default absolute tolerance for floating-point outputs.</summary>
    public const double DefaultAbsoluteTolerance = 1e-5;

    /// <summary>
    /// The folder searched recursively for test cases: every folder holding a <c>model.onnx</c> and at least one
    /// <c>test_data_set_*</c> folder (with <c>input_N.pb</c> and <c>output_N.pb</c>, serialized ONNX TensorProtos).
    /// </summary>
    public required string TestRoot { get; init; }

    /// <summary>Backend names as <see cref="Backends.Backend.Parse"/> reads them, such as <c>cpu-simd</c> and <c>ort-cpu</c>.</summary>
    public required IReadOnlyList<string> Backends { get; init; }

    /// <summary>A regular expression a case's path relative to <see cref="TestRoot"/> (with <c>/</c> separators, e.g. <c>node/test_abs</c>) must match; null runs every case.</summary>
    public string? Filter { get; init; }

    /// <summary>In-process or one isolated worker process per backend (default <see cref="ConformanceIsolation.InProcess"/>).</summary>
    public ConformanceIsolation Isolation { get; init; } = ConformanceIsolation.InProcess;

    /// <summary>How to start a worker; required for <see cref="ConformanceIsolation.Isolated"/>.</summary>
    public ConformanceWorkerCommand? WorkerCommand { get; init; }

    /// <summary>Longest time one case may run in isolated mode before its worker is killed and the case counts as <see cref="ConformanceOutcome.Timeout"/> (default 20 s).</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest time a new worker may take to start (load the runtime and the backend) before the run fails (default 60 s).</summary>
    public TimeSpan WorkerStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Relative tolerance of the floating-point comparison: |actual − expected| ≤ atol + rtol·|expected|.</summary>
    public double RelativeTolerance { get; init; } = DefaultRelativeTolerance;

    /// <summary>Absolute tolerance of the floating-point comparison.</summary>
    public double AbsoluteTolerance { get; init; } = DefaultAbsoluteTolerance;

    /// <summary>Threads per inference (default 1: test tensors are tiny, and one thread keeps a run reproducible); null lets each backend choose.</summary>
    public int? Threads { get; init; } = 1;

    /// <summary>Worker processes per backend in isolated mode, each running a share of the cases (default 1).</summary>
    public int Workers { get; init; } = 1;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(TestRoot))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The conformance test folder is empty.");
        }

        if (Backends is null || Backends.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Name at least one backend to check.");
        }

        if (!(RelativeTolerance >= 0) || !(AbsoluteTolerance >= 0) || double.IsInfinity(RelativeTolerance) || double.IsInfinity(AbsoluteTolerance))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The tolerances must be finite and 0 or more.");
        }

        if (CaseTimeout <= TimeSpan.Zero || WorkerStartTimeout <= TimeSpan.Zero)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The time limits must be positive.");
        }

        if (LightNet.Backends.InferenceOptions.ThreadsProblem(Threads) is string threads)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Invalid conformance options: {threads}.");
        }

        if (Workers is < 1 or > 64)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Workers must be between 1 and 64, not {Workers}.");
        }

        if (Isolation == ConformanceIsolation.Isolated && WorkerCommand is null)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Isolated conformance runs need a worker command (ConformanceOptions.WorkerCommand).");
        }
    }
}

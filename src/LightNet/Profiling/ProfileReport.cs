using System.Text.Json.Serialization;

namespace LightNet.Profiling;

/// <summary>
/// Everything one measurement found: where it ran, what it ran, how fast, how steady, how much memory, and
/// which operators took the time. Serialise it with <see cref="Reports.ReportJson"/> (a versioned, camelCase
/// schema that reads back into this type).
/// </summary>
public sealed record ProfileReport
{
    /// <summary>The version of the JSON schema this report follows.</summary>
    public const string CurrentSchema = "lightnet.profile/1.1";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the measurement finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The machine and runtimes.</summary>
    public required EnvironmentInfo Environment { get; init; }

    /// <summary>The model.</summary>
    public required ModelSummary Model { get; init; }

    /// <summary>The backend.</summary>
    public required BackendSummary Backend { get; init; }

    /// <summary>The settings used.</summary>
    public required MeasurementSettings Settings { get; init; }

    /// <summary>How the warm-up ended: its runs and whether the runs had reached a steady state (schema 1.1).</summary>
    public WarmupSummary? Warmup { get; init; }

    /// <summary>Session creation time in milliseconds (what an app pays at start-up).</summary>
    public double LoadMs { get; init; }

    /// <summary>The first inference, in milliseconds (lazy initialisation, allocation, kernel selection).</summary>
    public double FirstRunMs { get; init; }

    /// <summary>Steady-state latency of one inference, in milliseconds.</summary>
    public required LatencySummary LatencyMs { get; init; }

    /// <summary>Inferences per second (1000 / mean latency).</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>Items per second: throughput × batch size.</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>Process memory around the measurement.</summary>
    public required MemorySummary Memory { get; init; }

    /// <summary>How steady the timings were.</summary>
    public required StabilitySummary Stability { get; init; }

    /// <summary>Problems a reader should know about (too few runs, noisy, throttling, ...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Per-node times from the separate per-operator pass, most expensive first; empty when not asked for.</summary>
    public IReadOnlyList<OperatorTiming> Operators { get; init; } = [];

    /// <summary>Per-operator-type totals, most expensive first; empty when not asked for.</summary>
    public IReadOnlyList<OperatorTypeTiming> OperatorTypes { get; init; } = [];

    /// <summary>Every timed sample in milliseconds, in run order, when asked for.</summary>
    public IReadOnlyList<double>? RawSamplesMs { get; init; }

    /// <summary>Cold starts in fresh processes (<see cref="Profiler.MeasureColdStart"/>), when asked for (schema 1.1).</summary>
    public ColdStartSummary? ColdStart { get; init; }

    /// <summary>A sustained run with its timeline and throttling (<see cref="Profiler.MeasureSustained"/>), when asked for (schema 1.1).</summary>
    public SustainedSummary? Sustained { get; init; }

    /// <summary>Throughput and latency under load (<see cref="Profiler.MeasureLoad"/>), when asked for (schema 1.1).</summary>
    public LoadSummary? Load { get; init; }
}

/// <summary>The model part of a report.</summary>
public sealed record ModelSummary
{
    /// <summary>Zoo name or file name.</summary>
    public required string Name { get; init; }

    /// <summary>Trainable parameters.</summary>
    public long Parameters { get; init; }

    /// <summary>Multiply-accumulates of one inference at the measured shapes.</summary>
    public long Macs { get; init; }

    /// <summary>Serialized model size.</summary>
    public long FileBytes { get; init; }

    /// <summary>Bytes of weights.</summary>
    public long WeightBytes { get; init; }

    /// <summary>Peak live activation bytes by analysis.</summary>
    public long PeakActivationBytes { get; init; }

    /// <summary>Default-domain opset.</summary>
    public long Opset { get; init; }

    /// <summary>Producer as the file states it.</summary>
    public string Producer { get; init; } = "";

    /// <summary>Input shapes fed, by input name.</summary>
    public IReadOnlyDictionary<string, long[]> InputShapes { get; init; } = new Dictionary<string, long[]>();
}

/// <summary>The backend part of a report.</summary>
public sealed record BackendSummary
{
    /// <summary>Canonical backend name with options.</summary>
    public required string Name { get; init; }

    /// <summary>Engine family.</summary>
    public string Kind { get; init; } = "";

    /// <summary>Precision.</summary>
    public string Precision { get; init; } = "";

    /// <summary>Device.</summary>
    public string Device { get; init; } = "";

    /// <summary>Options in effect.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>The settings a measurement used.</summary>
public sealed record MeasurementSettings
{
    /// <summary>Warm-up runs done.</summary>
    public int WarmupRuns { get; init; }

    /// <summary>Timed runs done.</summary>
    public int Runs { get; init; }

    /// <summary>Requested minimum timed runs.</summary>
    public int MinRuns { get; init; }

    /// <summary>Requested minimum seconds.</summary>
    public double MinSeconds { get; init; }

    /// <summary>Requested maximum seconds.</summary>
    public double MaxSeconds { get; init; }

    /// <summary>Threads requested (null: backend default).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Threads the measured session ran with, read back from it (<see cref="Backends.SessionSettings.Threads"/>); null when the engine
    /// chose and does not say (ONNX Runtime's default).
    /// </summary>
    public int? ThreadsUsed { get; init; }

    /// <summary>The thread count to show: the one read back from the session, else the one requested; null when neither is known.</summary>
    internal int? ThreadsShown => ThreadsUsed ?? Threads;

    /// <summary>Instruction set the measured session's kernels used, read back from it; null when the engine does not say.</summary>
    public string? InstructionSet { get; init; }

    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; }

    /// <summary>Input fill.</summary>
    public string InputFill { get; init; } = "";

    /// <summary>Cooldown between runs in milliseconds.</summary>
    public double CooldownMs { get; init; }

    /// <summary>In a comparison, the untimed settle time after switching backends, in milliseconds (<see cref="ProfileOptions.SwitchSettle"/>); 0 elsewhere.</summary>
    public double SwitchSettleMs { get; init; }

    /// <summary>The settings of a measurement made with <paramref name="options"/>.</summary>
    internal static MeasurementSettings From(ProfileOptions options, int warmupRuns, int runs, int batchSize, string inputFill, Backends.SessionSettings? effective = null) => new()
    {
        ThreadsUsed = effective?.Threads,
        InstructionSet = effective?.InstructionSet,
        WarmupRuns = warmupRuns,
        Runs = runs,
        MinRuns = options.Runs,
        MinSeconds = options.MinSeconds,
        MaxSeconds = options.MaxSeconds,
        Threads = options.Threads,
        BatchSize = batchSize,
        InputFill = inputFill,
        CooldownMs = options.Cooldown.TotalMilliseconds,
    };
}

/// <summary>Latency statistics in milliseconds, with stable JSON names.</summary>
public sealed record LatencySummary
{
    /// <summary>Number of timed runs.</summary>
    public int Count { get; init; }

    /// <summary>Mean.</summary>
    public double Mean { get; init; }

    /// <summary>Median (P50).</summary>
    public double Median { get; init; }

    /// <summary>90th percentile.</summary>
    public double P90 { get; init; }

    /// <summary>95th percentile.</summary>
    public double P95 { get; init; }

    /// <summary>99th percentile.</summary>
    public double P99 { get; init; }

    /// <summary>Fastest run.</summary>
    public double Min { get; init; }

    /// <summary>Slowest run.</summary>
    public double Max { get; init; }

    /// <summary>Sample standard deviation.</summary>
    [JsonPropertyName("std")]
    public double StandardDeviation { get; init; }

    /// <summary>95% confidence interval of the mean (Student t).</summary>
    public ConfidenceInterval MeanCi { get; init; }

    /// <summary>95% confidence interval of the median (order statistics).</summary>
    public ConfidenceInterval MedianCi { get; init; }

    /// <summary>Builds the summary from full statistics.</summary>
    /// <param name="s">The statistics.</param>
    public static LatencySummary From(LatencyStatistics s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new LatencySummary
        {
            Count = s.Count,
            Mean = s.Mean,
            Median = s.Median,
            P90 = s.P90,
            P95 = s.P95,
            P99 = s.P99,
            Min = s.Min,
            Max = s.Max,
            StandardDeviation = s.StandardDeviation,
            MeanCi = s.MeanConfidenceInterval,
            MedianCi = s.MedianConfidenceInterval,
        };
    }
}

/// <summary>Process memory around a measurement.</summary>
public sealed record MemorySummary
{
    /// <summary>Resident set size before the session was created.</summary>
    public long RssBeforeLoadBytes { get; init; }

    /// <summary>Resident set size right after the session was created.</summary>
    public long RssAfterLoadBytes { get; init; }

    /// <summary>Largest resident set size seen during the runs (sampled around every run).</summary>
    public long PeakRssBytes { get; init; }

    /// <summary>Managed bytes allocated per timed inference on the measuring thread (0 for an allocation-free backend).</summary>
    public double ManagedBytesPerRun { get; init; }
}

/// <summary>How steady the timings were.</summary>
public sealed record StabilitySummary
{
    /// <summary>Standard deviation over mean.</summary>
    public double CoefficientOfVariation { get; init; }

    /// <summary>Median of the last quarter of runs over the median of the first quarter.</summary>
    public double Drift { get; init; }

    /// <summary>The level shift in the timed runs beyond the drift threshold, if there was one (schema 1.1).</summary>
    public ChangePoint? ChangePoint { get; init; }

    /// <summary>True when the run slowed down beyond the drift threshold (drift above it, or a change point to a phase slower by more than it): the machine may be throttling. A speed-up never sets it.</summary>
    public bool PossibleThrottling { get; init; }
}

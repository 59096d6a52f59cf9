namespace LightNet.Profiling;

/// <summary>
/// A model × backend matrix measured with interleaved runs, with each backend's speed-up over a baseline
/// (baseline = 1, as the seed study's "Vanilla = 1" figure).
/// </summary>
public sealed record ComparisonReport
{
    /// <summary>The version of the JSON schema.</summary>
    public const string CurrentSchema = "lightnet.comparison/1.2";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the comparison finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The machine and runtimes.</summary>
    public required EnvironmentInfo Environment { get; init; }

    /// <summary>The backend every speed-up is relative to.</summary>
    public required string Baseline { get; init; }

    /// <summary>Settings shared by every cell.</summary>
    public required MeasurementSettings Settings { get; init; }

    /// <summary>One cell per model and available backend.</summary>
    public IReadOnlyList<ComparisonCell> Cells { get; init; } = [];

    /// <summary>Backends that were asked for but cannot run here, with the reason.</summary>
    public IReadOnlyList<UnavailableBackend> Unavailable { get; init; } = [];

    /// <summary>
    /// Where each model's time goes on each backend, by layer kind (one entry per model, in the order measured), when the
    /// comparison ran with <see cref="ProfileOptions.PerOperatorProfile"/>; empty otherwise. Added in schema 1.2.
    /// </summary>
    public IReadOnlyList<LayerBreakdown> Layers { get; init; } = [];
}

/// <summary>One model on one backend within a comparison.</summary>
public sealed record ComparisonCell
{
    /// <summary>The model.</summary>
    public required ModelSummary Model { get; init; }

    /// <summary>The backend.</summary>
    public required BackendSummary Backend { get; init; }

    /// <summary>Latency in milliseconds (null when the backend failed on this model).</summary>
    public LatencySummary? LatencyMs { get; init; }

    /// <summary>Session creation time in milliseconds.</summary>
    public double LoadMs { get; init; }

    /// <summary>Inferences per second.</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>Baseline mean latency over this cell's mean latency (1 for the baseline itself; above 1 is faster).</summary>
    public double SpeedUp { get; init; }

    /// <summary>95% confidence interval of <see cref="SpeedUp"/>.</summary>
    public ConfidenceInterval SpeedUpCi { get; init; }

    /// <summary>Why the cell has no numbers (the backend rejected or failed the model); null when it ran.</summary>
    public string? Error { get; init; }

    /// <summary>How this backend's warm-up ended (null when it failed).</summary>
    public WarmupSummary? Warmup { get; init; }

    /// <summary>Problems with this cell's timings (warm-up not steady, noise, a level shift), worded as in a profile report.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A backend that could not take part, and why.</summary>
/// <param name="Name">Backend name.</param>
/// <param name="Reason">What is missing and what to install.</param>
public sealed record UnavailableBackend(string Name, string Reason);

using LightNet.Postprocessing;

namespace LightNet.Profiling;

/// <summary>
/// What an end-to-end measurement found (<c>Profiler.MeasurePipeline</c>):
/// the time of each stage of classifying one photo — decode, preprocess, inference, postprocess — and of the whole,
/// with the same statistics as <see cref="ProfileReport.LatencyMs"/>, and the top classes of the last run.
/// </summary>
public sealed record PipelineReport
{
    /// <summary>The version of the JSON schema this report follows.</summary>
    public const string CurrentSchema = "lightnet.pipeline/1.1";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the measurement finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The machine and runtimes.</summary>
    public required EnvironmentInfo Environment { get; init; }

    /// <summary>The model, with the input shape the preprocessor feeds.</summary>
    public required ModelSummary Model { get; init; }

    /// <summary>The backend.</summary>
    public required BackendSummary Backend { get; init; }

    /// <summary>The settings used (batch 1, input fill "Image").</summary>
    public required MeasurementSettings Settings { get; init; }

    /// <summary>How the warm-up ended: its runs and whether the passes had reached a steady state.</summary>
    public WarmupSummary? Warmup { get; init; }

    /// <summary>The image: its file name, or the name given for bytes.</summary>
    public string Image { get; init; } = "";

    /// <summary>Size of the encoded image in bytes.</summary>
    public long ImageBytes { get; init; }

    /// <summary>Width of the decoded image in pixels.</summary>
    public int ImageWidth { get; init; }

    /// <summary>Height of the decoded image in pixels.</summary>
    public int ImageHeight { get; init; }

    /// <summary>The preprocessing, as <see cref="Preprocessing.ImagePreprocessor.ToString"/> describes it.</summary>
    public string Preprocessing { get; init; } = "";

    /// <summary>Session creation time in milliseconds.</summary>
    public double LoadMs { get; init; }

    /// <summary>The first full pass (decode to top-k), in milliseconds, before any warm-up.</summary>
    public double FirstRunMs { get; init; }

    /// <summary>Decoding the encoded bytes into pixels (with EXIF orientation when enabled), per run, in milliseconds.</summary>
    public required LatencySummary DecodeMs { get; init; }

    /// <summary>Resize, normalise and layout into the reused input tensor (and releasing the decoded image), in milliseconds.</summary>
    public required LatencySummary PreprocessMs { get; init; }

    /// <summary>One inference on the prepared session, in milliseconds.</summary>
    public required LatencySummary InferenceMs { get; init; }

    /// <summary>Softmax (unless the output already is a distribution) and top-k with labels, in milliseconds.</summary>
    public required LatencySummary PostprocessMs { get; init; }

    /// <summary>The whole pass, decode to top-k, per run, in milliseconds (each run's total is the sum of its stages).</summary>
    public required LatencySummary TotalMs { get; init; }

    /// <summary>Full passes per second (1000 / mean total).</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>The top classes of the last run, most probable first.</summary>
    public IReadOnlyList<Classification> TopClasses { get; init; } = [];

    /// <summary>Problems a reader should know about (too few runs, noisy, throttling, ...), judged on the total.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

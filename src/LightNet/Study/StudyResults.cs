using LightNet.Backends;
using LightNet.Evaluation;
using LightNet.Profiling;

namespace LightNet.Study;

/// <summary>
/// What <see cref="StudyRunner.Run"/> found: every model × backend × precision measured on this machine, with each model's
/// size, compression fidelity and published accuracy. Saved as JSON (schema <c>lightnet.study/1</c>, embedding the profiler's
/// <c>lightnet.profile/1</c> reports) by <see cref="StudyJson"/>, so that a later run can be compared with this one.
/// </summary>
public sealed record StudyResults
{
    /// <summary>The version of the JSON schema.</summary>
    public const string CurrentSchema = "lightnet.study/1";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the study finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The machine and runtimes.</summary>
    public required EnvironmentInfo Environment { get; init; }

    /// <summary>The command that produced the study, as typed (empty when run from code).</summary>
    public string Command { get; init; } = "";

    /// <summary>The backend every speed-up is relative to (its FP32 latency is 1).</summary>
    public required string Baseline { get; init; }

    /// <summary>How the study measured.</summary>
    public required StudySettings Settings { get; init; }

    /// <summary>One entry per model, with its precision variants.</summary>
    public IReadOnlyList<StudyModel> Models { get; init; } = [];

    /// <summary>One cell per model, precision and available backend.</summary>
    public IReadOnlyList<StudyCell> Cells { get; init; } = [];

    /// <summary>Backends that were asked for but cannot run here, with the reason.</summary>
    public IReadOnlyList<UnavailableBackend> Unavailable { get; init; } = [];

    /// <summary>The model picked for the budgets given (or with none), with the reason for every rejected candidate.</summary>
    public Recommendation? Recommendation { get; init; }

    /// <summary>The cell of a model, backend and precision, or null.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="backend">Backend name.</param>
    /// <param name="precision">Precision.</param>
    /// <returns>The cell, or null when it was not measured.</returns>
    public StudyCell? Cell(string model, string backend, Precision precision) =>
        Cells.FirstOrDefault(c => c.Model == model && c.Backend == backend && c.Precision == precision);
}

/// <summary>The settings a study used.</summary>
public sealed record StudySettings
{
    /// <summary>Whether the quick preset was used.</summary>
    public bool Quick { get; init; }

    /// <summary>The precisions asked for.</summary>
    public IReadOnlyList<Precision> Precisions { get; init; } = [];

    /// <summary>The backends that took part (available ones), baseline first.</summary>
    public IReadOnlyList<string> Backends { get; init; } = [];

    /// <summary>The resolution asked for (null: each network's default).</summary>
    public int? Resolution { get; init; }

    /// <summary>Threads per inference (null: the backend's choice).</summary>
    public int? Threads { get; init; }

    /// <summary>Synthetic samples used to calibrate INT8 activations.</summary>
    public int CalibrationSamples { get; init; }

    /// <summary>Synthetic samples each compressed model is compared with its FP32 original on.</summary>
    public int FidelitySamples { get; init; }

    /// <summary>The model whose operators were profiled.</summary>
    public string? BreakdownModel { get; init; }

    /// <summary>The minimum timed runs per cell.</summary>
    public int MinRuns { get; init; }

    /// <summary>Warm-up runs per cell.</summary>
    public int WarmupRuns { get; init; }

    /// <summary>Minimum seconds of timed runs per cell.</summary>
    public double MinSeconds { get; init; }

    /// <summary>Maximum seconds of timed runs per cell.</summary>
    public double MaxSeconds { get; init; }

    /// <summary>Wall-clock seconds the whole study took.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Whether the pretrained zoo files were measured instead of synthetic weights (<c>study --pretrained</c>).</summary>
    public bool Pretrained { get; init; }

    /// <summary>The labelled set every variant's accuracy was measured on (<c>study --eval</c>); null when accuracy was not measured.</summary>
    public string? EvaluationSource { get; init; }

    /// <summary>Images of <see cref="EvaluationSource"/> evaluated per variant (0 without one).</summary>
    public int EvaluationImages { get; init; }

    /// <summary>The folder the measured variant files were kept in (<c>study --keep-models</c>); null when they were not kept.</summary>
    public string? ModelsFolder { get; init; }
}

/// <summary>One network of the study and its precision variants.</summary>
public sealed record StudyModel
{
    /// <summary>Zoo name ("mobilenet_v2").</summary>
    public required string Name { get; init; }

    /// <summary>The model as the study was asked for it ("mobilenet_v1@0.25"), from which its variants can be made again.</summary>
    public string Spec { get; init; } = "";

    /// <summary>Family ("MobileNet").</summary>
    public string Family { get; init; } = "";

    /// <summary>Input height and width measured.</summary>
    public int Resolution { get; init; }

    /// <summary>Published ImageNet top-1 accuracy of trained weights in percent (null where none is published).</summary>
    public double? PublishedTop1 { get; init; }

    /// <summary>Where <see cref="PublishedTop1"/> comes from.</summary>
    public string? AccuracySource { get; init; }

    /// <summary>The resolution <see cref="PublishedTop1"/> was evaluated at.</summary>
    public int? AccuracyResolution { get; init; }

    /// <summary>The pretrained file measured (name, address, SHA-256) when the study used pretrained weights; null for synthetic weights.</summary>
    public Zoo.PretrainedFile? PretrainedFile { get; init; }

    /// <summary>What a reader should know about this model's numbers (a resolution the architecture could not take, ...).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>One entry per precision asked for (FP32 first).</summary>
    public IReadOnlyList<StudyVariant> Variants { get; init; } = [];

    /// <summary>The variant of a precision, or null.</summary>
    /// <param name="precision">The precision.</param>
    /// <returns>The variant, or null.</returns>
    public StudyVariant? Variant(Precision precision) => Variants.FirstOrDefault(v => v.Precision == precision);
}

/// <summary>A model in one precision: FP32 as built, FP16 and INT8 made with LightNet.Compression.</summary>
public sealed record StudyVariant
{
    /// <summary>The precision.</summary>
    public Precision Precision { get; init; }

    /// <summary>Serialized ONNX size in bytes (0 when the variant could not be made).</summary>
    public long FileBytes { get; init; }

    /// <summary>Bytes of weights (initializers).</summary>
    public long WeightBytes { get; init; }

    /// <summary>Trainable parameters of the FP32 architecture.</summary>
    public long Parameters { get; init; }

    /// <summary>Multiply-accumulates of one inference of the FP32 architecture.</summary>
    public long Macs { get; init; }

    /// <summary>Seconds spent making the variant (building the network for FP32; converting or calibrating otherwise).</summary>
    public double SecondsToMake { get; init; }

    /// <summary>How the variant's outputs compare with the FP32 model's on synthetic inputs (null for FP32 itself).</summary>
    public FidelityReport? Fidelity { get; init; }

    /// <summary>Number of inputs <see cref="Fidelity"/> was measured on.</summary>
    public int FidelitySamples { get; init; }

    /// <summary>
    /// Estimated top-1 accuracy in percent: the published value, less every disagreement with FP32 counted as a lost correct
    /// answer (<c>published − 100 × (1 − top-1 agreement)</c>, a lower bound); null without a published value.
    /// </summary>
    public double? EstimatedTop1 { get; init; }

    /// <summary>Why the variant could not be made (compression failed); null when it was.</summary>
    public string? Error { get; init; }

    /// <summary>SHA-256 (lower-case hex) of the serialized variant exactly as it was measured; null when it could not be made.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The variant's file name in <see cref="StudySettings.ModelsFolder"/> when it was kept; null otherwise.</summary>
    public string? File { get; init; }

    /// <summary>Top-1 and top-5 accuracy measured on the labelled set (<c>study --eval</c>); null when not measured.</summary>
    public AccuracyResult? Accuracy { get; init; }
}

/// <summary>One model in one precision on one backend.</summary>
public sealed record StudyCell
{
    /// <summary>Model name.</summary>
    public required string Model { get; init; }

    /// <summary>Precision of the model.</summary>
    public Precision Precision { get; init; }

    /// <summary>Backend name.</summary>
    public required string Backend { get; init; }

    /// <summary>The profiler's report (null when the backend could not run the model).</summary>
    public ProfileReport? Report { get; init; }

    /// <summary>10th percentile of the latency in milliseconds (the lower whisker of the charts).</summary>
    public double P10Ms { get; init; }

    /// <summary>The baseline's FP32 mean latency over this cell's (1 for the baseline's FP32 cell; above 1 is faster).</summary>
    public double SpeedUp { get; init; } = double.NaN;

    /// <summary>95% confidence interval of <see cref="SpeedUp"/> (Fieller, from both cells' samples).</summary>
    public ConfidenceInterval SpeedUpCi { get; init; } = new(double.NaN, double.NaN, 0);

    /// <summary>Why there is no measurement; null when there is one.</summary>
    public string? Error { get; init; }
}

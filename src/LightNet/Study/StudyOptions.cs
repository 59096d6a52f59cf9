using LightNet.Backends;
using LightNet.Evaluation;
using LightNet.Profiling;
using LightNet.Zoo;

namespace LightNet.Study;

/// <summary>
/// What <see cref="StudyRunner.Run"/> measures: which zoo models, on which backends, in which precisions, how long, and the
/// budgets the closing recommendation is for. Immutable: change a preset with <c>with</c>.
/// </summary>
public sealed record StudyOptions
{
    /// <summary>The seed study's networks: MobileNet v1/v2, SqueezeNet, ShuffleNet v2, DenseNet-121, ResNet-18, VGG16, AlexNet, GoogLeNet.</summary>
    public static IReadOnlyList<string> SeedModels { get; } =
        ["mobilenet_v1", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0", "densenet121", "resnet18", "vgg16", "alexnet", "googlenet"];

    /// <summary>The seed study's "plain execution = 1": ONNX Runtime on the CPU with every graph optimisation off.</summary>
    public const string PlainBaseline = "ort-cpu:opt=none";

    /// <summary>The default study: every seed model at its own resolution, a steady-state warm-up of at least 3 runs, at least 20 runs or 1 s per cell.</summary>
    public static StudyOptions Default { get; } = new();

    /// <summary>
    /// A quick look (under two minutes for the seed models on two cores): every network at 112×112 where its architecture takes
    /// it (VGG16 at 56×56), a steady-state warm-up (bounded by 10 s), then at least 8 timed runs and 0.2 s, at most 1 s, per cell, 4 calibration and 8 fidelity samples.
    /// </summary>
    public static StudyOptions Quick { get; } = new()
    {
        IsQuick = true,
        Resolution = 112,
        Measurement = new ProfileOptions { WarmupRuns = 1, WarmupSeconds = 0, Runs = 8, MinSeconds = 0.2, MaxSeconds = 1, PerOperatorRuns = 5, PerOperatorSeconds = 0.25 },
        CalibrationSamples = 4,
        FidelitySamples = 8,
    };

    /// <summary>Zoo names, optionally with a width multiplier (<c>mobilenet_v1@0.5</c>).</summary>
    public IReadOnlyList<string> Models { get; init; } = SeedModels;

    /// <summary>Backend names; null for every registered backend (<see cref="Backend.All"/>). Unavailable ones are listed with the reason.</summary>
    public IReadOnlyList<string>? Backends { get; init; }

    /// <summary>The backend whose FP32 latency is 1; it always takes part.</summary>
    public string Baseline { get; init; } = PlainBaseline;

    /// <summary>The precisions: FP32 as built, FP16 (<c>Float16Converter</c>) and INT8 (<c>Quantizer.QuantizeStatic</c>).</summary>
    public IReadOnlyList<Precision> Precisions { get; init; } = [Precision.Fp32, Precision.Fp16, Precision.Int8];

    /// <summary>
    /// Input height and width; null for each network's default. A network whose architecture cannot take it (VGG16's classifier
    /// needs a final map that pools to 7×7) is measured at the largest half of it that it takes, else at its default, and the
    /// report says so.
    /// </summary>
    public int? Resolution { get; init; }

    /// <summary>Threads per inference; null lets each backend choose.</summary>
    public int? Threads { get; init; }

    /// <summary>The thread count every cell is measured with and the results report: <see cref="Threads"/>, else the
    /// measurement options' own; null lets each backend choose.</summary>
    internal int? EffectiveThreads => Threads ?? Measurement?.Threads;

    /// <summary>How each cell is measured (raw samples are always kept: the charts' p10 comes from them).</summary>
    public ProfileOptions Measurement { get; init; } = new() { WarmupRuns = 3, WarmupSeconds = 0, Runs = 20, MinSeconds = 1, MaxSeconds = 5, PerOperatorRuns = 10, PerOperatorSeconds = 1 };

    /// <summary>Synthetic samples, in the family's input range, that calibrate INT8 activations.</summary>
    public int CalibrationSamples { get; init; } = 16;

    /// <summary>Synthetic samples each compressed model is compared with its FP32 original on.</summary>
    public int FidelitySamples { get; init; } = 32;

    /// <summary>The model whose operators are profiled for the breakdown; null for the first model.</summary>
    public string? BreakdownModel { get; init; }

    /// <summary>The budgets of the closing recommendation.</summary>
    public SelectionConstraints Constraints { get; init; } = SelectionConstraints.None;

    /// <summary>The command line to record in the report (empty when run from code).</summary>
    public string Command { get; init; } = "";

    /// <summary>Whether these options came from <see cref="Quick"/> (recorded in the results).</summary>
    public bool IsQuick { get; init; }

    /// <summary>
    /// Measure the pretrained ONNX files of the zoo (downloaded into <see cref="PretrainedCache"/> and checked against their SHA-256 by
    /// <see cref="ModelDownloader"/>) instead of networks with synthetic weights. They come at their own resolution.
    /// </summary>
    public bool Pretrained { get; init; }

    /// <summary>The download cache of the pretrained files; null for <see cref="DefaultPretrainedCache"/>.</summary>
    public string? PretrainedCache { get; init; }

    /// <summary>Pretrained files to use instead of the zoo's own, by zoo name (a mirror, or a file already in the cache with its SHA-256).</summary>
    public IReadOnlyDictionary<string, PretrainedFile>? PretrainedFiles { get; init; }

    /// <summary>A labelled set on which every variant's top-1 and top-5 accuracy is measured; null to report the published accuracy
    /// and measure fidelity only.</summary>
    public LabelledImageSet? Evaluation { get; init; }

    /// <summary>The backend accuracy is measured on.</summary>
    public string EvaluationBackend { get; init; } = "ort-cpu";

    /// <summary>
    /// <see cref="Isolation.IsolationMode.Process"/> to measure every cell of a backend that runs native code (ONNX Runtime,
    /// cuDNN: <see cref="BackendKind.OnnxRuntime"/> and <see cref="BackendKind.Native"/>) in a LightNet worker process, so
    /// that a native crash, hang or memory blow-up fails that cell (its error says which) instead of ending the study;
    /// <c>cpu-simd</c> stays in this process. Each isolated cell pays a worker start (about a second) and its times include
    /// the round trip to the worker (measured in docs/reliability.md). Default: in process. CLI <c>study --isolate</c>.
    /// </summary>
    public Isolation.IsolationMode Isolation { get; init; }

    /// <summary>A folder to keep every measured variant in (byte for byte as measured, named in the results); null to keep none
    /// (<c>recommend --emit</c> then makes the variant again and checks its SHA-256).</summary>
    public string? ModelsFolder { get; init; }

    /// <summary>Where the study logs each step (and the measurements, compressions and sessions it makes); null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The default download cache of pretrained files: <c>LIGHTNET_CACHE</c> when set, else <c>~/.cache/lightnet/models</c>.</summary>
    public static string DefaultPretrainedCache =>
        Environment.GetEnvironmentVariable("LIGHTNET_CACHE") is { Length: > 0 } cache ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "lightnet", "models");

    /// <summary>Every problem with these options at once (empty when valid).</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Models is null || Models.Count == 0)
        {
            problems.Add("at least one model is needed");
        }
        else
        {
            foreach (string spec in Models)
            {
                try
                {
                    ParseModel(spec);
                }
                catch (LightNetException e)
                {
                    problems.Add(e.Message.TrimEnd('.'));
                }
            }

            if (Models.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Models.Count)
            {
                problems.Add($"a model is named twice ({string.Join(", ", Models)})");
            }
        }

        if (Precisions is null || Precisions.Count == 0)
        {
            problems.Add("at least one precision is needed");
        }
        else if (Precisions.Distinct().Count() != Precisions.Count)
        {
            problems.Add($"a precision is named twice ({string.Join(", ", Precisions)})");
        }

        if (string.IsNullOrWhiteSpace(Baseline)) problems.Add("the baseline backend is empty");
        if (Backends is { Count: 0 }) problems.Add("the backend list is empty (null means every backend)");
        if (Resolution is < 32 or > 1024) problems.Add($"resolution must be between 32 and 1024, not {Resolution}");
        if (InferenceOptions.ThreadsProblem(Threads) is string threads) problems.Add(threads);
        if (CalibrationSamples is < 1 or > 10_000) problems.Add($"calibration samples must be between 1 and 10000, not {CalibrationSamples}");
        if (FidelitySamples is < 1 or > 10_000) problems.Add($"fidelity samples must be between 1 and 10000, not {FidelitySamples}");
        if (Measurement is null) problems.Add("measurement options are missing");
        else problems.AddRange(Measurement.Validate());
        if (BreakdownModel is not null && Models is not null && !Models.Any(m => string.Equals(m, BreakdownModel, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"the breakdown model '{BreakdownModel}' is not among the models ({string.Join(", ", Models)})");
        }

        if (Evaluation is not null)
        {
            try
            {
                Backend.Parse(EvaluationBackend);
            }
            catch (LightNetException e)
            {
                problems.Add("evaluation backend: " + e.Message.TrimEnd('.'));
            }
        }

        if (Pretrained && Models is not null)
        {
            foreach (string spec in Models)
            {
                int at = spec.IndexOf('@', StringComparison.Ordinal);
                ZooEntry? entry = ModelZoo.Entries.FirstOrDefault(e => string.Equals(e.Name, (at < 0 ? spec : spec[..at]).Trim(), StringComparison.OrdinalIgnoreCase));
                if (entry is not null && entry.Pretrained is null && PretrainedFiles?.Keys.Contains(entry.Name, StringComparer.OrdinalIgnoreCase) != true)
                {
                    problems.Add($"--pretrained: '{entry.Name}' has no pretrained file");
                }
                else if (at >= 0)
                {
                    problems.Add($"--pretrained: '{spec}' asks for a width multiplier, but pretrained files have width 1");
                }
            }
        }

        if (Constraints is null) problems.Add("constraints are missing (use SelectionConstraints.None)");
        else problems.AddRange(Constraints.Validate());
        return problems;
    }

    internal void ThrowIfInvalid()
    {
        IReadOnlyList<string> problems = Validate();
        if (problems.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid study options: " + string.Join("; ", problems) + ".");
        }
    }

    /// <summary>The zoo entry and width of "name" or "name@width".</summary>
    internal static (ZooEntry Entry, double? Width) ParseModel(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A model name is empty.");
        }

        int at = spec.IndexOf('@', StringComparison.Ordinal);
        ZooEntry entry = ModelZoo.Get((at < 0 ? spec : spec[..at]).Trim());
        if (at < 0)
        {
            return (entry, null);
        }

        string text = spec[(at + 1)..].Trim();
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double width)
            || !(width > 0) || !double.IsFinite(width))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"'{spec}': the width multiplier after '@' must be a positive number such as 0.5, not '{text}'.");
        }

        return (entry, width);
    }
}

/// <summary>Progress of a study, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Step">Steps finished (a step is making one variant or measuring one cell).</param>
/// <param name="Steps">Steps planned.</param>
/// <param name="Description">What is being done ("resnet18 · int8 on ort-cpu: measuring").</param>
/// <param name="Elapsed">Time since the study started.</param>
/// <param name="Remaining">Estimated time left (null until a step has finished).</param>
/// <param name="Fraction">Share of the estimated work done, 0 to 1.</param>
public readonly record struct StudyProgress(int Step, int Steps, string Description, TimeSpan Elapsed, TimeSpan? Remaining, double Fraction);

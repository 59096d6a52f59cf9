using System.Diagnostics;
using LightNet.Backends;
using LightNet.Backends.OnnxRuntime;
using LightNet.Compression;
using LightNet.Evaluation;
using LightNet.Isolation;
using LightNet.Preprocessing;
using LightNet.Profiling;
using LightNet.Zoo;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Study;

/// <summary>
/// The seed study on this machine: builds each zoo network, makes its FP16 and INT8 variants with the compression tools
/// (INT8 calibrated on synthetic inputs in the family's range, since zoo weights are synthetic too), measures how far each
/// variant's outputs are from FP32, and profiles every model × available backend × precision with <see cref="Profiler.Measure"/>.
/// </summary>
/// <example>
/// <code>
/// StudyResults results = StudyRunner.Run(StudyOptions.Quick with { Models = ["mobilenet_v2", "squeezenet1_1"] });
/// StudyReport.Write(results, "report");   // index.html, summary.md, results.json
/// </code>
/// </example>
public static class StudyRunner
{
    /// <summary>Runs the study.</summary>
    /// <param name="options">What to measure; null for <see cref="StudyOptions.Default"/>.</param>
    /// <param name="progress">Receives each step with an estimate of the time left; may be null.</param>
    /// <param name="cancellationToken">Stops within one run.</param>
    /// <returns>The results. A variant that could not be made, or a backend that rejects a model, is recorded with the reason,
    /// and the study goes on.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> listing every problem with the options
    /// (unknown models suggest the closest name); <see cref="ErrorCode.BackendUnavailable"/> when the baseline cannot run here.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static StudyResults Run(StudyOptions? options = null, IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= StudyOptions.Default;
        options.ThrowIfInvalid();
        ILogger logger = Logging.For(options.LoggerFactory, typeof(StudyRunner).FullName!);
        long start = Stopwatch.GetTimestamp();

        (List<Backend> available, List<UnavailableBackend> unavailable, Backend baseline) = ResolveBackends(options);
        var specs = options.Models.Select(m => (Spec: m, Parsed: StudyOptions.ParseModel(m))).ToList();
        string breakdown = specs.First(s => options.BreakdownModel is null
            || string.Equals(s.Spec, options.BreakdownModel, StringComparison.OrdinalIgnoreCase)).Parsed.Entry.Name;

        var plan = new Plan(specs.Select(s => Cost(s.Parsed.Entry, s.Parsed.Width, options.Resolution)).ToList(), options, available, baseline, start, progress);
        var models = new List<StudyModel>();
        var cells = new List<StudyCell>();
        for (int i = 0; i < specs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (ZooEntry entry, double? width) = specs[i].Parsed;
            (StudyModel model, Dictionary<Precision, Model> variants) = MakeVariants(specs[i].Spec, entry, width, options, plan, i, logger, cancellationToken);
            models.Add(model);
            var modelCells = new List<StudyCell>();
            foreach (Backend backend in available)
            {
                foreach (Precision precision in options.Precisions)
                {
                    if (!Runs(backend, precision, baseline))
                    {
                        continue;
                    }

                    string label = $"{model.Name} · {Label(precision)} on {backend.Name}";
                    if (!variants.TryGetValue(precision, out Model? onnx))
                    {
                        modelCells.Add(new StudyCell { Model = model.Name, Precision = precision, Backend = backend.Name,
                            Error = $"No {Label(precision)} model: {model.Variant(precision)?.Error}" });
                        plan.Done(i, label);
                        continue;
                    }

                    modelCells.Add(Measure(model.Name, onnx, precision, backend, options, perOperator: model.Name == breakdown && precision == Precision.Fp32,
                        plan, i, label, logger, cancellationToken));
                    plan.Done(i, label);
                }
            }

            cells.AddRange(WithSpeedUps(modelCells, baseline.Name));
        }

        var results = new StudyResults
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = OrtBackend.RuntimeVersion },
            Command = options.Command,
            Baseline = baseline.Name,
            Settings = new StudySettings
            {
                Quick = options.IsQuick,
                Precisions = options.Precisions,
                Backends = available.Select(b => b.Name).ToList(),
                Resolution = options.Resolution,
                Threads = options.EffectiveThreads,
                CalibrationSamples = options.CalibrationSamples,
                FidelitySamples = options.FidelitySamples,
                BreakdownModel = breakdown,
                MinRuns = options.Measurement.Runs,
                WarmupRuns = options.Measurement.WarmupRuns,
                MinSeconds = options.Measurement.MinSeconds,
                MaxSeconds = options.Measurement.MaxSeconds,
                ElapsedSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
                Pretrained = options.Pretrained,
                EvaluationSource = options.Evaluation?.Source,
                EvaluationImages = options.Evaluation?.Images.Count ?? 0,
                ModelsFolder = options.ModelsFolder,
            },
            Models = models,
            Cells = cells,
            Unavailable = unavailable,
        };

        bool anyMeasured = cells.Any(c => c.Report is not null && c.Error is null);
        logger.LogInformation("Study of {Models} models on {Backends} backends done in {Seconds:F1} s", models.Count, available.Count,
            results.Settings.ElapsedSeconds);
        return anyMeasured ? results with { Recommendation = ModelSelector.Recommend(results, options.Constraints) } : results;
    }

    /// <summary>
    /// Whether a backend runs a precision: FP32 backends run every variant; a backend with its own precision (ort-cuda:fp16)
    /// converts the FP32 model itself; the baseline is the reference "plain execution = 1" and runs FP32 only (without graph
    /// optimisations a QDQ model is not even fused into integer kernels, so its number would say nothing).
    /// </summary>
    private static bool Runs(Backend backend, Precision precision, Backend baseline) =>
        precision == Precision.Fp32 || (backend.Precision == Precision.Fp32 && backend.Name != baseline.Name);

    internal static string Label(Precision precision) => precision.ToString().ToLowerInvariant();

    private static (List<Backend>, List<UnavailableBackend>, Backend) ResolveBackends(StudyOptions options)
    {
        Backend baseline = Backend.Parse(options.Baseline);
        List<Backend> requested = options.Backends is null ? [.. Backend.All] : options.Backends.Select(Backend.Parse).ToList();
        requested.RemoveAll(b => b.Name == baseline.Name);
        requested.Insert(0, baseline);
        var available = new List<Backend>();
        var unavailable = new List<UnavailableBackend>();
        foreach (Backend b in requested.DistinctBy(b => b.Name))
        {
            BackendAvailability a = b.CheckAvailability();
            if (a.IsAvailable) available.Add(b); else unavailable.Add(new UnavailableBackend(b.Name, a.Reason));
        }

        if (available.Count == 0 || available[0].Name != baseline.Name)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable,
                $"The baseline backend '{baseline.Name}' cannot run here: {baseline.CheckAvailability().Reason}");
        }

        return (available, unavailable, baseline);
    }

    private static (StudyModel, Dictionary<Precision, Model>) MakeVariants(string spec, ZooEntry entry, double? width, StudyOptions options, Plan plan, int index,
        ILogger logger, CancellationToken ct)
    {
        var notes = new List<string>();
        long t0 = Stopwatch.GetTimestamp();
        plan.Report(index, $"{entry.Name}: {(options.Pretrained ? "loading the pretrained file" : "building")}");
        (Model fp32, PretrainedFile? pretrained) = Fp32(entry, width, options, notes, ct);
        double buildSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Analysis.ModelInfo info = fp32.Info;
        int resolution = Resolution(fp32, entry);
        PublishedAccuracy? accuracy = entry.AccuracyAt(width);
        if (accuracy is not null && accuracy.Resolution != resolution)
        {
            notes.Add($"Measured at {resolution}×{resolution}; the published top-1 ({accuracy.Top1:F1} %) is for {accuracy.Resolution}×{accuracy.Resolution}.");
        }

        string name = Profiler.ModelName(fp32) + (width is double w && w != 1.0 ? "@" + w.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        var models = new Dictionary<Precision, Model>();
        var variants = new List<StudyVariant>();
        foreach (Precision precision in options.Precisions.OrderBy(p => p))
        {
            ct.ThrowIfCancellationRequested();
            string label = $"{entry.Name}: making {Label(precision)}";
            plan.Report(index, label);
            var baseVariant = new StudyVariant { Precision = precision, Parameters = info.Parameters, Macs = info.Macs };
            StudyVariant made;
            Model variant;
            if (precision == Precision.Fp32)
            {
                variant = fp32;
                made = baseVariant with { FileBytes = fp32.SerializedBytes, WeightBytes = info.WeightBytes, SecondsToMake = buildSeconds };
            }
            else
            {
                try
                {
                    t0 = Stopwatch.GetTimestamp();
                    variant = Compress(fp32, precision, options.CalibrationSamples, options.LoggerFactory, ct);
                    double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    plan.Report(index, $"{entry.Name}: fidelity of {Label(precision)}");
                    CompressionReport report = CompressionReport.Measure(fp32, variant, new CompressionMeasureOptions
                    {
                        // Other seeds than calibration's: fidelity is measured on inputs the quantizer has not seen.
                        Inputs = CalibrationData.Synthetic(fp32, options.FidelitySamples, seed: 1000),
                        MaxSamples = options.FidelitySamples,
                    }, ct);
                    FidelityReport? fidelity = report.Fidelity.FirstOrDefault();
                    double? estimated = accuracy is null || fidelity?.Top1Agreement is not double agreement ? null
                        : Math.Max(0, accuracy.Top1 - 100 * (1 - agreement));
                    made = baseVariant with
                    {
                        FileBytes = report.FileBytesAfter > 0 ? report.FileBytesAfter : variant.SerializedBytes,
                        WeightBytes = report.ParameterBytesAfter,
                        SecondsToMake = seconds,
                        Fidelity = fidelity,
                        FidelitySamples = report.Samples,
                        EstimatedTop1 = estimated,
                    };
                }
                catch (LightNetException e)
                {
                    logger.LogWarning("{Model}: no {Precision} variant: {Message}", entry.Name, precision, e.Message);
                    variants.Add(baseVariant with { Error = e.Message });
                    plan.Done(index, label);
                    continue;
                }
            }

            models[precision] = variant;
            variants.Add(Keep(made, variant, name, options, index, plan, ct));
            plan.Done(index, label);
        }

        var model = new StudyModel
        {
            Name = name,
            Spec = spec,
            PretrainedFile = pretrained,
            Family = entry.Family,
            Resolution = resolution,
            PublishedTop1 = accuracy?.Top1,
            AccuracySource = accuracy?.Source,
            AccuracyResolution = accuracy?.Resolution,
            Notes = notes,
            Variants = variants,
        };
        return (model, models);
    }

    /// <summary>Records the variant's SHA-256, keeps its file when asked, and measures its accuracy on the labelled set when there is one.</summary>
    private static StudyVariant Keep(StudyVariant made, Model variant, string name, StudyOptions options, int index, Plan plan, CancellationToken ct)
    {
        byte[] bytes = variant.ToArray();
        made = made with { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) };
        if (options.ModelsFolder is string folder)
        {
            string file = VariantFileName(name, made.Precision);
            Directory.CreateDirectory(folder);
            AtomicFile.Write(Path.Combine(folder, file), stream => stream.Write(bytes));
            made = made with { File = file };
        }

        if (options.Evaluation is { } set)
        {
            string label = $"{name}: accuracy of {Label(made.Precision)} on {set.Images.Count} images";
            plan.Report(index, label);
            var inner = new AccuracySink(p => plan.Report(index, $"{label} ({p.Done}/{p.Total})"));
            made = made with
            {
                Accuracy = AccuracyEvaluator.Evaluate(variant, set, new AccuracyOptions
                {
                    Backend = Backend.Parse(options.EvaluationBackend),
                    Inference = new InferenceOptions { Threads = options.EffectiveThreads },
                }, inner, ct),
            };
        }

        return made;
    }

    /// <summary>
    /// Makes a measured variant again from what the results record (the model as asked for, the resolution, the calibration samples,
    /// synthetic or pretrained weights) and checks that it is byte for byte the one measured.
    /// </summary>
    /// <param name="results">The study results.</param>
    /// <param name="model">The model's name in the results.</param>
    /// <param name="precision">The precision.</param>
    /// <param name="pretrainedCache">The download cache of pretrained files (only for a study made with them); null for the default.</param>
    /// <param name="cancellationToken">Stops the calibration.</param>
    /// <returns>The variant, its serialized bytes and their SHA-256.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the results have no such variant, it failed, or
    /// the results predate recorded hashes; <see cref="ErrorCode.ChecksumMismatch"/> when the variant made again differs from the one
    /// measured (another LightNet version, say).</exception>
    public static (Model Model, byte[] Bytes, string Sha256) RecreateVariant(StudyResults results, string model, Precision precision,
        string? pretrainedCache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        StudyModel m = results.Models.FirstOrDefault(x => x.Name == model)
            ?? throw new LightNetException(ErrorCode.InvalidArgument, $"The study has no model '{model}' (models: {string.Join(", ", results.Models.Select(x => x.Name))}).");
        StudyVariant v = m.Variant(precision) is { Error: null, Sha256: not null } ok ? ok
            : throw new LightNetException(ErrorCode.InvalidArgument,
                $"The study has no {Label(precision)} variant of '{model}' with a recorded SHA-256{(m.Variant(precision)?.Error is string e ? $" ({e})" : "")}.");
        (ZooEntry entry, double? width) = StudyOptions.ParseModel(m.Spec.Length > 0 ? m.Spec : m.Name);
        var options = new StudyOptions
        {
            Resolution = results.Settings.Resolution,
            Pretrained = results.Settings.Pretrained,
            PretrainedCache = pretrainedCache,
            PretrainedFiles = m.PretrainedFile is { } file ? new Dictionary<string, PretrainedFile> { [entry.Name] = file } : null,
        };
        (Model fp32, _) = Fp32(entry, width, options, [], cancellationToken);
        Model variant = precision == Precision.Fp32 ? fp32 : Compress(fp32, precision, results.Settings.CalibrationSamples, null, cancellationToken);
        byte[] bytes = variant.ToArray();
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (!string.Equals(sha, v.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new LightNetException(ErrorCode.ChecksumMismatch,
                $"The {Label(precision)} variant of '{model}' made again has SHA-256 {sha}, not the {v.Sha256} measured "
                + $"(study made with LightNet {results.Environment.LightNetVersion}); run the study again with --keep-models to keep the files it measures.");
        }

        return (variant, bytes, sha);
    }

    /// <summary>The file name a kept variant gets: "mobilenet_v1@0.25.int8.onnx".</summary>
    internal static string VariantFileName(string model, Precision precision) =>
        string.Concat($"{model}.{Label(precision)}.onnx".Select(c => Path.GetInvalidFileNameChars().Contains(c) || c == ' ' ? '_' : c));

    /// <summary>The FP16 or INT8 variant of an FP32 model, made exactly as the study makes it (deterministic: the same FP32 model gives the
    /// same bytes).</summary>
    internal static Model Compress(Model fp32, Precision precision, int calibrationSamples, ILoggerFactory? loggerFactory, CancellationToken ct) =>
        precision == Precision.Fp16
            ? Float16Converter.Convert(fp32, new Float16Options { LoggerFactory = loggerFactory })
            : Quantizer.QuantizeStatic(fp32, CalibrationData.Synthetic(fp32, calibrationSamples, seed: 1), new QuantizationOptions { LoggerFactory = loggerFactory },
                cancellationToken: ct);

    /// <summary>The FP32 network: built with synthetic weights, or the pretrained file from the download cache (checked against its SHA-256).</summary>
    private static (Model, PretrainedFile?) Fp32(ZooEntry entry, double? width, StudyOptions options, List<string> notes, CancellationToken ct)
    {
        if (!options.Pretrained)
        {
            return (Build(entry, width, options.Resolution, notes), null);
        }

        PretrainedFile file = options.PretrainedFiles?.FirstOrDefault(p => string.Equals(p.Key, entry.Name, StringComparison.OrdinalIgnoreCase)).Value
            ?? entry.Pretrained ?? throw new LightNetException(ErrorCode.InvalidArgument,
                $"--pretrained: zoo model '{entry.Name}' has no published pretrained ONNX file. Networks with one: "
                + string.Join(", ", ModelZoo.Entries.Where(e => e.Pretrained is not null).Select(e => e.Name)) + ".");
        if (width is double w && w != 1.0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"--pretrained: the pretrained file of '{entry.Name}' has width 1, not {w}.");
        }

        Model model = ModelZoo.LoadPretrainedAsync(file, options.PretrainedCache ?? StudyOptions.DefaultPretrainedCache, cancellationToken: ct).GetAwaiter().GetResult();
        notes.Add($"Pretrained weights from {file.FileName} (SHA-256 checked){(options.Resolution is int r ? $"; measured at the file's own resolution, not {r}×{r}" : "")}.");
        return (model, file);
    }

    private static int Resolution(Model model, ZooEntry entry) =>
        model.Metadata.TryGetValue("lightnet.resolution", out string? text)
            ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : ImagePreprocessor.OptionsFor(model).Height;

    /// <summary>
    /// Builds the network at the resolution asked for; where the architecture cannot take it (VGG16's classifier needs a final
    /// map that pools to 7×7), at the largest of its halves it can take, else at its default — and says so in a note.
    /// </summary>
    private static Model Build(ZooEntry entry, double? width, int? resolution, List<string> notes)
    {
        if (resolution is int asked && asked != entry.DefaultResolution)
        {
            string? refusal = null;
            for (int r = asked; r >= entry.MinResolution; r /= 2)
            {
                try
                {
                    Model model = ModelZoo.Create(entry.Name, new ZooOptions { WidthMultiplier = width, Resolution = r });
                    if (r != asked)
                    {
                        notes.Add($"Measured at {r}×{r}: the architecture cannot take {asked}×{asked} ({refusal}).");
                    }

                    return model;
                }
                catch (LightNetException e) when (e.Code == ErrorCode.InvalidArgument)
                {
                    refusal ??= e.Message.TrimEnd('.');
                }
            }

            notes.Add($"Measured at its default {entry.DefaultResolution}×{entry.DefaultResolution}: the architecture cannot take {asked}×{asked} ({refusal}).");
        }

        return ModelZoo.Create(entry.Name, new ZooOptions { WidthMultiplier = width });
    }

    private static StudyCell Measure(string name, Model model, Precision precision, Backend backend, StudyOptions options, bool perOperator,
        Plan plan, int index, string label, ILogger logger, CancellationToken ct)
    {
        ProfileOptions measure = options.Measurement with
        {
            Threads = options.EffectiveThreads,
            KeepRawSamples = true,
            PerOperatorProfile = perOperator,
            LoggerFactory = options.Measurement.LoggerFactory ?? options.LoggerFactory,
            Isolation = options.Isolation == IsolationMode.Process && backend.Kind is BackendKind.OnnxRuntime or BackendKind.Native
                ? IsolationMode.Process : IsolationMode.InProcess,
        };
        var inner = new Progress(p => plan.Report(index, $"{label}: {Phase(p)}"));
        try
        {
            ProfileReport report = Profiler.Measure(model, backend, measure, inner, ct);
            double[] sorted = [.. (report.RawSamplesMs ?? []).Order()];
            return new StudyCell
            {
                Model = name,
                Precision = precision,
                Backend = backend.Name,
                Report = report,
                P10Ms = sorted.Length == 0 ? double.NaN : LatencyStatistics.Percentile(sorted, 0.10),
            };
        }
        catch (LightNetException e)
        {
            logger.LogWarning("{Backend} cannot run {Model} ({Precision}): {Message}", backend.Name, name, precision, e.Message);
            return new StudyCell { Model = name, Precision = precision, Backend = backend.Name, Error = e.Message };
        }
    }

    private static string Phase(ProfileProgress p) => p.Phase switch
    {
        ProfilePhase.Loading => "loading",
        ProfilePhase.WarmingUp => "warming up",
        ProfilePhase.Measuring => $"measuring ({p.RunsDone} runs)",
        ProfilePhase.ProfilingOperators => "profiling operators",
        _ => "done",
    };

    /// <summary>Each cell's speed-up over the baseline's FP32 cell of the same model, with Fieller's interval from both sample sets.</summary>
    private static IEnumerable<StudyCell> WithSpeedUps(List<StudyCell> cells, string baseline)
    {
        StudyCell? reference = cells.FirstOrDefault(c => c.Backend == baseline && c.Precision == Precision.Fp32 && c.Report?.RawSamplesMs is { Count: > 0 });
        if (reference is null)
        {
            return cells;
        }

        LatencyStatistics baseStats = LatencyStatistics.FromSamples([.. reference.Report!.RawSamplesMs!]);
        return cells.Select(c =>
        {
            if (c.Report?.RawSamplesMs is not { Count: > 0 } samples)
            {
                return c;
            }

            if (ReferenceEquals(c, reference))
            {
                return c with { SpeedUp = 1, SpeedUpCi = new ConfidenceInterval(1, 1, LatencyStatistics.ConfidenceLevel) };
            }

            LatencyStatistics stats = LatencyStatistics.FromSamples([.. samples]);
            return c with { SpeedUp = baseStats.Mean / stats.Mean, SpeedUpCi = LatencyStatistics.RatioConfidenceInterval(baseStats, stats) };
        }).ToList();
    }

    /// <summary>Relative cost of one step of a model, for the time-left estimate: its MACs and its weights (session load).</summary>
    private static double Cost(ZooEntry entry, double? width, int? resolution)
    {
        double scale = resolution is int r ? (double)r * r / (entry.DefaultResolution * entry.DefaultResolution) : 1;
        double w = width ?? 1;
        return entry.ReferenceMacs * scale * w * w / 1e9 + entry.ReferenceParameters * w * w / 30e6 + 0.3;
    }

    private sealed class Progress(Action<ProfileProgress> report) : IProgress<ProfileProgress>
    {
        public void Report(ProfileProgress value) => report(value);
    }

    private sealed class AccuracySink(Action<AccuracyProgress> report) : IProgress<AccuracyProgress>
    {
        public void Report(AccuracyProgress value) => report(value);
    }

    /// <summary>Counts steps and estimates the time left from the cost done so far.</summary>
    private sealed class Plan
    {
        private readonly List<double> _costs;
        private readonly int[] _stepsPerModel;
        private readonly long _start;
        private readonly IProgress<StudyProgress>? _progress;
        private readonly double _total;
        private double _done;
        private int _step;

        public Plan(List<double> costs, StudyOptions options, List<Backend> backends, Backend baseline, long start, IProgress<StudyProgress>? progress)
        {
            _costs = costs;
            int cellsPerModel = backends.Sum(b => options.Precisions.Count(p => Runs(b, p, baseline)));
            _stepsPerModel = costs.Select(_ => options.Precisions.Count + cellsPerModel).ToArray();
            _start = start;
            _progress = progress;
            _total = costs.Sum() * (options.Precisions.Count + cellsPerModel);
            Steps = _stepsPerModel.Sum();
        }

        public int Steps { get; }

        public void Done(int model, string description)
        {
            _done += _costs[model];
            _step++;
            Report(model, description);
        }

        public void Report(int model, string description)
        {
            if (_progress is null)
            {
                return;
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(_start);
            double fraction = _total > 0 ? Math.Clamp(_done / _total, 0, 1) : 0;
            TimeSpan? remaining = _done > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (_total - _done) / _done) : null;
            _progress.Report(new StudyProgress(_step, Steps, description, elapsed, remaining, fraction));
        }
    }
}

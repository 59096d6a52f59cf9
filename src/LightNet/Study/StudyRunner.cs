using System.Diagnostics;
using LightNet.Backends;
using LightNet.Backends.OnnxRuntime;
using LightNet.Compression;
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
    /// <param name="logger">Logs each step; null for none.</param>
    /// <returns>The results. A variant that could not be made, or a backend that rejects a model, is recorded with the reason,
    /// and the study goes on.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> listing every problem with the options
    /// (unknown models suggest the closest name); <see cref="ErrorCode.BackendUnavailable"/> when the baseline cannot run here.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static StudyResults Run(StudyOptions? options = null, IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default, ILogger? logger = null)
    {
        options ??= StudyOptions.Default;
        options.ThrowIfInvalid();
        logger ??= NullLogger.Instance;
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
            (StudyModel model, Dictionary<Precision, Model> variants) = MakeVariants(entry, width, options, plan, i, cancellationToken, logger);
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
                        plan, i, label, cancellationToken, logger));
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

    private static (StudyModel, Dictionary<Precision, Model>) MakeVariants(ZooEntry entry, double? width, StudyOptions options, Plan plan, int index,
        CancellationToken ct, ILogger logger)
    {
        var notes = new List<string>();
        long t0 = Stopwatch.GetTimestamp();
        plan.Report(index, $"{entry.Name}: building");
        Model fp32 = Build(entry, width, options.Resolution, notes);
        double buildSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Analysis.ModelInfo info = fp32.Info;
        int resolution = int.Parse(fp32.Metadata.GetValueOrDefault("lightnet.resolution", entry.DefaultResolution.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            System.Globalization.CultureInfo.InvariantCulture);
        PublishedAccuracy? accuracy = entry.AccuracyAt(width);
        if (accuracy is not null && accuracy.Resolution != resolution)
        {
            notes.Add($"Measured at {resolution}×{resolution}; the published top-1 ({accuracy.Top1:F1} %) is for {accuracy.Resolution}×{accuracy.Resolution}.");
        }

        var models = new Dictionary<Precision, Model>();
        var variants = new List<StudyVariant>();
        foreach (Precision precision in options.Precisions.OrderBy(p => p))
        {
            ct.ThrowIfCancellationRequested();
            string label = $"{entry.Name}: making {Label(precision)}";
            plan.Report(index, label);
            var baseVariant = new StudyVariant { Precision = precision, Parameters = info.Parameters, Macs = info.Macs };
            if (precision == Precision.Fp32)
            {
                models[precision] = fp32;
                variants.Add(baseVariant with { FileBytes = fp32.SerializedBytes, WeightBytes = info.WeightBytes, SecondsToMake = buildSeconds });
                plan.Done(index, label);
                continue;
            }

            try
            {
                t0 = Stopwatch.GetTimestamp();
                Model compressed = precision == Precision.Fp16
                    ? Float16Converter.Convert(fp32, logger: logger)
                    : Quantizer.QuantizeStatic(fp32, CalibrationData.Synthetic(fp32, options.CalibrationSamples, seed: 1), logger: logger, cancellationToken: ct);
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                plan.Report(index, $"{entry.Name}: fidelity of {Label(precision)}");
                CompressionReport report = CompressionReport.Measure(fp32, compressed, new CompressionMeasureOptions
                {
                    // Other seeds than calibration's: fidelity is measured on inputs the quantizer has not seen.
                    Inputs = CalibrationData.Synthetic(fp32, options.FidelitySamples, seed: 1000),
                    MaxSamples = options.FidelitySamples,
                }, ct);
                FidelityReport? fidelity = report.Fidelity.FirstOrDefault();
                double? estimated = accuracy is null || fidelity?.Top1Agreement is not double agreement ? null
                    : Math.Max(0, accuracy.Top1 - 100 * (1 - agreement));
                models[precision] = compressed;
                variants.Add(baseVariant with
                {
                    FileBytes = report.FileBytesAfter > 0 ? report.FileBytesAfter : compressed.SerializedBytes,
                    WeightBytes = report.ParameterBytesAfter,
                    SecondsToMake = seconds,
                    Fidelity = fidelity,
                    FidelitySamples = report.Samples,
                    EstimatedTop1 = estimated,
                });
            }
            catch (LightNetException e)
            {
                logger.LogWarning("{Model}: no {Precision} variant: {Message}", entry.Name, precision, e.Message);
                variants.Add(baseVariant with { Error = e.Message });
            }

            plan.Done(index, label);
        }

        var model = new StudyModel
        {
            Name = Profiler.ModelName(fp32) + (width is double w && w != 1.0 ? "@" + w.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""),
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
        Plan plan, int index, string label, CancellationToken ct, ILogger logger)
    {
        ProfileOptions measure = options.Measurement with
        {
            Threads = options.EffectiveThreads,
            KeepRawSamples = true,
            PerOperatorProfile = perOperator,
        };
        var inner = new Progress(p => plan.Report(index, $"{label}: {Phase(p)}"));
        try
        {
            ProfileReport report = Profiler.Measure(model, backend, measure, inner, ct, logger);
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

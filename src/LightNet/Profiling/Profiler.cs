using System.Diagnostics;
using LightNet.Analysis;
using LightNet.Backends;
using LightNet.Backends.OnnxRuntime;
using LightNet.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Profiling;

/// <summary>
/// Measures a model on a backend, the way TFLite's benchmark_model or onnxruntime_perf_test would, inside the app:
/// load time, first run, steady-state latency with confidence intervals, throughput, memory, stability and,
/// optionally, per-operator times.
/// </summary>
/// <example>
/// <code>
/// ProfileReport report = Profiler.Measure(ModelZoo.Create("mobilenet_v2"), Backend.Parse("ort-cpu"));
/// Console.WriteLine($"{report.LatencyMs.Median:F2} ms");
/// </code>
/// </example>
public static class Profiler
{
    /// <summary>Measures <paramref name="model"/> on <paramref name="backend"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="options">How to measure; null for <see cref="ProfileOptions.Default"/>.</param>
    /// <param name="progress">Receives the phase and run count; may be null.</param>
    /// <param name="cancellationToken">Stops the measurement within one run.</param>
    /// <param name="logger">Logs each phase; null for none.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> listing every problem with the options,
    /// <see cref="ErrorCode.BackendUnavailable"/> with the reason, <see cref="ErrorCode.MissingDimension"/> listing the dynamic
    /// dimensions without a value, or the backend's errors.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ProfileReport Measure(Model model, Backend backend, ProfileOptions? options = null,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        options ??= ProfileOptions.Default;
        options.ThrowIfInvalid();
        logger ??= NullLogger.Instance;
        BackendAvailability availability = backend.CheckAvailability();
        if (!availability.IsAvailable)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{backend.Name}' is not available on this machine: {availability.Reason}");
        }

        string name = ModelName(model);
        var warnings = new List<string>();
        if (ThreadsOverrideWarning(backend, options.Threads) is string overridden)
        {
            warnings.Add(overridden);
        }

        Dictionary<string, TensorBuffer> inputs = MeasurementInputs.Create(model, options, out ModelInfo? info, warnings);
        InferenceOptions inferenceOptions = MeasurementInputs.SessionOptions(model, options, inputs);

        logger.LogInformation("Profiling {Model} on {Backend}", name, backend.Name);
        long rssBefore = options.SampleMemory ? CurrentRss() : 0;
        progress?.Report(new ProfileProgress(ProfilePhase.Loading, 0, 1, TimeSpan.Zero));
        long t0 = Stopwatch.GetTimestamp();
        using IInferenceSession session = backend.CreateSession(model, inferenceOptions);
        double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        long rssAfterLoad = options.SampleMemory ? CurrentRss() : 0;
        logger.LogDebug("Session created in {LoadMs:F1} ms", loadMs);
        cancellationToken.ThrowIfCancellationRequested();

        t0 = Stopwatch.GetTimestamp();
        session.Run(inputs);
        double firstRunMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (session is Engine.CpuSimdSession { LastRunCompiledPlan: true })
        {
            warnings.Add("The first run compiled the cpu-simd plan for these input shapes (a first run at a new shape), so the first-run time includes compilation.");
        }

        using IPreparedRun run = session.Prepare(inputs);
        int warmupRuns = Warmup(run, options, progress, cancellationToken, logger);
        (double[] samples, double allocatedPerRun, long peakRss, bool cutByMaxTime) = TimedLoop(run, options, progress, cancellationToken, logger);
        peakRss = Math.Max(peakRss, rssAfterLoad);

        LatencyStatistics stats = LatencyStatistics.FromSamples(samples);
        OperatorProfile? operators = null;
        if (options.PerOperatorProfile)
        {
            operators = ProfileOperators(model, backend, inputs, options, stats.Median, progress, cancellationToken, logger, warnings);
        }

        Warn(stats, options, cutByMaxTime, warnings);
        long batch = inputs.Values.FirstOrDefault()?.Shape.FirstOrDefault() ?? 1;
        progress?.Report(new ProfileProgress(ProfilePhase.Completed, samples.Length, samples.Length, TimeSpan.Zero));
        logger.LogInformation("{Model} on {Backend}: median {Median:F3} ms over {Runs} runs", name, backend.Name, stats.Median, stats.Count);

        return new ProfileReport
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = OrtBackend.RuntimeVersion },
            Model = Summarize(model, name, info, inputs),
            Backend = Summarize(backend, options.Threads),
            Settings = MeasurementSettings.From(options, warmupRuns, samples.Length, (int)batch, options.InputFill.ToString()),
            LoadMs = loadMs,
            FirstRunMs = firstRunMs,
            LatencyMs = LatencySummary.From(stats),
            ThroughputPerSecond = stats.Mean > 0 ? 1000.0 / stats.Mean : 0,
            ItemsPerSecond = stats.Mean > 0 ? 1000.0 * batch / stats.Mean : 0,
            Memory = new MemorySummary
            {
                RssBeforeLoadBytes = rssBefore,
                RssAfterLoadBytes = rssAfterLoad,
                PeakRssBytes = peakRss,
                ManagedBytesPerRun = allocatedPerRun,
            },
            Stability = new StabilitySummary
            {
                CoefficientOfVariation = stats.CoefficientOfVariation,
                Drift = stats.Drift,
                PossibleThrottling = IsSlowDown(stats.Drift, options.DriftThreshold),
            },
            Warnings = warnings,
            Operators = operators?.Nodes ?? [],
            OperatorTypes = operators?.ByOpType ?? [],
            RawSamplesMs = options.KeepRawSamples ? samples : null,
        };
    }

    /// <summary>Runs <see cref="Measure"/> on the thread pool.</summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">The backend.</param>
    /// <param name="options">How to measure.</param>
    /// <param name="progress">Progress; may be null.</param>
    /// <param name="cancellationToken">Stops the measurement within one run.</param>
    /// <param name="logger">Logs each phase.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException">As for <see cref="Measure"/>.</exception>
    public static Task<ProfileReport> MeasureAsync(Model model, Backend backend, ProfileOptions? options = null,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default, ILogger? logger = null) =>
        Task.Run(() => Measure(model, backend, options, progress, cancellationToken, logger), cancellationToken);

    /// <summary>
    /// Measures every model on every available backend with interleaved runs and reports each backend's speed-up
    /// over <paramref name="baseline"/> with a confidence interval. Unavailable backends are listed with the reason.
    /// </summary>
    /// <param name="models">The models.</param>
    /// <param name="backends">The backends; unavailable ones are skipped and listed.</param>
    /// <param name="options">How to measure (warm-up runs, runs, seconds, threads, batch, inputs).</param>
    /// <param name="baseline">The backend whose speed is 1; null for the first available backend.</param>
    /// <param name="progress">Progress; may be null.</param>
    /// <param name="cancellationToken">Stops within one run.</param>
    /// <param name="logger">Logs each phase.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options or a baseline that is not available;
    /// <see cref="ErrorCode.BackendUnavailable"/> when no backend can run.</exception>
    public static ComparisonReport Compare(IReadOnlyList<Model> models, IReadOnlyList<Backend> backends, ProfileOptions? options = null,
        string? baseline = null, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(backends);
        options ??= ProfileOptions.Default;
        options.ThrowIfInvalid();
        return Comparison.Run(models, backends, options, baseline, progress, cancellationToken, logger);
    }

    /// <summary>
    /// Runs the same inputs through <paramref name="backend"/> and <paramref name="reference"/> and compares every
    /// output: absolute and relative error, cosine similarity and, for classifier outputs, top-1 agreement.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">The backend under test.</param>
    /// <param name="reference">The reference backend (usually ort-cpu in FP32).</param>
    /// <param name="options">Inputs (fill, seed, shapes, batch); null for the defaults.</param>
    /// <param name="referenceModel">The model the reference runs, when it differs (the FP32 original of a compressed model).</param>
    /// <returns>One entry per output.</returns>
    /// <exception cref="LightNetException">Unavailable backends, bad inputs or backend failures.</exception>
    public static IReadOnlyList<FidelityReport> CompareOutputs(Model model, Backend backend, Backend reference, ProfileOptions? options = null,
        Model? referenceModel = null) =>
        Fidelity.Compare(model, backend, reference, options ?? ProfileOptions.Default, referenceModel ?? model);

    /// <summary>
    /// Times the whole classification of a photo, stage by stage — decode, preprocess, inference, postprocess (softmax and
    /// top-5) — with the same warm-up, run and time limits and the same statistics as <see cref="Measure"/>. The file is
    /// read once; every run decodes its bytes, preprocesses into one reused tensor and runs a prepared session.
    /// </summary>
    /// <param name="model">A classifier with one image input.</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="imagePath">A JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="preprocessor">How to feed the model; null for <see cref="Preprocessing.ImagePreprocessor.For(Model)"/>.</param>
    /// <param name="options">How to measure; null for <see cref="ProfileOptions.Default"/>. Batch size must be 1; input fill and shapes are ignored.</param>
    /// <param name="progress">Receives the phase and run count; may be null.</param>
    /// <param name="cancellationToken">Stops the measurement within one run.</param>
    /// <returns>Per-stage and total latency, and the top-5 classes of the last run.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a null or empty argument, bad options or a model
    /// that does not match the preprocessor; <see cref="ErrorCode.IOFailure"/> when the file cannot be read;
    /// <see cref="ErrorCode.InvalidImage"/> naming the file when it is not a usable image; <see cref="ErrorCode.BackendUnavailable"/>
    /// with the reason; the backend's errors.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static PipelineReport MeasurePipeline(Model model, Backend backend, string imagePath, Preprocessing.ImagePreprocessor? preprocessor = null,
        ProfileOptions? options = null, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PipelineProfiler.Measure(model, backend, imagePath, preprocessor, options, progress, cancellationToken);

    /// <summary>As <see cref="MeasurePipeline(Model, Backend, string, Preprocessing.ImagePreprocessor?, ProfileOptions?, IProgress{ProfileProgress}?, CancellationToken)"/>,
    /// on an encoded image held in memory.</summary>
    /// <param name="model">A classifier with one image input.</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="imageBytes">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="preprocessor">How to feed the model; null for <see cref="Preprocessing.ImagePreprocessor.For(Model)"/>.</param>
    /// <param name="options">How to measure; null for <see cref="ProfileOptions.Default"/>. Batch size must be 1.</param>
    /// <param name="progress">Receives the phase and run count; may be null.</param>
    /// <param name="cancellationToken">Stops the measurement within one run.</param>
    /// <returns>Per-stage and total latency, and the top-5 classes of the last run.</returns>
    /// <exception cref="LightNetException">As for the file overload, without <see cref="ErrorCode.IOFailure"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static PipelineReport MeasurePipeline(Model model, Backend backend, byte[] imageBytes, Preprocessing.ImagePreprocessor? preprocessor = null,
        ProfileOptions? options = null, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PipelineProfiler.Measure(model, backend, imageBytes, null, preprocessor, options, progress, cancellationToken);

    internal static string ModelName(Model model) =>
        model.Metadata.TryGetValue("lightnet.zoo.name", out string? zoo) ? zoo
        : model.SourcePath is not null ? Path.GetFileName(model.SourcePath)
        : model.Graph.Name.Length > 0 ? model.Graph.Name : "model";

    private static int Warmup(IPreparedRun run, ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct, ILogger logger)
    {
        long start = Stopwatch.GetTimestamp();
        int done = 0;
        while (done < options.WarmupRuns || Stopwatch.GetElapsedTime(start).TotalSeconds < options.WarmupSeconds)
        {
            ct.ThrowIfCancellationRequested();
            run.Run();
            done++;
            progress?.Report(new ProfileProgress(ProfilePhase.WarmingUp, done, options.WarmupRuns, Stopwatch.GetElapsedTime(start)));
            if (Stopwatch.GetElapsedTime(start).TotalSeconds > Math.Max(options.MaxSeconds, options.WarmupSeconds))
            {
                break;
            }
        }

        logger.LogDebug("Warmed up with {Runs} runs in {Seconds:F2} s", done, Stopwatch.GetElapsedTime(start).TotalSeconds);
        return done;
    }

    private static (double[] Samples, double AllocatedPerRun, long PeakRss, bool CutByMaxTime) TimedLoop(
        IPreparedRun run, ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct, ILogger logger)
    {
        var samples = new double[Math.Max(options.Runs, 256)];
        int n = 0;
        long allocated = 0;
        long peakRss = 0;
        long loopStart = Stopwatch.GetTimestamp();
        double elapsed = 0;
        bool cut = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            long before = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            run.Run();
            long end = Stopwatch.GetTimestamp();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;

            // Everything below is outside the timed region.
            if (n == samples.Length)
            {
                Array.Resize(ref samples, samples.Length * 2);
            }

            samples[n++] = Stopwatch.GetElapsedTime(t, end).TotalMilliseconds;
            if (options.SampleMemory)
            {
                peakRss = Math.Max(peakRss, CurrentRss());
            }

            elapsed = Stopwatch.GetElapsedTime(loopStart).TotalSeconds;
            progress?.Report(new ProfileProgress(ProfilePhase.Measuring, n, options.Runs, TimeSpan.FromSeconds(elapsed)));
            bool enough = n >= options.Runs && elapsed >= options.MinSeconds;
            if (enough)
            {
                break;
            }

            if (elapsed >= options.MaxSeconds)
            {
                cut = n < options.Runs;
                break;
            }

            if (options.Cooldown > TimeSpan.Zero)
            {
                ct.WaitHandle.WaitOne(options.Cooldown);
            }
        }

        logger.LogDebug("Timed {Runs} runs in {Seconds:F2} s", n, elapsed);
        return (samples[..n], (double)allocated / n, peakRss, cut);
    }

    private static OperatorProfile? ProfileOperators(Model model, Backend backend, Dictionary<string, TensorBuffer> inputs, ProfileOptions options,
        double medianMs, IProgress<ProfileProgress>? progress, CancellationToken ct, ILogger logger, List<string> warnings)
    {
        // A separate session and pass: profiling slows every node down, so it must not touch the latency numbers.
        using IInferenceSession session = backend.CreateSession(model, MeasurementInputs.SessionOptions(model, options, inputs, perOperatorProfiling: true));
        using IPreparedRun run = session.Prepare(inputs); // its run is the warm-up, skipped below
        int done = PerOperatorPass(run, options, progress, ct);
        OperatorProfile? profile = session.CollectOperatorProfile(skipFirstRuns: 1);
        if (profile is null)
        {
            warnings.Add($"Backend '{backend.Name}' does not report per-operator times.");
        }
        else
        {
            warnings.AddRange(OperatorProfileWarnings(profile, medianMs));
        }

        logger.LogDebug("Per-operator pass: {Runs} runs", done);
        return profile;
    }

    /// <summary>
    /// Runs the per-operator pass: at least <see cref="ProfileOptions.PerOperatorRuns"/> runs and at least
    /// <see cref="ProfileOptions.PerOperatorSeconds"/>, so that a fast model gets enough runs for stable shares, and stops at
    /// the larger of <see cref="ProfileOptions.MaxSeconds"/> and <see cref="ProfileOptions.PerOperatorSeconds"/> (after two
    /// runs at least, the first of which the profile skips), so that a slow model keeps the pass bounded.
    /// </summary>
    /// <returns>The runs done.</returns>
    internal static int PerOperatorPass(IPreparedRun run, ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        double cap = Math.Max(options.MaxSeconds, options.PerOperatorSeconds);
        int done = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            run.Run();
            done++;
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            progress?.Report(new ProfileProgress(ProfilePhase.ProfilingOperators, done, options.PerOperatorRuns, elapsed));
            if ((done >= options.PerOperatorRuns && elapsed.TotalSeconds >= options.PerOperatorSeconds)
                || (done >= 2 && elapsed.TotalSeconds >= cap))
            {
                return done;
            }
        }
    }

    /// <summary>Profiles from fewer runs than this are flagged as rough.</summary>
    internal const int MinimumOperatorRuns = 5;

    /// <summary>
    /// The per-operator kernel time of one run may differ from the end-to-end median by at most this factor either way
    /// before the profile is flagged: the kernels of one run cannot take much longer than the run, and when they account
    /// for far less of it the shares describe a different run.
    /// </summary>
    internal const double OperatorTotalMismatchFactor = 2.0;

    /// <summary>Warnings on a per-operator profile: too few runs, or a per-run kernel total far from the measured median.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="medianMs">The end-to-end median latency of the timed loop.</param>
    internal static IEnumerable<string> OperatorProfileWarnings(OperatorProfile profile, double medianMs)
    {
        if (profile.Runs < MinimumOperatorRuns)
        {
            yield return $"The per-operator times come from only {profile.Runs} run{(profile.Runs == 1 ? "" : "s")}: the operator shares are rough; "
                + "raise the per-operator runs or seconds.";
        }

        if (profile.Runs > 0 && medianMs > 0)
        {
            double perRun = profile.TotalMs / profile.Runs;
            double ratio = perRun / medianMs;
            if (ratio > OperatorTotalMismatchFactor || ratio < 1 / OperatorTotalMismatchFactor)
            {
                yield return $"The per-operator pass is noisy: its kernels add up to {perRun:F3} ms per run, {ratio:F2}× the measured median of "
                    + $"{medianMs:F3} ms; the operator shares may not describe the timed runs.";
            }
        }
    }

    internal static void Warn(LatencyStatistics stats, ProfileOptions options, bool cutByMaxTime, List<string> warnings)
    {
        if (cutByMaxTime)
        {
            warnings.Add($"Stopped at the {options.MaxSeconds} s limit after {stats.Count} runs, fewer than the {options.Runs} asked for.");
        }

        if (stats.Count < 10)
        {
            warnings.Add($"Only {stats.Count} timed runs: percentiles and confidence intervals are rough; use more runs.");
        }

        if (stats.CoefficientOfVariation > 0.10)
        {
            warnings.Add($"Noisy timings: the coefficient of variation is {stats.CoefficientOfVariation:P0}; close other work or add runs.");
        }

        if (DriftWarning(stats.Drift, options.DriftThreshold) is string drift)
        {
            warnings.Add(drift);
        }
    }

    /// <summary>
    /// The warning for a run whose speed changed from its first quarter to its last (<paramref name="drift"/>: the last
    /// quarter's median over the first's), worded by direction: a slow-down beyond <paramref name="threshold"/> suggests
    /// throttling or a busy machine; a speed-up beyond <c>1 / threshold</c> is unfinished warm-up or noise, never throttling.
    /// </summary>
    /// <param name="drift">The drift ratio.</param>
    /// <param name="threshold">The ratio beyond which a change is reported (above 1).</param>
    /// <returns>The warning, or null for a steady run.</returns>
    internal static string? DriftWarning(double drift, double threshold)
    {
        if (IsSlowDown(drift, threshold))
        {
            string by = double.IsPositiveInfinity(drift) ? "from 0 ms" : $"by {drift - 1:P0}";
            return $"Runs slowed down {by} from the first quarter to the last (drift {drift:F2}): the machine may be throttling or busy; add a cooldown or close other work.";
        }

        if (drift < 1.0 / threshold)
        {
            return $"Runs sped up by {1 - drift:P0} from the first quarter to the last (drift {drift:F2}): the warm-up was too short or the timings are noisy (not throttling); add warm-up runs or time.";
        }

        return null;
    }

    /// <summary>Whether <paramref name="drift"/> is a slow-down beyond <paramref name="threshold"/>: the sign of possible throttling.</summary>
    internal static bool IsSlowDown(double drift, double threshold) => drift > threshold;

    internal static ModelSummary Summarize(Model model, string name, ModelInfo? info, Dictionary<string, TensorBuffer> inputs) => new()
    {
        Name = name,
        Parameters = info?.Parameters ?? 0,
        Macs = info?.Macs ?? 0,
        FileBytes = model.SerializedBytes,
        WeightBytes = info?.WeightBytes ?? model.Graph.Initializers.Values.Sum(t => t.ByteCount),
        PeakActivationBytes = info?.PeakActivationBytes ?? 0,
        Opset = model.Opset,
        Producer = $"{model.ProducerName} {model.ProducerVersion}".Trim(),
        InputShapes = inputs.ToDictionary(p => p.Key, p => p.Value.Shape.ToArray()),
    };

    /// <summary>
    /// The backend as it ran: the thread count of the measurement (<see cref="ProfileOptions.Threads"/>, which the sessions
    /// are created with) overrides the backend's own <c>threads=</c> option, so the device description and the options are
    /// those of the backend with that thread count, and the report never says "4 threads" beside a run on 1.
    /// </summary>
    /// <param name="backend">The backend as named.</param>
    /// <param name="threads">The measurement's thread count; null when the backend chose.</param>
    internal static BackendSummary Summarize(Backend backend, int? threads)
    {
        Backend effective = EffectiveBackend(backend, threads);
        var options = new Dictionary<string, string>(effective.EffectiveOptions, StringComparer.Ordinal);
        if (threads is int t && options.ContainsKey("threads"))
        {
            options["threads"] = t.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new BackendSummary
        {
            Name = backend.Name,
            Kind = backend.Kind.ToString(),
            Precision = backend.Precision.ToString(),
            Device = effective.Device,
            Options = options,
        };
    }

    /// <summary>
    /// <paramref name="backend"/> with its <c>threads=</c> option set to <paramref name="threads"/> when the two differ and the
    /// backend takes that option; otherwise <paramref name="backend"/> itself.
    /// </summary>
    internal static Backend EffectiveBackend(Backend backend, int? threads)
    {
        string text = threads?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        if (threads is null || !backend.EffectiveOptions.ContainsKey("threads")
            || (backend.Spec.Values.TryGetValue("threads", out string? given) && given == text))
        {
            return backend;
        }

        var values = backend.Spec.Values.Where(p => p.Key != "threads").Select(p => $"{p.Key}={p.Value}").Append($"threads={text}");
        string name = backend.Spec.Name + ":" + string.Join(",", backend.Spec.Flags.Concat(values));
        try
        {
            return Backend.Parse(name);
        }
        catch (LightNetException)
        {
            return backend;
        }
    }

    /// <summary>A warning when <paramref name="threads"/> overrides a different <c>threads=</c> option of the backend's name.</summary>
    internal static string? ThreadsOverrideWarning(Backend backend, int? threads) =>
        threads is int t && backend.Spec.Values.TryGetValue("threads", out string? given)
            && given != t.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ? $"Backend '{backend.Name}' ran with {t} thread{(t == 1 ? "" : "s")}: the measurement's thread count overrides its threads={given}."
            : null;

    /// <summary>The process's resident set size in bytes.</summary>
    internal static long CurrentRss() => Environment.WorkingSet;
}

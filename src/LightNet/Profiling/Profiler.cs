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
    /// <returns>The report. Each phase is logged to <see cref="ProfileOptions.LoggerFactory"/>.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> listing every problem with the options,
    /// <see cref="ErrorCode.BackendUnavailable"/> with the reason, <see cref="ErrorCode.MissingDimension"/> listing the dynamic
    /// dimensions without a value, or the backend's errors.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="backend"/> is null.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ProfileReport Measure(Model model, Backend backend, ProfileOptions? options = null,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        var warnings = new List<string>();
        MeasurementSetup setup = MeasurementSetup.Create(model, backend, options, warnings);
        options = setup.Options;
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Profiler).FullName!);
        string name = ModelName(model);
        Dictionary<string, TensorBuffer> inputs = setup.Inputs;
        ModelInfo? info = setup.Info;
        InferenceOptions inferenceOptions = setup.SessionOptions;

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
        if (LastRunCompiledPlan(session))
        {
            warnings.Add("The first run compiled the cpu-simd plan for these input shapes (a first run at a new shape), so the first-run time includes compilation.");
        }

        using IPreparedRun run = session.Prepare(inputs);
        var sampler = new MeasurementSampler(options, progress, cancellationToken);
        WarmupSummary warmup = sampler.WarmUp(run.Run, backend);
        logger.LogDebug("Warmed up with {Runs} runs in {Seconds:F2} s (steady: {Steady})", warmup.Runs, warmup.Seconds, warmup.Steady);
        long peakRss = rssAfterLoad;
        LoopResult loop = sampler.Loop(run.Run, options.SampleMemory ? (_, _) => peakRss = Math.Max(peakRss, CurrentRss()) : null);
        double[] samples = loop.Samples;
        logger.LogDebug("Timed {Runs} runs in {Seconds:F2} s", samples.Length, loop.Seconds);

        LatencyStatistics stats = LatencyStatistics.FromSamples(samples);
        ChangePoint? changePoint = FindChangePoint(samples, options);
        OperatorProfile? operators = null;
        if (options.PerOperatorProfile)
        {
            operators = ProfileOperators(model, [backend], inputs, options, [stats.Median], progress, cancellationToken, logger, [warnings])[0];
        }

        Warn(stats, options, loop.CutByMaxTime, warnings, warmup, changePoint, loop.CpuSteal);
        long batch = inputs.Values.FirstOrDefault()?.Shape.FirstOrDefault() ?? 1;
        progress?.Report(new ProfileProgress(ProfilePhase.Completed, samples.Length, samples.Length, TimeSpan.Zero));
        logger.LogInformation("{Model} on {Backend}: median {Median:F3} ms over {Runs} runs", name, backend.Name, stats.Median, stats.Count);

        return new ProfileReport
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = OrtBackend.RuntimeVersion },
            Model = Summarize(model, name, info, inputs),
            Backend = Summarize(backend, session.EffectiveSettings),
            Settings = MeasurementSettings.From(options, warmup.Runs, samples.Length, (int)batch, options.InputFill.ToString(), session.EffectiveSettings),
            Warmup = warmup,
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
                ManagedBytesPerRun = loop.AllocatedPerRun,
            },
            Stability = Stability(stats, changePoint, options),
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
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException">As for <see cref="Measure"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="backend"/> is null.</exception>
    public static Task<ProfileReport> MeasureAsync(Model model, Backend backend, ProfileOptions? options = null,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        return Task.Run(() => Measure(model, backend, options, progress, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Measures every model on every available backend with interleaved runs and reports each backend's speed-up
    /// over <paramref name="baseline"/> with a confidence interval. Unavailable backends are listed with the reason.
    /// With <see cref="ProfileOptions.PerOperatorProfile"/>, each backend that ran a model is then profiled per operator
    /// and <see cref="ComparisonReport.Layers"/> says where each model's time goes by layer kind (<see cref="LayerBreakdown"/>).
    /// </summary>
    /// <param name="models">The models.</param>
    /// <param name="backends">The backends; unavailable ones are skipped and listed.</param>
    /// <param name="options">How to measure (warm-up runs, runs, seconds, threads, batch, inputs, per-operator profile).</param>
    /// <param name="baseline">The backend whose speed is 1; null for the first available backend.</param>
    /// <param name="progress">Progress; may be null.</param>
    /// <param name="cancellationToken">Stops within one run.</param>
    /// <returns>The comparison. Each phase is logged to <see cref="ProfileOptions.LoggerFactory"/>.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options or a baseline that is not available;
    /// <see cref="ErrorCode.BackendUnavailable"/> when no backend can run.</exception>
    public static ComparisonReport Compare(IReadOnlyList<Model> models, IReadOnlyList<Backend> backends, ProfileOptions? options = null,
        string? baseline = null, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(backends);
        options ??= ProfileOptions.Default;
        options.ThrowIfInvalid();
        return Comparison.Run(models, backends, options, baseline, progress, cancellationToken);
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
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty image path, bad options or a model
    /// that does not match the preprocessor; <see cref="ErrorCode.IOFailure"/> when the file cannot be read;
    /// <see cref="ErrorCode.InvalidImage"/> naming the file when it is not a usable image; <see cref="ErrorCode.BackendUnavailable"/>
    /// with the reason; the backend's errors.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="backend"/> or <paramref name="imagePath"/> is null.</exception>
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
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="backend"/> or <paramref name="imageBytes"/> is null.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static PipelineReport MeasurePipeline(Model model, Backend backend, byte[] imageBytes, Preprocessing.ImagePreprocessor? preprocessor = null,
        ProfileOptions? options = null, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PipelineProfiler.Measure(model, backend, imageBytes, null, preprocessor, options, progress, cancellationToken);

    /// <summary>
    /// Measures cold starts: starts <see cref="ColdStartOptions.Processes"/> fresh processes one after the other, each of
    /// which loads the model, creates a session and runs it twice (<see cref="RunColdStartProbe"/>), and reports each stage —
    /// process start to model loaded, session creation, first and second inference — as a distribution over the processes
    /// (what BenchmarkDotNet's ColdStart strategy and AI Hub's first/warm load report).
    /// </summary>
    /// <param name="options">The program to start and how many times.</param>
    /// <param name="progress">Receives the process count; may be null.</param>
    /// <param name="cancellationToken">Kills the running process and stops.</param>
    /// <returns>The distributions.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options or a program that cannot start;
    /// <see cref="ErrorCode.InferenceFailed"/> with the child's last error line when a process fails, times out or prints no result.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ColdStartSummary MeasureColdStart(ColdStartOptions options, IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ColdStart.Measure(options, progress, cancellationToken);

    /// <summary>
    /// The child's side of <see cref="MeasureColdStart"/>: loads the model with <paramref name="load"/>, notes the time, creates a
    /// session with the measurement's session options, runs it twice and writes one line — <c>lightnet-cold-start </c> and a
    /// JSON object with <c>loadedUtcTicks</c>, <c>createSessionMs</c>, <c>firstRunMs</c> and <c>secondRunMs</c> — to
    /// <paramref name="output"/>. Call it first thing in a fresh process.
    /// </summary>
    /// <param name="load">Loads or builds the model (timed as part of the load stage).</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="options">Threads, batch, shapes and inputs; null for the defaults.</param>
    /// <param name="output">Where the result line goes (standard output in a child process).</param>
    /// <exception cref="LightNetException">As for <see cref="Measure"/>.</exception>
    public static void RunColdStartProbe(Func<Model> load, Backend backend, ProfileOptions? options, TextWriter output) =>
        ColdStart.RunProbe(load, backend, options, output);

    /// <summary>
    /// Runs <paramref name="model"/> back to back for <paramref name="seconds"/> after a steady-state warm-up and records a
    /// timeline — per interval the median and p90 latency, the clock of every core, the hottest temperature and the package
    /// power where the OS exposes them (the report lists what it could not read) — and detects throttling as a change point
    /// in the run times: when the slower phase began and how much slower it is.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="seconds">How long to run, more than 0 and at most 86400.</param>
    /// <param name="options">Threads, batch, shapes, cooldown, warm-up and drift threshold; null for the defaults (run counts and times are ignored).</param>
    /// <param name="intervalSeconds">The timeline's interval; default 1 s.</param>
    /// <param name="progress">Progress; may be null.</param>
    /// <param name="cancellationToken">Stops within one run.</param>
    /// <returns>The timeline and throttling.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a bad duration or interval, otherwise as for <see cref="Measure"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static SustainedSummary MeasureSustained(Model model, Backend backend, double seconds, ProfileOptions? options = null, double intervalSeconds = 1,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Sustained.Measure(model, backend, seconds, options, intervalSeconds, progress, cancellationToken);

    /// <summary>
    /// Measures throughput and latency under load: <see cref="LoadOptions.Concurrency"/> requests in flight on one session
    /// (closed loop), or requests arriving at <see cref="LoadOptions.RateRps"/> per second whatever the answers (open loop,
    /// like MLPerf's Server scenario), after lighter loads that locate the knee where latency climbs.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">The backend; it must be available.</param>
    /// <param name="load">The load.</param>
    /// <param name="options">Threads per inference, batch, shapes, warm-up; null for the defaults.</param>
    /// <param name="progress">Progress; may be null.</param>
    /// <param name="cancellationToken">Stops within one request per thread.</param>
    /// <returns>The throughput, latency percentiles and knee.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad load options, otherwise as for <see cref="Measure"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static LoadSummary MeasureLoad(Model model, Backend backend, LoadOptions load, ProfileOptions? options = null,
        IProgress<ProfileProgress>? progress = null, CancellationToken cancellationToken = default) =>
        LoadTest.Measure(model, backend, load, options, progress, cancellationToken);

    internal static string ModelName(Model model) =>
        model.Metadata.TryGetValue("lightnet.zoo.name", out string? zoo) ? zoo
        : model.SourcePath is not null ? Path.GetFileName(model.SourcePath)
        : model.Graph.Name.Length > 0 ? model.Graph.Name : "model";

    /// <summary>
    /// Profiles <paramref name="backends"/> per operator on one model, each in a session of its own, and returns one profile
    /// per backend (null where a backend does not report per-operator times), adding each one's warnings to its list.
    /// </summary>
    internal static OperatorProfile?[] ProfileOperators(Model model, IReadOnlyList<Backend> backends, Dictionary<string, TensorBuffer> inputs,
        ProfileOptions options, IReadOnlyList<double> mediansMs, IProgress<ProfileProgress>? progress, CancellationToken ct, ILogger logger,
        IReadOnlyList<List<string>> warnings)
    {
        // Separate sessions and pass: profiling slows every node down, so it must not touch the latency numbers. With several
        // backends the runs alternate round by round, so that a change of load reaches every backend's profile alike.
        var sessions = new List<IInferenceSession>();
        var runs = new List<IPreparedRun>();
        try
        {
            foreach (Backend backend in backends)
            {
                sessions.Add(backend.CreateSession(model, MeasurementInputs.SessionOptions(model, options, inputs, perOperatorProfiling: true)));
                runs.Add(sessions[^1].Prepare(inputs)); // its first run is the warm-up, skipped below
            }

            int done = PerOperatorPass(runs, options, progress, ct);
            var profiles = new OperatorProfile?[backends.Count];
            for (int i = 0; i < profiles.Length; i++)
            {
                profiles[i] = sessions[i].CollectOperatorProfile(skipFirstRuns: 1);
                if (profiles[i] is not { } profile)
                {
                    warnings[i].Add($"Backend '{backends[i].Name}' does not report per-operator times.");
                }
                else
                {
                    warnings[i].AddRange(OperatorProfileWarnings(profile, mediansMs[i]));
                }
            }

            logger.LogDebug("Per-operator pass: {Runs} runs per backend", done);
            return profiles;
        }
        finally
        {
            runs.ForEach(r => r.Dispose());
            sessions.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// Runs the per-operator pass: at least <see cref="ProfileOptions.PerOperatorRuns"/> runs and at least
    /// <see cref="ProfileOptions.PerOperatorSeconds"/>, so that a fast model gets enough runs for stable shares, and stops at
    /// the larger of <see cref="ProfileOptions.MaxSeconds"/> and <see cref="ProfileOptions.PerOperatorSeconds"/> (after two
    /// runs at least, the first of which the profile skips), so that a slow model keeps the pass bounded.
    /// </summary>
    /// <returns>The runs done.</returns>
    internal static int PerOperatorPass(IPreparedRun run, ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct) =>
        PerOperatorPass([run], options, progress, ct);

    /// <summary>
    /// The per-operator pass of several sessions, taking turns, with the bounds of the single pass for each session: the
    /// seconds are counted per session (the time spent running divided by the sessions). With
    /// <see cref="ProfileOptions.SwitchSettle"/> above zero each turn is a block of runs lasting twice the settle, after an
    /// idle wait of the settle: a backend whose worker threads spin after a run (ONNX Runtime's intra-op pool,
    /// <c>cpu-simd</c>'s workers) would otherwise hold a core through the next backend's first runs, which on a machine
    /// with as many cores as threads runs that backend's operators at a fraction of their parallel speed. The timed pass
    /// settles with untimed runs instead; here every run is recorded, so the wait is idle.
    /// </summary>
    /// <returns>The fewest runs any session did.</returns>
    internal static int PerOperatorPass(IReadOnlyList<IPreparedRun> runs, ProfileOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        double cap = Math.Max(options.MaxSeconds, options.PerOperatorSeconds);
        bool blocks = runs.Count > 1 && options.SwitchSettle > TimeSpan.Zero;
        long blockTicks = blocks ? (long)(2 * options.SwitchSettle.TotalSeconds * Stopwatch.Frequency) : 0;
        var done = new int[runs.Count];
        long running = 0;
        for (int round = 0; ; round++)
        {
            for (int i = 0; i < runs.Count; i++)
            {
                if (blocks)
                {
                    ct.WaitHandle.WaitOne(options.SwitchSettle);
                }

                long blockStart = Stopwatch.GetTimestamp();
                do
                {
                    ct.ThrowIfCancellationRequested();
                    runs[i].Run();
                    done[i]++;
                }
                while (Stopwatch.GetTimestamp() - blockStart < blockTicks
                    && (running + Stopwatch.GetTimestamp() - blockStart) / (double)Stopwatch.Frequency / runs.Count < cap);
                running += Stopwatch.GetTimestamp() - blockStart;
            }

            int fewest = done.Min();
            double perSession = running / (double)Stopwatch.Frequency / runs.Count;
            progress?.Report(new ProfileProgress(ProfilePhase.ProfilingOperators, fewest, options.PerOperatorRuns, TimeSpan.FromSeconds(perSession * runs.Count)));
            if ((fewest >= options.PerOperatorRuns && perSession >= options.PerOperatorSeconds)
                || (fewest >= 2 && perSession >= cap))
            {
                return fewest;
            }
        }
    }

    /// <summary>Noisy nodes below this share of the kernel time (percent) are not worth a warning.</summary>
    internal const double MinimumFlaggedOperatorPercent = 1.0;

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

        OperatorTiming[] noisy = profile.Nodes.Where(n => n.Noisy && n.Percent >= MinimumFlaggedOperatorPercent).ToArray();
        if (noisy.Length > 0)
        {
            string worst = string.Join(", ", noisy.Take(3).Select(n =>
                $"{n.Name} ({n.OpType}, {n.Percent:F1}% of the time, mean {n.MeanMs:F3} ms ±{(n.MeanCi.Upper - n.MeanCi.Lower) / 2 / n.MeanMs:P0})"));
            yield return $"{noisy.Length} operator{(noisy.Length == 1 ? " has" : "s have")} noisy times (95% interval of the mean wider than "
                + $"±{OperatorTiming.NoisyHalfWidth:P0}): {worst}{(noisy.Length > 3 ? ", ..." : "")}; their shares are uncertain; raise the per-operator seconds or close other work.";
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

    /// <summary>The share of the machine's CPU time taken by the hypervisor (steal) during the timed runs from which a report warns.</summary>
    internal const double StealWarningShare = 0.05;

    /// <summary>The warning for <paramref name="cpuSteal"/> (<see cref="StealMeter"/>) at or above <see cref="StealWarningShare"/>, else null.</summary>
    internal static string? StealWarning(double? cpuSteal) =>
        cpuSteal >= StealWarningShare
            ? $"The hypervisor took {cpuSteal:P0} of this virtual machine's CPU time while the runs were timed (steal time, /proc/stat): "
                + "other guests share its cores, so these timings, and thread scaling most of all, are not the machine's own; measure again when the host is quiet."
            : null;

    internal static void Warn(LatencyStatistics stats, ProfileOptions options, bool cutByMaxTime, List<string> warnings,
        WarmupSummary? warmup = null, ChangePoint? changePoint = null, double? cpuSteal = null)
    {
        if (StealWarning(cpuSteal) is string steal)
        {
            warnings.Add(steal);
        }

        if (warmup is not null && WarmupWarning(warmup, options) is string unsteady)
        {
            warnings.Add(unsteady);
        }

        if (changePoint is not null && ChangePointWarning(changePoint, "run", changePoint.Index + 1) is string shift)
        {
            warnings.Add(shift);
        }

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

    /// <summary>The warning for a steady-state warm-up that gave up before the runs stopped improving; null otherwise.</summary>
    internal static string? WarmupWarning(WarmupSummary warmup, ProfileOptions options) =>
        warmup.Steady || !options.SteadyStateWarmup ? null
        : $"The warm-up did not reach a steady state ({warmup.Runs} runs in {warmup.Seconds:F1} s; "
            + (warmup.Runs < warmup.MinimumRuns + MeasurementSampler.MinimumWindowRuns
                ? $"a managed engine's warm-up is judged only after its first {warmup.MinimumRuns} runs, while the JIT optimises its code)"
                : "the runs were still getting faster)")
            + ": the timed runs may include the end of the warm-up; raise the warm-up maximum time or close other work.";

    /// <summary>
    /// The warning for a level shift in the timed runs, worded by direction: a slower phase from the change point on suggests
    /// throttling or a busy machine; a faster one is the end of a warm-up or a neighbour going quiet, never throttling.
    /// </summary>
    /// <param name="changePoint">The change point.</param>
    /// <param name="unit">What the position counts ("run", "second").</param>
    /// <param name="position">Where the new phase began, in <paramref name="unit"/>s.</param>
    internal static string? ChangePointWarning(ChangePoint changePoint, string unit, double position)
    {
        double ratio = changePoint.Ratio;
        string at = $"{unit} {position.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)}";
        return ratio > 1
            ? $"The runs slowed down by {ratio - 1:P0} from {at} on (median {changePoint.MedianBeforeMs:F3} → {changePoint.MedianAfterMs:F3} ms): "
                + "the machine may be throttling or busy; add a cooldown or close other work."
            : ratio < 1
                ? $"The runs sped up by {1 - ratio:P0} from {at} on (median {changePoint.MedianBeforeMs:F3} → {changePoint.MedianAfterMs:F3} ms): "
                    + "a late end of the warm-up or a neighbour going quiet (not throttling)."
                : null;
    }

    /// <summary>The level shift in the timed runs worth reporting: at least 5 runs (or 5% of them) on each side, beyond the drift threshold either way.</summary>
    internal static ChangePoint? FindChangePoint(IReadOnlyList<double> samples, ProfileOptions options) =>
        ChangePointDetector.Find(samples, Math.Max(5, samples.Count / 20), options.DriftThreshold);

    /// <summary>The stability part of a report: variation, drift, the change point, and whether either says the run slowed down.</summary>
    internal static StabilitySummary Stability(LatencyStatistics stats, ChangePoint? changePoint, ProfileOptions options) => new()
    {
        CoefficientOfVariation = stats.CoefficientOfVariation,
        Drift = stats.Drift,
        ChangePoint = changePoint,
        PossibleThrottling = IsSlowDown(stats.Drift, options.DriftThreshold) || changePoint?.Ratio > options.DriftThreshold,
    };

    /// <summary>
    /// Throws <see cref="ErrorCode.BackendUnavailable"/> with the reason when <paramref name="backend"/> cannot run on this machine:
    /// the one availability check every measurement (and the CLI, before it builds a model) makes.
    /// </summary>
    /// <param name="backend">The backend.</param>
    /// <returns><paramref name="backend"/>, for chaining.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.BackendUnavailable"/> with the probe's reason.</exception>
    public static Backend RequireAvailable(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        BackendAvailability availability = backend.CheckAvailability();
        return availability.IsAvailable
            ? backend
            : throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{backend.Name}' is not available on this machine: {availability.Reason}");
    }

    /// <summary>Whether the session's last run compiled a cpu-simd plan, seen through telemetry and the shape-waiting wrapper.</summary>
    private static bool LastRunCompiledPlan(IInferenceSession session) => session switch
    {
        Telemetry.InstrumentedSession instrumented => LastRunCompiledPlan(instrumented.Inner),
        Engine.CpuSimdFallbackSession { Interpreted: false } fallback => fallback.Compiled.LastRunCompiledPlan,
        Engine.CpuSimdSession compiled => compiled.LastRunCompiledPlan,
        _ => false,
    };

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
    internal static BackendSummary Summarize(Backend backend, int? threads) =>
        Summarize(backend, SessionSettings.Of(EffectiveBackend(backend, threads), threads));

    /// <summary>
    /// The backend as its session reports it ran (<see cref="IInferenceSession.EffectiveSettings"/>): the device, the options
    /// and the thread count are read back from the session, not derived from the name or the requested options.
    /// </summary>
    /// <param name="backend">The backend as named.</param>
    /// <param name="effective">The settings read back from the session that was measured.</param>
    internal static BackendSummary Summarize(Backend backend, SessionSettings effective) => new()
    {
        Name = backend.Name,
        Kind = backend.Kind.ToString(),
        Precision = effective.Precision.ToString(),
        Device = effective.Device,
        Options = effective.Options,
    };

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

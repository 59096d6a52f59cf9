using System.Diagnostics;
using LightNet.Backends;
using LightNet.Backends.OnnxRuntime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Profiling;

/// <summary>The interleaved model × backend measurement behind <see cref="Profiler.Compare"/>.</summary>
internal static class Comparison
{
    public static ComparisonReport Run(IReadOnlyList<Model> models, IReadOnlyList<Backend> backends, ProfileOptions options, string? baseline,
        IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Profiler).FullName!);
        if (models.Count == 0 || backends.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A comparison needs at least one model and one backend.");
        }

        var available = new List<Backend>(); // the partition of the backends by the same probe Profiler.RequireAvailable makes
        var unavailable = new List<UnavailableBackend>();
        foreach (Backend b in backends.DistinctBy(b => b.Name))
        {
            BackendAvailability a = b.CheckAvailability();
            if (a.IsAvailable) available.Add(b); else unavailable.Add(new UnavailableBackend(b.Name, a.Reason));
        }

        if (available.Count == 0)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable,
                "None of the backends can run here: " + string.Join("; ", unavailable.Select(u => $"{u.Name}: {u.Reason}")));
        }

        string baselineName = baseline is null ? available[0].Name : Backend.Parse(baseline).Name;
        if (available.All(b => b.Name != baselineName))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The baseline '{baselineName}' is not among the available backends ({string.Join(", ", available.Select(b => b.Name))}).");
        }

        // Shapes are given by input name for all the models together: each model takes those of its own inputs, and a name
        // that is an input of none of them is a mistake.
        foreach (string name in (options.InputShapes?.Keys ?? []).Where(n => models.All(m => m.Graph.Inputs.All(i => i.Name != n))))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"A shape was given for '{name}', which is not an input of {(models.Count == 1 ? "the model" : "any of the models")} "
                + $"(inputs: {string.Join(", ", models.SelectMany(m => m.Graph.Inputs.Select(i => i.Name)).Distinct(StringComparer.Ordinal))}).");
        }

        var cells = new List<ComparisonCell>();
        var layers = new List<LayerBreakdown>();
        int batch = options.BatchSize;
        foreach (Model model in models)
        {
            cells.AddRange(CompareOne(model, available, baselineName, options, progress, logger, ct, layers));
        }

        return new ComparisonReport
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = OrtBackend.RuntimeVersion },
            Baseline = baselineName,
            Settings = MeasurementSettings.From(options, cells.Where(c => c.Warmup is not null).Select(c => c.Warmup!.Runs).DefaultIfEmpty(0).Min(),
                cells.Where(c => c.LatencyMs is not null).Select(c => c.LatencyMs!.Count).DefaultIfEmpty(0).Min(), batch, options.InputFill.ToString())
                with { SwitchSettleMs = options.SwitchSettle.TotalMilliseconds },
            Cells = cells,
            Unavailable = unavailable,
            Layers = layers,
        };
    }

    /// <summary>Measures one model on every backend; with <see cref="ProfileOptions.PerOperatorProfile"/>, then profiles each backend
    /// that ran it per operator and adds the model's <see cref="LayerBreakdown"/> to <paramref name="layers"/>.</summary>
    private static List<ComparisonCell> CompareOne(Model model, List<Backend> backends, string baselineName, ProfileOptions options,
        IProgress<ProfileProgress>? progress, ILogger logger, CancellationToken ct, List<LayerBreakdown> layers)
    {
        string name = Profiler.ModelName(model);
        var warnings = new List<string>();
        if (options.InputShapes is { Count: > 0 } given)
        {
            options = options with
            {
                InputShapes = given.Where(p => model.Graph.Inputs.Any(i => i.Name == p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            };
        }

        var inputs = MeasurementInputs.Create(model, options, out Analysis.ModelInfo? info, warnings);
        InferenceOptions sessionOptions = MeasurementInputs.SessionOptions(model, options, inputs);
        ModelSummary summary = Profiler.Summarize(model, name, info, inputs);

        var sessions = new List<(Backend Backend, IInferenceSession Session, IPreparedRun Run, double LoadMs)>();
        var failed = new List<ComparisonCell>();
        List<ComparisonCell> measured;
        try
        {
            foreach (Backend backend in backends)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    long t0 = Stopwatch.GetTimestamp();
                    IInferenceSession session = backend.CreateSession(model, sessionOptions);
                    double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    IPreparedRun run;
                    try
                    {
                        run = session.Prepare(inputs);
                    }
                    catch
                    {
                        session.Dispose();
                        throw;
                    }

                    sessions.Add((backend, session, run, loadMs));
                }
                catch (LightNetException e)
                {
                    logger.LogWarning("{Backend} cannot run {Model}: {Message}", backend.Name, name, e.Message);
                    failed.Add(new ComparisonCell { Model = summary, Backend = Profiler.Summarize(backend, options.Threads), Error = e.Message });
                }
            }

            // Every backend is warmed up to its steady state (or the warm-up's bounds) by the same rule as a single profile.
            var sampler = new MeasurementSampler(options, progress, ct);
            var warmups = new WarmupSummary[sessions.Count];
            for (int i = 0; i < sessions.Count; i++)
            {
                warmups[i] = sampler.WarmUp(sessions[i].Run.Run, sessions[i].Backend);
            }

            // Interleaved rounds, each starting at a different backend, so that drift or a noisy neighbour
            // spreads over every backend instead of favouring whichever ran first. With a switch settle, each turn
            // is a block: untimed runs until the previous backend's threads have gone quiet, then timed runs.
            var samples = sessions.Select(_ => new List<double>(options.Runs)).ToArray();
            bool blocks = sessions.Count > 1 && options.SwitchSettle > TimeSpan.Zero;
            long settleTicks = (long)(options.SwitchSettle.TotalSeconds * Stopwatch.Frequency);
            long start = Stopwatch.GetTimestamp();
            var steal = StealMeter.Start();
            for (int round = 0; ; round++)
            {
                for (int k = 0; k < sessions.Count; k++)
                {
                    int i = (round + k) % sessions.Count;
                    if (blocks)
                    {
                        long switched = Stopwatch.GetTimestamp();
                        do
                        {
                            sampler.ThrowIfCancelled();
                            sessions[i].Run.Run();
                        }
                        while (Stopwatch.GetTimestamp() - switched < settleTicks);
                    }

                    long blockStart = Stopwatch.GetTimestamp();
                    do
                    {
                        sampler.ThrowIfCancelled();
                        samples[i].Add(MeasurementSampler.TimeOne(sessions[i].Run.Run).Ms);
                        sampler.Cooldown();
                    }
                    while (blocks && Stopwatch.GetTimestamp() - blockStart < 2 * settleTicks
                        && Stopwatch.GetElapsedTime(start).TotalSeconds < options.MaxSeconds);
                }

                double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                int fewest = samples.Min(s => s.Count);
                sampler.Report(ProfilePhase.Measuring, Math.Min(fewest, options.Runs), options.Runs, TimeSpan.FromSeconds(elapsed));
                if (sampler.IsDone(fewest, elapsed, out _))
                {
                    break;
                }
            }

            double? cpuSteal = steal.Share();
            LatencyStatistics[] stats = samples.Select(s => LatencyStatistics.FromSamples(s.ToArray())).ToArray();
            int baseIndex = sessions.FindIndex(s => s.Backend.Name == baselineName);
            var cells = new List<ComparisonCell>();
            for (int i = 0; i < sessions.Count; i++)
            {
                bool hasBaseline = baseIndex >= 0;
                double speedUp = hasBaseline ? stats[baseIndex].Mean / stats[i].Mean : double.NaN;
                ConfidenceInterval ci = !hasBaseline ? new ConfidenceInterval(double.NaN, double.NaN, 0.95)
                    : i == baseIndex ? new ConfidenceInterval(1, 1, 0.95)
                    : LatencyStatistics.RatioConfidenceInterval(stats[baseIndex], stats[i]);
                cells.Add(new ComparisonCell
                {
                    Model = summary,
                    Backend = Profiler.Summarize(sessions[i].Backend, sessions[i].Session.EffectiveSettings),
                    LatencyMs = LatencySummary.From(stats[i]),
                    LoadMs = sessions[i].LoadMs,
                    ThroughputPerSecond = 1000.0 / stats[i].Mean,
                    SpeedUp = speedUp,
                    SpeedUpCi = ci,
                    Warmup = warmups[i],
                    Warnings = WarmupWarnings(warmups[i], stats[i], options, cpuSteal),
                });
            }

            cells.AddRange(failed);
            measured = cells;
        }
        finally
        {
            foreach (var s in sessions)
            {
                s.Run.Dispose();
                s.Session.Dispose();
            }
        }

        if (options.PerOperatorProfile)
        {
            // After the timed sessions are gone: the profiling sessions are separate, as in a single profile, so that the
            // profiler's cost stays out of the latencies; their runs alternate, as the timed ones did.
            var ran = backends.Select(b => measured.FindIndex(c => c.Error is null && c.LatencyMs is not null && c.Backend.Name == b.Name))
                .Zip(backends).Where(p => p.First >= 0).ToList();
            var profileWarnings = ran.Select(_ => new List<string>()).ToArray();
            OperatorProfile?[] profiles = Profiler.ProfileOperators(model, ran.Select(p => p.Second).ToArray(), inputs, options,
                ran.Select(p => measured[p.First].LatencyMs!.Median).ToArray(), progress, ct, logger, profileWarnings);
            var reported = new List<BackendOperatorProfile>();
            for (int i = 0; i < ran.Count; i++)
            {
                ComparisonCell cell = measured[ran[i].First];
                measured[ran[i].First] = cell with { Warnings = [.. cell.Warnings, .. profileWarnings[i]] };
                if (profiles[i] is { } profile)
                {
                    reported.Add(new BackendOperatorProfile(ran[i].Second.Name, profile, cell.LatencyMs!.Median));
                }
            }

            if (reported.Count > 0)
            {
                string layerBaseline = reported.Any(p => p.Backend == baselineName) ? baselineName : reported[0].Backend;
                layers.Add(LayerBreakdown.Create(model, reported, layerBaseline, info));
            }
        }

        return measured;
    }

    private static IReadOnlyList<string> WarmupWarnings(WarmupSummary warmup, LatencyStatistics stats, ProfileOptions options, double? cpuSteal)
    {
        var warnings = new List<string>();
        Profiler.Warn(stats, options, cutByMaxTime: false, warnings, warmup, cpuSteal: cpuSteal);
        return warnings;
    }
}

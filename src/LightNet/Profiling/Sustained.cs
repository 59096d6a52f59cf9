using System.Diagnostics;
using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>A sustained run: back-to-back inferences for a fixed time, with a per-interval timeline and throttling.</summary>
public sealed record SustainedSummary
{
    /// <summary>Seconds the timed runs lasted.</summary>
    public double Seconds { get; init; }

    /// <summary>Length of one timeline interval in seconds.</summary>
    public double IntervalSeconds { get; init; }

    /// <summary>Timed runs in all.</summary>
    public int Runs { get; init; }

    /// <summary>Latency over the whole run.</summary>
    public required LatencySummary LatencyMs { get; init; }

    /// <summary>One entry per interval, in order.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>Whether and when the runs slowed down, found as a change point in the run times.</summary>
    public required ThrottlingSummary Throttling { get; init; }

    /// <summary>The sensors this machine does not expose (frequency, temperature, energy), each with the reason.</summary>
    public IReadOnlyList<string> UnavailableSensors { get; init; } = [];

    /// <summary>Problems with the run (a warm-up that never settled, a speed-up, missing sensors are in <see cref="UnavailableSensors"/>).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>One interval of a sustained run.</summary>
/// <param name="TSeconds">When the interval began, in seconds since the timed runs began.</param>
/// <param name="Runs">Runs that began in it.</param>
/// <param name="MedianMs">Their median latency.</param>
/// <param name="P90Ms">Their 90th percentile.</param>
/// <param name="CpuMHz">The mean clock over all cores at the interval's end; null when not readable.</param>
/// <param name="CpuMHzPerCore">The clock of every core at the interval's end; null when not readable.</param>
/// <param name="TemperatureC">The hottest temperature sensor at the interval's end; null when not readable.</param>
/// <param name="Watts">Average package power over the interval (RAPL); null when not readable.</param>
public sealed record TimelinePoint(double TSeconds, int Runs, double MedianMs, double P90Ms, double? CpuMHz, IReadOnlyList<double>? CpuMHzPerCore,
    double? TemperatureC, double? Watts);

/// <summary>Throttling as found in a sustained run.</summary>
public sealed record ThrottlingSummary
{
    /// <summary>Whether the run times shifted to a phase slower by more than the drift threshold (a change point, not a quarter ratio).</summary>
    public bool Detected { get; init; }

    /// <summary>When the slower phase began, in seconds since the timed runs began; null when not detected.</summary>
    public double? StartSeconds { get; init; }

    /// <summary>The slower phase's median over the median before it (1.25: 25% slower); null when not detected.</summary>
    public double? Slowdown { get; init; }

    /// <summary>The change point the detection rests on, whichever its direction; null when the runs kept one level.</summary>
    public ChangePoint? ChangePoint { get; init; }

    /// <summary>
    /// The mean CPU clock from the change point on over the mean before it, when the clock was readable: well below 1 means
    /// the CPU itself slowed down (thermal or power throttling); about 1 means the runs slowed for another reason (a busy
    /// machine, memory pressure). Null without a change point or a readable clock.
    /// </summary>
    public double? CpuMHzRatio { get; init; }
}

/// <summary>Runs a model back to back for a fixed time, sampling the sensors once per interval.</summary>
internal static class Sustained
{
    public static SustainedSummary Measure(Model model, Backend backend, double seconds, ProfileOptions? options, double intervalSeconds,
        IProgress<ProfileProgress>? progress, CancellationToken ct, string sensorRoot = "/")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        if (!(seconds > 0) || !double.IsFinite(seconds) || seconds > 24 * 3600)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A sustained run lasts more than 0 and at most 86400 seconds, not {seconds}.");
        }

        if (!(intervalSeconds > 0) || intervalSeconds > seconds)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The timeline interval must be positive and at most the run's {seconds} s, not {intervalSeconds}.");
        }

        var warnings = new List<string>();
        MeasurementSetup setup = MeasurementSetup.Create(model, backend, options, warnings);
        ProfileOptions loopOptions = setup.Options with { Runs = 1, MinSeconds = seconds, MaxSeconds = seconds };
        using IInferenceSession session = backend.CreateSession(model, setup.SessionOptions);
        using IPreparedRun run = session.Prepare(setup.Inputs);
        var sampler = new MeasurementSampler(loopOptions, progress, ct);
        run.Run();
        WarmupSummary warmup = sampler.WarmUp(run.Run, backend);
        if (Profiler.WarmupWarning(warmup, loopOptions) is string unsteady)
        {
            warnings.Add(unsteady);
        }

        var sensors = new SystemSensors(sensorRoot);
        int intervals = (int)Math.Ceiling(seconds / intervalSeconds - 1e-9);
        var readings = new (double[]? MHz, double? Celsius, double? Watts)[intervals];
        var energy = sensors.EnergyJoules();
        long lastEnergyAt = Stopwatch.GetTimestamp();
        int sampled = 0;
        LoopResult loop = sampler.Loop(run.Run, (_, elapsed) =>
        {
            // At each interval boundary (outside the timed region) read the sensors once.
            while (sampled < intervals && elapsed >= (sampled + 1) * intervalSeconds)
            {
                var now = sensors.EnergyJoules();
                long at = Stopwatch.GetTimestamp();
                readings[sampled++] = (sensors.CpuMHz(), sensors.TemperatureC(), SystemSensors.Watts(energy, now, Stopwatch.GetElapsedTime(lastEnergyAt, at).TotalSeconds));
                energy = now;
                lastEnergyAt = at;
            }
        });

        // One pass: each run goes to the interval it began in (the last interval takes a run that began at its very end).
        var bins = new List<double>[intervals];
        for (int i = 0; i < loop.Samples.Length; i++)
        {
            int k = Math.Min(intervals - 1, (int)(loop.StartSeconds[i] / intervalSeconds));
            (bins[k] ??= []).Add(loop.Samples[i]);
        }

        var timeline = new List<TimelinePoint>(intervals);
        for (int k = 0; k < intervals; k++)
        {
            double from = k * intervalSeconds;
            if (bins[k] is not { Count: > 0 } list)
            {
                continue;
            }

            double[] bin = [.. list.Order()];
            (double[]? mhz, double? celsius, double? watts) = k < sampled ? readings[k] : default;
            timeline.Add(new TimelinePoint(from, bin.Length, LatencyStatistics.Percentile(bin, 0.5), LatencyStatistics.Percentile(bin, 0.9),
                mhz is null ? null : mhz.Average(), mhz, celsius, watts));
        }

        ChangePoint? changePoint = ChangePointDetector.Find(loop.Samples, Math.Max(5, loop.Samples.Length / 20), setup.Options.DriftThreshold);
        bool slower = changePoint is { Ratio: > 1 };
        if (changePoint is not null && Profiler.ChangePointWarning(changePoint, "second", loop.StartSeconds[changePoint.Index]) is string shift)
        {
            warnings.Add(shift);
        }

        if (Profiler.StealWarning(loop.CpuSteal) is string steal)
        {
            warnings.Add(steal);
        }

        return new SustainedSummary
        {
            Seconds = loop.Seconds,
            IntervalSeconds = intervalSeconds,
            Runs = loop.Samples.Length,
            LatencyMs = LatencySummary.From(LatencyStatistics.FromSamples(loop.Samples)),
            Timeline = timeline,
            Throttling = new ThrottlingSummary
            {
                Detected = slower,
                StartSeconds = slower ? loop.StartSeconds[changePoint!.Index] : null,
                Slowdown = slower ? changePoint!.Ratio : null,
                ChangePoint = changePoint,
                CpuMHzRatio = changePoint is null ? null : ClockRatio(timeline, loop.StartSeconds[changePoint.Index]),
            },
            UnavailableSensors = sensors.Unavailable,
            Warnings = warnings,
        };
    }

    /// <summary>Mean clock of the intervals from <paramref name="startSeconds"/> on over that of the intervals before; null when either side has no reading.</summary>
    internal static double? ClockRatio(IReadOnlyList<TimelinePoint> timeline, double startSeconds)
    {
        double[] before = timeline.Where(p => p.TSeconds < startSeconds && p.CpuMHz is not null).Select(p => p.CpuMHz!.Value).ToArray();
        double[] after = timeline.Where(p => p.TSeconds >= startSeconds && p.CpuMHz is not null).Select(p => p.CpuMHz!.Value).ToArray();
        return before.Length == 0 || after.Length == 0 || before.Average() <= 0 ? null : after.Average() / before.Average();
    }
}

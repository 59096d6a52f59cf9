using System.Diagnostics;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using Perfolizer.Mathematics.Cpd;
using Perfolizer.Mathematics.QuantileEstimators;
using Xunit;

namespace LightNet.Tests.Profiling;

/// <summary>The one measurement core: steady-state warm-up, change points, sensors, load, cold-start parsing, reports (issue 16).</summary>
public class MeasurementCoreTests
{
    /// <summary>A backend double whose runs take <c>schedule(runIndex)</c> milliseconds of busy work (a spin, not a sleep, so a change is sharp).</summary>
    private sealed class ScriptedBackend(Func<int, double> schedule) : Backend(BackendSpec.Parse("test-scripted"))
    {
        public override BackendKind Kind => BackendKind.ThirdParty;

        public override Precision Precision => Precision.Fp32;

        public override string Device => "scripted";

        public override IReadOnlyDictionary<string, string> EffectiveOptions => new Dictionary<string, string>();

        public override BackendAvailability CheckAvailability() => BackendAvailability.Available("test double");

        public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null) => new Session(this, schedule);

        private sealed class Session(Backend backend, Func<int, double> schedule) : IInferenceSession, IPreparedRun
        {
            private int _runs;

            public Backend Backend => backend;

            public IReadOnlyList<TensorSpec> Inputs => [];

            public IReadOnlyList<TensorSpec> Outputs => [];

            IReadOnlyDictionary<string, TensorBuffer> IPreparedRun.Outputs { get; } = new Dictionary<string, TensorBuffer>();

            public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
            {
                Run();
                return new Dictionary<string, TensorBuffer>();
            }

            public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs) => this;

            public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0) => null;

            public void Run() => Spin(schedule(Interlocked.Increment(ref _runs) - 1));

            public void Dispose()
            {
            }
        }
    }

    private static void Spin(double ms)
    {
        long until = Stopwatch.GetTimestamp() + (long)(ms * Stopwatch.Frequency / 1000);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(10);
        }
    }

    private sealed class ScheduledRun(Func<int, double> schedule) : IPreparedRun
    {
        public int Runs { get; private set; }

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = new Dictionary<string, TensorBuffer>();

        public void Run() => Spin(schedule(Runs++));

        public void Dispose()
        {
        }
    }

    // 1. Steady state.

    [Fact]
    public void AnImprovingWarmupIsFollowedToItsSteadyState()
    {
        // 3 ms falling to 0.5 ms over the first 40 runs, then flat: the warm-up must outlast the improvement and say it is steady.
        var run = new ScheduledRun(i => i < 40 ? 3.0 - 2.5 * i / 40 : 0.5);
        var options = ProfileOptions.Quick with { WarmupRuns = 1, WarmupSeconds = 0, WarmupMaxSeconds = 5 };

        WarmupSummary warmup = new MeasurementSampler(options, null, CancellationToken.None).WarmUp(run.Run);

        Assert.True(warmup.Steady);
        Assert.True(warmup.Runs > 40, $"{warmup.Runs} warm-up runs");
        Assert.True(warmup.LastWindowMedianMs >= 0.45, $"{warmup.LastWindowMedianMs} ms"); // (no upper bound: a loaded machine stretches spins)
    }

    [Fact]
    public void AWarmupThatKeepsImprovingGivesUpAtItsBoundAndSaysSo()
    {
        // 0.5 % faster each run: every 0.1 s window is ~20 % faster than the last, and the floor lies ~0.3 s out, past the bound.
        var run = new ScheduledRun(i => Math.Max(0.5, 2.0 * Math.Pow(0.995, i)));
        var options = ProfileOptions.Quick with { WarmupRuns = 1, WarmupSeconds = 0, WarmupMaxSeconds = 0.15 };

        WarmupSummary warmup = new MeasurementSampler(options, null, CancellationToken.None).WarmUp(run.Run);

        Assert.False(warmup.Steady);
        Assert.InRange(warmup.Seconds, 0.15, 2);
        Assert.Contains("did not reach a steady state", Profiler.WarmupWarning(warmup, options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 50.0, 50, 50, 50, 50, 40, 40, 40, 40, 40, 30, 30, 30, 30, 30 }, false)] // still improving
    [InlineData(new[] { 50.0, 50, 50, 50, 50, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 }, false)] // improved two windows ago
    [InlineData(new[] { 30.0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 }, true)]
    [InlineData(new[] { 30.0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 40, 40, 40, 40, 40 }, true)] // a slow-down is no warm-up
    [InlineData(new[] { 30.0, 30, 30, 30, 30, 30, 30, 30, 30, 30 }, false)] // fewer than three windows
    [InlineData(new[] { 3.0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 }, false)] // windows last 0.1 s: 15 runs of 3 ms are one window
    public void TheSteadyStateRuleComparesThreeWindows(double[] times, bool steady) =>
        Assert.Equal(steady, MeasurementSampler.IsSteady(times, 0.03));

    [Fact]
    public void FixedWarmupStillReportsWhetherItWasSteady()
    {
        var run = new ScheduledRun(_ => 0.1);
        var options = ProfileOptions.Quick with { SteadyStateWarmup = false, WarmupRuns = 4, WarmupSeconds = 0 };

        WarmupSummary warmup = new MeasurementSampler(options, null, CancellationToken.None).WarmUp(run.Run);

        Assert.Equal(4, warmup.Runs);
        Assert.False(warmup.Steady); // too few runs to tell
        Assert.Null(Profiler.WarmupWarning(warmup, options)); // and a fixed warm-up is not warned about
    }

    // 2. Change points.

    [Theory]
    [InlineData(40)]
    [InlineData(90)]
    public void ABackendThatSlowsDownAfterKRunsIsFoundAtK(int k)
    {
        // The profile's timed loop over a backend whose runs go from 0.3 ms to 0.9 ms after run k (warm-up and first run counted).
        int offset = 0;
        var backend = new ScriptedBackend(i => i - offset < k ? 0.3 : 0.9);
        var options = ProfileOptions.Quick with
        {
            SteadyStateWarmup = false, WarmupRuns = 0, WarmupSeconds = 0, Runs = 150, MinSeconds = 0, MaxSeconds = 20, SampleMemory = false,
        };
        offset = 1; // the first run (timed apart) comes before the loop

        ProfileReport report = Profiler.Measure(TestModels.Tiny(), backend, options);

        ChangePoint cp = Assert.IsType<ChangePoint>(report.Stability.ChangePoint);
        Assert.InRange(cp.Index, k - 3, k + 3);
        Assert.InRange(cp.Ratio, 2, 4);
        Assert.True(report.Stability.PossibleThrottling);
        Assert.Contains(report.Warnings, w => w.StartsWith("The runs slowed down by", StringComparison.Ordinal) && w.Contains("throttling", StringComparison.Ordinal));
    }

    [Fact]
    public void ASpeedUpIsAChangePointButNotThrottling()
    {
        double[] series = [.. Enumerable.Repeat(2.0, 30), .. Enumerable.Repeat(1.0, 50)];

        ChangePoint cp = Assert.IsType<ChangePoint>(ChangePointDetector.Find(Noisy(series, 7), 5, 1.1));

        Assert.InRange(cp.Index, 28, 32);
        Assert.True(cp.Ratio < 1);
        string warning = Profiler.ChangePointWarning(cp, "run", cp.Index + 1)!;
        Assert.StartsWith("The runs sped up by", warning, StringComparison.Ordinal);
        Assert.Contains("not throttling", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ASteadyNoisySeriesHasNoChangePoint() =>
        Assert.Null(ChangePointDetector.Find(Noisy([.. Enumerable.Repeat(1.0, 400)], 11), 20, 1.1));

    [Fact]
    public void ALongSeriesIsSearchedInBlocks()
    {
        double[] series = Noisy([.. Enumerable.Repeat(1.0, 3000), .. Enumerable.Repeat(1.3, 2000)], 3);

        ChangePoint cp = Assert.IsType<ChangePoint>(ChangePointDetector.Find(series, 50, 1.1));

        Assert.InRange(cp.Index, 2950, 3050);
    }

    [Fact]
    public void OurChangePointAgreesWithPerfolizersEdPelt()
    {
        double[] series = Noisy([.. Enumerable.Repeat(1.0, 70), .. Enumerable.Repeat(1.6, 60)], 5);

        int[] theirs = EdPeltChangePointDetector.Instance.GetChangePointIndexes(series, minDistance: 10);
        ChangePoint ours = Assert.IsType<ChangePoint>(ChangePointDetector.Find(series, 10, 1.1));

        Assert.Contains(theirs, i => Math.Abs(i - ours.Index) <= 2);
    }

    /// <summary>The series times a deterministic factor in [0.95, 1.05].</summary>
    private static double[] Noisy(double[] series, int seed)
    {
        var random = new Random(seed);
        return series.Select(v => v * (0.95 + 0.1 * random.NextDouble())).ToArray();
    }

    // 3. Statistics against Perfolizer, BenchmarkDotNet's statistics library, on the same samples.

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PercentilesMatchPerfolizersHyndmanFanType7(int seed)
    {
        var random = new Random(seed);
        double[] samples = Enumerable.Range(0, 37 * seed).Select(_ => 1 + Math.Exp(random.NextDouble() * 2)).ToArray();
        double[] sorted = [.. samples.Order()];
        var estimator = new HyndmanFanQuantileEstimator(HyndmanFanType.Type7);
        var sample = new Pragmastat.Sample(samples);

        foreach (double p in new[] { 0.5, 0.9, 0.95, 0.99 })
        {
            Assert.Equal(estimator.Quantile(sample, new Pragmastat.Probability(p)).NominalValue, LatencyStatistics.Percentile(sorted, p), 10);
        }

        LatencyStatistics ours = LatencyStatistics.FromSamples(samples);
        Assert.Equal(estimator.Quantile(sample, Pragmastat.Probability.Median).NominalValue, ours.Median, 10);
        Assert.Equal(estimator.Quantile(sample, new Pragmastat.Probability(0.99)).NominalValue, ours.P99, 10);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(30)]
    [InlineData(200)]
    public void MeanConfidenceIntervalMatchesPerfolizersStudentT(int n)
    {
        var random = new Random(n);
        double[] samples = Enumerable.Range(0, n).Select(_ => 10 + random.NextDouble()).ToArray();
        LatencyStatistics ours = LatencyStatistics.FromSamples(samples);

        double t = new Perfolizer.Mathematics.Distributions.ContinuousDistributions.StudentDistribution(n - 1).Quantile(new Pragmastat.Probability(0.975));
        double half = t * ours.StandardDeviation / Math.Sqrt(n);

        Assert.Equal(ours.Mean - half, ours.MeanConfidenceInterval.Lower, 6);
        Assert.Equal(ours.Mean + half, ours.MeanConfidenceInterval.Upper, 6);
    }

    // 4. Sensors: every read has a fallback.

    [Fact]
    public void SensorsReadSysfsAndSayWhatIsMissing()
    {
        using var root = new TempDirectory();
        Write(root.Path, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2400000\n");
        Write(root.Path, "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "1200000\n");
        Write(root.Path, "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "999\n"); // not a core
        Write(root.Path, "sys/class/thermal/thermal_zone0/temp", "45000\n");
        Write(root.Path, "sys/class/hwmon/hwmon1/temp2_input", "61500\n");
        Write(root.Path, "sys/class/powercap/intel-rapl:0/energy_uj", "1000000\n");
        Write(root.Path, "sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
        Write(root.Path, "sys/class/powercap/intel-rapl:0:0/energy_uj", "5\n"); // a sub-zone, already in its package

        var sensors = new SystemSensors(root.Path);

        Assert.Equal([2400.0, 1200.0], sensors.CpuMHz()!);
        Assert.Equal(61.5, sensors.TemperatureC());
        Assert.Equal(1.0, sensors.EnergyJoules()!.Value.Joules, 9);
        Assert.Empty(sensors.Unavailable);
    }

    [Fact]
    public void SensorsFallBackToProcCpuinfoAndListTheRest()
    {
        using var root = new TempDirectory();
        Write(root.Path, "proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 2596.136\nprocessor\t: 1\ncpu MHz\t\t: 2596.000\n");

        var sensors = new SystemSensors(root.Path);

        Assert.Equal([2596.136, 2596.0], sensors.CpuMHz()!);
        Assert.Null(sensors.TemperatureC());
        Assert.Null(sensors.EnergyJoules());
        Assert.Equal(2, sensors.Unavailable.Count);
        Assert.Contains(sensors.Unavailable, u => u.StartsWith("temperatureC", StringComparison.Ordinal));
        Assert.Contains(sensors.Unavailable, u => u.StartsWith("watts", StringComparison.Ordinal));
    }

    [Fact]
    public void SensorsOnAMachineWithoutSysOrProcListEverything()
    {
        using var root = new TempDirectory();

        var sensors = new SystemSensors(Path.Combine(root.Path, "absent"));

        Assert.Null(sensors.CpuMHz());
        Assert.Equal(3, sensors.Unavailable.Count);
    }

    [Fact]
    public void StealTimeIsReadFromProcStatAndWarnedAboveFivePercent()
    {
        using var root = new TempDirectory();
        Write(root.Path, "proc/stat", "cpu  100 5 50 1000 10 0 2 40 7 0\ncpu0 50 2 25 500 5 0 1 20 3 0\n");
        Assert.Equal((40L, 1207L), SystemSensors.CpuTicks(root.Path));

        // 100 of the next 1000 ticks stolen: 10 %, warned; 10 of 1000: 1 %, not.
        var meter = StealMeter.Start(root.Path);
        Write(root.Path, "proc/stat", "cpu  400 5 250 1400 10 0 2 140 7 0\n");
        Assert.Equal(0.1, meter.Share()!.Value, 9);
        var warnings = new List<string>();
        Profiler.Warn(LatencyStatistics.FromSamples([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), ProfileOptions.Default, cutByMaxTime: false, warnings, cpuSteal: meter.Share());
        Assert.Contains(warnings, w => w.Contains("10", StringComparison.Ordinal) && w.Contains("steal", StringComparison.Ordinal));
        Assert.Null(Profiler.StealWarning(0.01));
        Assert.Null(Profiler.StealWarning(null));

        // Counters that did not move, an old kernel's line without the steal column, no file at all: no share.
        Assert.Null(StealMeter.Start(root.Path).Share());
        Write(root.Path, "proc/stat", "cpu  100 5 50 1000 10 0 2\n");
        Assert.Null(SystemSensors.CpuTicks(root.Path));
        Assert.Null(SystemSensors.CpuTicks(Path.Combine(root.Path, "absent")));
        Assert.Null(StealMeter.Start(Path.Combine(root.Path, "absent")).Share());
    }

    [Fact]
    public void WattsAllowOneWrapOfTheEnergyCounter()
    {
        Assert.Equal(5.0, SystemSensors.Watts((90, 100), (5, 100), 3)!.Value, 9);
        Assert.Null(SystemSensors.Watts(null, (5, 100), 1));
    }

    private static void Write(string root, string relative, string text)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    // 5. Sustained runs and load on the backend double.

    [Fact]
    public void ASustainedRunFindsWhenTheSlowPhaseBegan()
    {
        // 0.4 ms runs for 0.6 s, then 1.0 ms: throttling from about 0.6 s, 2.5x slower.
        long start = 0;
        var backend = new ScriptedBackend(_ => start != 0 && Stopwatch.GetElapsedTime(start).TotalSeconds > 0.6 ? 1.0 : 0.4);
        var options = ProfileOptions.Quick with { SteadyStateWarmup = false, WarmupRuns = 1, WarmupSeconds = 0, SampleMemory = false };
        var progress = new SyncProgress<ProfileProgress>(p =>
        {
            if (p.Phase == ProfilePhase.Measuring && start == 0)
            {
                start = Stopwatch.GetTimestamp();
            }
        });

        SustainedSummary s = Profiler.MeasureSustained(TestModels.Tiny(), backend, 1.2, options, 0.2, progress);

        Assert.True(s.Throttling.Detected);
        Assert.InRange(s.Throttling.StartSeconds!.Value, 0.45, 0.8);
        Assert.InRange(s.Throttling.Slowdown!.Value, 1.8, 3.2);
        Assert.InRange(s.Timeline.Count, 5, 6);
        Assert.All(s.Timeline, p => Assert.True(p.P90Ms >= p.MedianMs));
        Assert.Contains(s.Warnings, w => w.StartsWith("The runs slowed down", StringComparison.Ordinal));
    }

    [Fact]
    public void TheClockRatioTellsAThrottledCpuFromABusyMachine()
    {
        TimelinePoint P(double t, double? mhz) => new(t, 10, 1, 2, mhz, null, null, null);

        Assert.Equal(0.5, Sustained.ClockRatio([P(0, 2000), P(1, 2000), P(2, 1000), P(3, 1000)], 2)!.Value, 9);
        Assert.Null(Sustained.ClockRatio([P(0, null), P(1, null)], 1));
    }

    [Fact]
    public void ClosedLoopLoadMeasuresEveryLevelUpToTheConcurrency()
    {
        // Runs on one lock (a serial backend): every level runs, each request takes at least one 0.5 ms run.
        var gate = new object();
        var backend = new ScriptedBackend(_ =>
        {
            lock (gate)
            {
                Spin(0.5);
            }

            return 0;
        });
        var options = ProfileOptions.Quick with { WarmupRuns = 1, WarmupSeconds = 0, WarmupMaxSeconds = 0.2, SampleMemory = false };

        LoadSummary load = Profiler.MeasureLoad(TestModels.Tiny(), backend, new LoadOptions { Concurrency = 2, SecondsPerStep = 0.5 }, options);

        Assert.Equal("closed", load.Mode);
        Assert.Equal([1, 2], load.Steps.Select(s => s.Concurrency));
        Assert.All(load.Steps, step => Assert.True(step.ThroughputPerSecond > 0 && step.LatencyMs.Median >= 0.45 && step.LatencyMs.Count >= 1, $"{step}"));
        Assert.Equal(load.Steps[^1].LatencyMs, load.LatencyMs);
        Assert.True(load.Steps.Sum(step => step.LatencyMs.Count) > 20);
    }

    [Fact]
    public void TheKneeIsTheLastLoadThatStillPaid()
    {
        LatencySummary Latency(double p90) => LatencySummary.From(LatencyStatistics.FromSamples([p90 / 2, p90]));

        // Closed loop: throughput 100, 190, 200 → the third step gained under 10%, so the knee is the second.
        LoadStep[] closed = [new(1, null, 100, Latency(10)), new(2, null, 190, Latency(11)), new(3, null, 200, Latency(16))];
        Assert.Equal(2, LoadTest.Knee(closed, open: false)?.Concurrency);

        // Open loop: p90 10, 12, 25 ms → past twice the lightest p90 at the third rate.
        LoadStep[] open = [new(1, 25, 25, Latency(10)), new(1, 50, 50, Latency(12)), new(1, 75, 70, Latency(25))];
        Assert.Equal(50, LoadTest.Knee(open, open: true)?.RateRps);
        Assert.Null(LoadTest.Knee(closed[..2], open: false));
    }

    [Fact]
    public void AnOpenLoopKeepsItsScheduleBelowCapacity()
    {
        var backend = new ScriptedBackend(_ => 0.2);
        var options = ProfileOptions.Quick with { WarmupRuns = 1, WarmupSeconds = 0, WarmupMaxSeconds = 0.2, SampleMemory = false };

        LoadSummary load = Profiler.MeasureLoad(TestModels.Tiny(), backend, new LoadOptions { RateRps = 200, SecondsPerStep = 0.5, Sweep = false }, options);

        // The schedule is fixed (200 a second for 0.5 s): every request is answered, and no faster than they arrive (a closed
        // loop would answer ~5,000 a second). The lower bound leaves room for a machine that stalls near the end.
        Assert.Equal("open", load.Mode);
        Assert.InRange(load.LatencyMs.Count, 99, 100); // arrivals at 5, 10, ... ms before the step's end at 500 ms
        Assert.InRange(load.ThroughputPerSecond, 100, 230);
        Assert.Single(load.Steps);
    }

    [Fact]
    public void LoadLevelsEndAtTheLoadAskedFor()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 16, 20], LoadTest.Levels(new LoadOptions { Concurrency = 20 }).Select(l => l.Concurrency));
        Assert.Equal([25.0, 50, 75, 100], LoadTest.Levels(new LoadOptions { RateRps = 100 }).Select(l => l.Rate!.Value));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(
            () => Profiler.MeasureLoad(TestModels.Tiny(), new ScriptedBackend(_ => 0), new LoadOptions { Concurrency = 0 })).Code);
    }

    // 6. Cold starts: the probe line and its parsing.

    [Fact]
    public void TheColdStartProbeWritesOneParsableLine()
    {
        var output = new StringWriter();

        Profiler.RunColdStartProbe(TestModels.Tiny, new ScriptedBackend(_ => 0.1), null, output);

        string line = output.ToString().Trim();
        Assert.StartsWith(ColdStart.ProbeLinePrefix + "{\"loadedUtcTicks\":", line, StringComparison.Ordinal);
        Assert.Contains("\"secondRunMs\":", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AColdStartProcessThatFailsIsReportedWithItsError()
    {
        var options = new ColdStartOptions { FileName = "/bin/sh", Arguments = ["-c", "echo broken model >&2; exit 3"], Processes = 1 };
        if (!File.Exists(options.FileName))
        {
            return; // no POSIX shell (Windows): nothing to start
        }

        var e = Assert.Throws<LightNetException>(() => Profiler.MeasureColdStart(options));

        Assert.Equal(ErrorCode.InferenceFailed, e.Code);
        Assert.Contains("code 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("broken model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ColdStartsFromAScriptedChildAreDistributions()
    {
        if (!File.Exists("/bin/sh"))
        {
            return;
        }

        // A child that reports fixed stage times and a "loaded" time 5 s after the test began.
        var options = new ColdStartOptions
        {
            FileName = "/bin/sh",
            Arguments = ["-c", $"echo noise; echo '{ColdStart.ProbeLinePrefix}{{\"loadedUtcTicks\":{DateTime.UtcNow.AddSeconds(5).Ticks},\"createSessionMs\":2,\"firstRunMs\":3,\"secondRunMs\":1}}'"],
            Processes = 3,
        };

        ColdStartSummary c = Profiler.MeasureColdStart(options);

        Assert.Equal(3, c.Processes);
        Assert.Equal(2, c.CreateSessionMs.Median);
        Assert.Equal(3, c.FirstRunMs.Max);
        Assert.InRange(c.LoadMs.Median, 1000, 6000); // measured from just before each start to the (future) loaded time
        Assert.True(c.TotalMs.Min >= c.LoadMs.Min + 6 - 1e-9);
    }

    // 7. Reports: every new field reaches JSON, Markdown and HTML.

    [Fact]
    public void ExtrasReachJsonMarkdownAndHtml()
    {
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), new ScriptedBackend(_ => 0.05),
            ProfileOptions.Quick with { WarmupMaxSeconds = 0.3, MinSeconds = 0, Runs = 20, SampleMemory = false });
        var latency = LatencySummary.From(LatencyStatistics.FromSamples([1.0, 2, 3]));
        var d = new StageDistribution(1, 2, 0.5, 3, 1.2);
        report = report with
        {
            ColdStart = new ColdStartSummary { Processes = 5, LoadMs = d, CreateSessionMs = d, FirstRunMs = d, SecondRunMs = d, TotalMs = d },
            Sustained = new SustainedSummary
            {
                Seconds = 2, IntervalSeconds = 1, Runs = 10, LatencyMs = latency,
                Timeline = [new TimelinePoint(0, 5, 1, 2, 2400, [2400], null, null), new TimelinePoint(1, 5, 2, 3, 1800, [1800], null, null)],
                Throttling = new ThrottlingSummary { Detected = true, StartSeconds = 1, Slowdown = 2 },
                UnavailableSensors = ["watts: no RAPL here"],
                Warnings = ["sustained <warning>"],
            },
            Load = new LoadSummary { Concurrency = 2, ThroughputPerSecond = 10, LatencyMs = latency, Steps = [new LoadStep(1, null, 8, latency), new LoadStep(2, null, 10, latency)] },
        };

        string json = ReportJson.Format(report);
        foreach (string field in new[] { "\"warmup\"", "\"steady\"", "\"coldStart\"", "\"loadMs\"", "\"createSessionMs\"", "\"firstRunMs\"", "\"secondRunMs\"",
            "\"processes\"", "\"sustained\"", "\"timeline\"", "\"tSeconds\"", "\"medianMs\"", "\"p90Ms\"", "\"cpuMHz\"", "\"temperatureC\"", "\"watts\"",
            "\"throttling\"", "\"detected\"", "\"startSeconds\"", "\"slowdown\"", "\"unavailableSensors\"", "\"load\"", "\"concurrency\"", "\"rateRps\"",
            "\"throughputPerSecond\"", "\"latencyMs\"", "lightnet.profile/1.1" })
        {
            Assert.Contains(field, json, StringComparison.Ordinal);
        }

        ProfileReport back = ReportJson.Parse(json);
        Assert.Equal(report.Warmup, back.Warmup);
        Assert.Equal(5, back.ColdStart!.Processes);
        Assert.Equal(1800, back.Sustained!.Timeline[1].CpuMHz);
        Assert.Equal(2, back.Load!.Steps.Count);

        string md = ReportMarkdown.Format(report);
        string html = ReportHtml.Format(report);
        foreach (string text in new[] { md, html })
        {
            Assert.Contains("Warm-up", text, StringComparison.Ordinal);
            Assert.Contains("Cold start", text, StringComparison.Ordinal);
            Assert.Contains("Throttling detected: from 1.0 s", text, StringComparison.Ordinal);
            Assert.Contains("watts: no RAPL here", text, StringComparison.Ordinal);
            Assert.Contains("Throughput under load", text, StringComparison.Ordinal);
        }

        Assert.Contains("- Sustained run: sustained <warning>", md, StringComparison.Ordinal);
        Assert.Contains("sustained &lt;warning&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("throttling from 1 s", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Equal("tSeconds,runs,medianMs,p90Ms,cpuMHz,temperatureC,watts\n0,5,1,2,2400,,\n1,5,2,3,1800,,\n", ReportCsv.FormatTimeline(report.Sustained!));
    }

    [Fact]
    public void CompareWarmsEveryBackendUpToItsSteadyStateAndHonoursWarmupSeconds()
    {
        // Compare used to ignore WarmupSeconds and steady state: a backend improving over its first 30 runs is warmed past them,
        // and a fixed warm-up lasts its seconds.
        var improving = new ScriptedBackend(i => i < 30 ? 1.0 : 0.2);
        var options = ProfileOptions.Quick with { WarmupRuns = 1, WarmupSeconds = 0, WarmupMaxSeconds = 3, Runs = 20, MinSeconds = 0, SwitchSettle = TimeSpan.Zero };

        ComparisonCell cell = Assert.Single(Profiler.Compare([TestModels.Tiny()], [improving], options).Cells);
        Assert.True(cell.Warmup!.Runs >= 30, $"{cell.Warmup.Runs} warm-up runs");

        ComparisonCell timed = Assert.Single(Profiler.Compare([TestModels.Tiny()], [new ScriptedBackend(_ => 0.1)],
            options with { SteadyStateWarmup = false, WarmupSeconds = 0.2 }).Cells);
        Assert.True(timed.Warmup!.Seconds >= 0.2, $"{timed.Warmup.Seconds} s");
        Assert.Equal(7, Profiler.Compare([TestModels.Tiny()], [new ScriptedBackend(_ => 0.1)], options with { SteadyStateWarmup = false, WarmupRuns = 7 })
            .Cells[0].Warmup!.Runs);
    }
}

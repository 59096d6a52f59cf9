using LightNet.Backends;
using LightNet.Conformance;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Study;
using LightNet.Tests.Reports;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Profiling;

/// <summary>Regression tests of the issue "Measurement you can trust": reports say what ran, drift is worded by direction,
/// warnings reach every output, and the per-operator pass is long enough and flagged when noisy.</summary>
public class MeasurementTrustTests
{
    private static readonly ProfileOptions Fast = ProfileOptions.Quick with { WarmupRuns = 1, Runs = 10, MinSeconds = 0, MaxSeconds = 20 };

    // 1. The report says the thread count that ran.

    [Fact]
    public void ThreadsOptionOverridesTheBackendsThreadsAndTheReportSaysSo()
    {
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), Backend.Parse("cpu-simd:threads=4"), Fast with { Threads = 1 });

        Assert.Equal(1, report.Settings.Threads);
        Assert.Equal(1, report.Settings.ThreadsUsed);
        Assert.Equal(LightNet.Engine.Kernels.IsaSupport.Name(LightNet.Engine.Kernels.IsaSupport.Best), report.Settings.InstructionSet);
        Assert.Contains("1 thread", report.Backend.Device, StringComparison.Ordinal);
        Assert.DoesNotContain("4 threads", report.Backend.Device, StringComparison.Ordinal);
        Assert.Equal("1", report.Backend.Options["threads"]);
        Assert.Contains(report.Warnings, w => w.Contains("ran with 1 thread", StringComparison.Ordinal) && w.Contains("threads=4", StringComparison.Ordinal));
        Assert.DoesNotContain("4 threads", ReportMarkdown.Format(report), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAThreadsOptionTheBackendsOwnCountIsReported()
    {
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), Backend.Parse("cpu-simd:threads=2"), Fast);

        Assert.Contains("2 threads", report.Backend.Device, StringComparison.Ordinal);
        Assert.Equal("2", report.Backend.Options["threads"]);
        Assert.DoesNotContain(report.Warnings, w => w.Contains("overrides", StringComparison.Ordinal));
    }

    [Fact]
    public void OrtCpuReportsTheEffectiveThreads()
    {
        BackendSummary summary = Profiler.Summarize(Backend.Parse("ort-cpu:threads=4,opt=basic"), threads: 2);

        Assert.Equal("2", summary.Options["threads"]);
        Assert.Equal("basic", summary.Options["opt"]);
        Assert.Equal("ort-cpu:opt=basic,threads=4", summary.Name);
    }

    [Fact]
    public void TheSessionSaysWhatItRunsWith()
    {
        using (IInferenceSession simd = Backend.Parse("cpu-simd:isa=vector128,threads=3").CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 2 }))
        {
            SessionSettings s = simd.EffectiveSettings;
            Assert.Equal(2, s.Threads);
            Assert.Equal("vector128", s.InstructionSet);
            Assert.Equal("CPU (Vector128, 2 threads)", s.Device);
            Assert.Equal("2", s.Options["threads"]);
            Assert.Equal(Precision.Fp32, s.Precision);
        }

        using (IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 2 }))
        {
            Assert.Equal(2, ort.EffectiveSettings.Threads);
            Assert.Contains("2 intra-op threads", ort.EffectiveSettings.Device, StringComparison.Ordinal);
        }

        using (IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny()))
        {
            // ONNX Runtime picks its own count and does not say which: the report must not invent one.
            Assert.Null(ort.EffectiveSettings.Threads);
            Assert.Contains("default", ort.EffectiveSettings.Device, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ThePipelineReportTakesItsSettingsFromTheSession()
    {
        Model model = LightNet.Zoo.ModelZoo.Create("squeezenet1_1", new LightNet.Zoo.ZooOptions { Resolution = 64, Classes = 10 });
        string cat = Path.Combine(AppContext.BaseDirectory, "TestImages", "cat.jpg");
        var pre = new LightNet.Preprocessing.ImagePreprocessor(LightNet.Preprocessing.ImagePreprocessor.OptionsFor(model));
        PipelineReport report = Profiler.MeasurePipeline(model, Backend.Parse("cpu-simd:threads=4"), File.ReadAllBytes(cat), pre, Fast with { Threads = 1, Runs = 3 });

        Assert.Equal(1, report.Settings.ThreadsUsed);
        Assert.Contains("1 thread", report.Backend.Device, StringComparison.Ordinal);
    }

    [Fact]
    public void CompareReportsTheEffectiveThreadsOfEveryCell()
    {
        ComparisonReport report = Profiler.Compare([TestModels.Tiny()], [Backend.Parse("cpu-simd:threads=4"), Backend.Parse("ort-cpu:threads=4")],
            Fast with { Threads = 1, SwitchSettle = TimeSpan.Zero });

        Assert.Equal(2, report.Cells.Count);
        Assert.All(report.Cells, c => Assert.Equal("1", c.Backend.Options["threads"]));
        Assert.Contains("1 thread", report.Cells.Single(c => c.Backend.Name.StartsWith("cpu-simd", StringComparison.Ordinal)).Backend.Device, StringComparison.Ordinal);
        Assert.Equal(1, report.Settings.Threads);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public void EveryThreadCountIsCheckedWithOneMessage(int threads)
    {
        string expected = $"threads must be between 1 and 1024, not {threads}";
        Assert.Equal(expected, InferenceOptions.ThreadsProblem(threads));
        Assert.Null(InferenceOptions.ThreadsProblem(null));
        Assert.Null(InferenceOptions.ThreadsProblem(8));

        Assert.Contains(expected, (ProfileOptions.Quick with { Threads = threads }).Validate());
        Assert.Contains(expected, (StudyOptions.Quick with { Threads = threads }).Validate());
        var session = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = threads }));
        Assert.Contains(expected, session.Message, StringComparison.Ordinal);
        var conformance = Assert.Throws<LightNetException>(() => new ConformanceOptions { TestRoot = "x", Backends = ["cpu-simd"], Threads = threads }.Validate());
        Assert.Contains(expected, conformance.Message, StringComparison.Ordinal);
    }

    // 2. Drift is worded by direction.

    [Fact]
    public void ASpeedUpIsNotCalledThrottling()
    {
        string? warning = Profiler.DriftWarning(0.28, LatencyStatistics.DefaultDriftThreshold);

        Assert.NotNull(warning);
        Assert.Contains("sped up by 72", warning, StringComparison.Ordinal);
        Assert.Contains("not throttling", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("may be throttling", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("-72", warning, StringComparison.Ordinal);
        Assert.False(Profiler.IsSlowDown(0.28, LatencyStatistics.DefaultDriftThreshold));
    }

    [Fact]
    public void ASlowDownSuggestsThrottling()
    {
        string? warning = Profiler.DriftWarning(1.3, LatencyStatistics.DefaultDriftThreshold);

        Assert.NotNull(warning);
        Assert.Contains("slowed down by 30", warning, StringComparison.Ordinal);
        Assert.Contains("may be throttling", warning, StringComparison.Ordinal);
        Assert.True(Profiler.IsSlowDown(1.3, LatencyStatistics.DefaultDriftThreshold));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1.05)]
    [InlineData(0.95)]
    public void ASteadyRunHasNoDriftWarning(double drift) =>
        Assert.Null(Profiler.DriftWarning(drift, LatencyStatistics.DefaultDriftThreshold));

    [Fact]
    public void WarnWordsMeasuredDriftByDirection()
    {
        double[] faster = [.. Enumerable.Repeat(10.0, 5), .. Enumerable.Repeat(5.0, 10), .. Enumerable.Repeat(3.0, 5)];
        double[] slower = [.. faster.Reverse()];
        var fasterWarnings = new List<string>();
        var slowerWarnings = new List<string>();

        Profiler.Warn(LatencyStatistics.FromSamples(faster), ProfileOptions.Default, cutByMaxTime: false, fasterWarnings);
        Profiler.Warn(LatencyStatistics.FromSamples(slower), ProfileOptions.Default, cutByMaxTime: false, slowerWarnings);

        Assert.Contains(fasterWarnings, w => w.Contains("sped up", StringComparison.Ordinal));
        Assert.DoesNotContain(fasterWarnings, w => w.Contains("may be throttling", StringComparison.Ordinal));
        Assert.Contains(slowerWarnings, w => w.Contains("slowed down", StringComparison.Ordinal) && w.Contains("throttling", StringComparison.Ordinal));
    }

    [Fact]
    public void MarkdownStabilityLineSaysASpeedUpIsNotThrottling()
    {
        ProfileReport report = ReportSamples.Full() with { Stability = new StabilitySummary { CoefficientOfVariation = 0.05, Drift = 0.5, PossibleThrottling = false } };

        string md = ReportMarkdown.Format(report);

        Assert.Contains("sped up during the run", md, StringComparison.Ordinal);
        Assert.DoesNotContain("possible throttling", md, StringComparison.Ordinal);
    }

    // 3. Every warning reaches every output.

    private const string CellWarning = "Noisy timings: the coefficient of variation is 42 %; close other work or add runs.";

    private static StudyResults ResultsWithAWarning() => new()
    {
        CreatedUtc = DateTimeOffset.UnixEpoch,
        Environment = EnvironmentInfo.Capture(),
        Baseline = "ort-cpu",
        Settings = new StudySettings { Backends = ["ort-cpu"], Precisions = [Precision.Fp32] },
        Models = [new StudyModel { Name = "squeezenet1_1", Resolution = 64, Variants = [new StudyVariant { Precision = Precision.Fp32 }] }],
        Cells =
        [
            new StudyCell { Model = "squeezenet1_1", Precision = Precision.Fp32, Backend = "ort-cpu", SpeedUp = 1,
                Report = ReportSamples.Full() with { Warnings = [CellWarning, "Second <warning> & more"] } },
        ],
    };

    [Fact]
    public void StudyCellWarningsReachTheMarkdownSummary()
    {
        string md = StudyMarkdown.Format(ResultsWithAWarning());

        Assert.Contains("## Measurement warnings", md, StringComparison.Ordinal);
        Assert.Contains("| squeezenet1_1 | fp32 | ort-cpu | " + CellWarning + " |", md, StringComparison.Ordinal);
        Assert.Contains("Second", md, StringComparison.Ordinal);
    }

    [Fact]
    public void StudyCellWarningsReachTheHtmlPageEscaped()
    {
        string html = StudyHtml.Format(ResultsWithAWarning());

        Assert.Contains("id=\"warnings\"", html, StringComparison.Ordinal);
        Assert.Contains(CellWarning, html, StringComparison.Ordinal);
        Assert.Contains("Second &lt;warning&gt; &amp; more", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<warning>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void StudyCellWarningsStayInTheJson()
    {
        StudyResults back = StudyJson.Parse(StudyJson.Format(ResultsWithAWarning()));

        Assert.Contains(CellWarning, back.Cells[0].Report!.Warnings);
    }

    [Fact]
    public void SingleProfileWarningsReachMarkdownJsonAndCsv()
    {
        ProfileReport report = ReportSamples.Full() with { Warnings = [CellWarning] };

        Assert.Contains("- " + CellWarning, ReportMarkdown.Format(report), StringComparison.Ordinal);
        Assert.Contains(CellWarning, ReportJson.Format(report), StringComparison.Ordinal);
        Assert.Contains(CellWarning, ReportCsv.Format([report]), StringComparison.Ordinal);
    }

    [Fact]
    public void AStudyWithoutWarningsHasNoWarningsSection()
    {
        StudyResults quiet = ResultsWithAWarning() is var r ? r with { Cells = [r.Cells[0] with { Report = r.Cells[0].Report! with { Warnings = [] } }] } : null!;

        Assert.DoesNotContain("Measurement warnings", StudyMarkdown.Format(quiet), StringComparison.Ordinal);
    }

    // 4. The per-operator pass.

    private sealed class CountingRun(TimeSpan delay) : IPreparedRun
    {
        public int Runs { get; private set; }

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = new Dictionary<string, TensorBuffer>();

        public void Run()
        {
            Runs++;
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void PerOperatorPassRunsForAtLeastItsSeconds()
    {
        var run = new CountingRun(TimeSpan.FromMilliseconds(2));
        long start = System.Diagnostics.Stopwatch.GetTimestamp();

        int done = Profiler.PerOperatorPass(run, ProfileOptions.Quick with { PerOperatorRuns = 3, PerOperatorSeconds = 0.2 }, null, CancellationToken.None);

        Assert.Equal(run.Runs, done);
        Assert.True(done > 3, $"{done} runs");
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds >= 0.2);
    }

    [Fact]
    public void PerOperatorPassIsBoundedByTime()
    {
        var run = new CountingRun(TimeSpan.FromMilliseconds(30));

        int done = Profiler.PerOperatorPass(run, ProfileOptions.Quick with { PerOperatorRuns = 1000, PerOperatorSeconds = 0, MaxSeconds = 0.1, MinSeconds = 0 },
            null, CancellationToken.None);

        Assert.InRange(done, 2, 10);
    }

    private sealed class LoggedRun(int id, List<(int Id, long Start, long End)> log) : IPreparedRun
    {
        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = new Dictionary<string, TensorBuffer>();

        public void Run()
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Thread.Sleep(2);
            log.Add((id, start, System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void PerOperatorPassOfSeveralBackendsTakesTurnsInBlocksAfterAnIdleSettle()
    {
        // Back-to-back alternation let one backend's spinning worker threads take the core the other's second thread needed
        // (at 2 threads on 2 cores cpu-simd's per-operator times read as its 1-thread times).
        var log = new List<(int Id, long Start, long End)>();
        // 200 ms blocks of 2 ms runs: blocks of one run each would need every run stalled for 200 ms (a loaded CI machine
        // stalled 40 ms blocks of a 20 ms settle).
        var settle = TimeSpan.FromMilliseconds(100);

        int done = Profiler.PerOperatorPass([new LoggedRun(0, log), new LoggedRun(1, log)],
            ProfileOptions.Quick with { PerOperatorRuns = 3, PerOperatorSeconds = 0.3, SwitchSettle = settle }, null, CancellationToken.None);

        Assert.Equal(Math.Min(log.Count(e => e.Id == 0), log.Count(e => e.Id == 1)), done);
        Assert.True(done >= 3, $"{done} runs");
        int switches = 0;
        for (int k = 1; k < log.Count; k++)
        {
            if (log[k].Id != log[k - 1].Id)
            {
                switches++;
                double idleMs = (log[k].Start - log[k - 1].End) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
                Assert.True(idleMs >= 0.9 * settle.TotalMilliseconds, $"switch {switches}: {idleMs:F1} ms idle");
            }
        }

        Assert.True(switches >= 1 && switches < log.Count / 2, $"{switches} switches in {log.Count} runs: not blocks");
    }

    [Fact]
    public void PerOperatorSecondsAreValidated() =>
        Assert.Contains((ProfileOptions.Quick with { PerOperatorSeconds = -1 }).Validate(), p => p.Contains("per-operator seconds", StringComparison.Ordinal));

    private static OperatorProfile Profile(int runs, double totalMs) =>
        new([new OperatorTiming("gemm", "Gemm", "CPU", runs, totalMs, totalMs / Math.Max(runs, 1), 100)], [new OperatorTypeTiming("Gemm", 1, runs, totalMs, 100)], runs, totalMs);

    [Fact]
    public void AProfileFromFewRunsIsFlagged()
    {
        List<string> warnings = [.. Profiler.OperatorProfileWarnings(Profile(runs: 2, totalMs: 2 * 4.0), medianMs: 4.0)];

        Assert.Single(warnings);
        Assert.Contains("only 2 runs", warnings[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10.0)]
    [InlineData(1.0)]
    public void AProfileFarFromTheMedianIsFlagged(double perRunMs)
    {
        List<string> warnings = [.. Profiler.OperatorProfileWarnings(Profile(runs: 50, totalMs: 50 * perRunMs), medianMs: 4.0)];

        Assert.Single(warnings);
        Assert.Contains("per-operator pass is noisy", warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void AProfileThatAgreesWithTheMedianIsNotFlagged() =>
        Assert.Empty(Profiler.OperatorProfileWarnings(Profile(runs: 50, totalMs: 50 * 3.5), medianMs: 4.0));

    [Fact]
    public void MeasureRunsThePerOperatorPassLongEnough()
    {
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), Backend.Parse("cpu-simd"),
            Fast with { Threads = 1, PerOperatorProfile = true, PerOperatorRuns = 2, PerOperatorSeconds = 0.2 });

        Assert.NotEmpty(report.OperatorTypes);
        Assert.True(report.OperatorTypes.Sum(o => o.Calls) / report.Operators.Count > 5, $"{report.OperatorTypes.Sum(o => o.Calls)} calls");
        Assert.DoesNotContain(report.Warnings, w => w.Contains("per-operator times come from only", StringComparison.Ordinal));
    }
}

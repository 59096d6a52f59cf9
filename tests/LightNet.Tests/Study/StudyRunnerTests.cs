using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Study;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>The study runner on a small real study: every cell, variant, speed-up and fidelity number checked against its definition.</summary>
[Collection(StudyCollection.Name)]
public sealed class StudyRunnerTests(StudyFixture fixture)
{
    private StudyResults R => fixture.Results;

    [Fact]
    public void EveryModelBackendAndPrecisionIsMeasured()
    {
        Assert.Equal(StudyResults.CurrentSchema, R.Schema);
        Assert.Equal(StudyOptions.PlainBaseline, R.Baseline);
        Assert.Equal(StudyFixture.Backends, R.Settings.Backends);
        Assert.Equal(["squeezenet1_1", "mobilenet_v1@0.25"], R.Models.Select(m => m.Name));
        Assert.Equal(2 * (1 + 3), R.Cells.Count); // the baseline runs FP32 only
        Assert.All(R.Cells.Where(c => c.Backend == StudyOptions.PlainBaseline), c => Assert.Equal(Precision.Fp32, c.Precision));
        foreach (StudyModel m in R.Models)
        {
            Assert.Equal(64, m.Resolution);
            foreach (string b in StudyFixture.Backends)
            {
                foreach (Precision p in b == StudyOptions.PlainBaseline ? [Precision.Fp32] : StudyFixture.Precisions)
                {
                    StudyCell cell = Assert.IsType<StudyCell>(R.Cell(m.Name, b, p));
                    Assert.Null(cell.Error);
                    ProfileReport report = Assert.IsType<ProfileReport>(cell.Report);
                    Assert.Equal(b, report.Backend.Name);
                    Assert.Equal([1, 3, 64, 64], report.Model.InputShapes["input"]);
                    double[] raw = [.. report.RawSamplesMs!];
                    Assert.Equal(report.LatencyMs.Count, raw.Length);
                    Assert.True(raw.Length >= 6, $"{raw.Length} runs");
                    double[] sorted = [.. raw.Order()];
                    Assert.Equal(LatencyStatistics.Percentile(sorted, 0.10), cell.P10Ms, 12);
                    Assert.InRange(cell.P10Ms, report.LatencyMs.Min, report.LatencyMs.Median);
                    Assert.InRange(report.LatencyMs.P90, report.LatencyMs.Median, report.LatencyMs.Max);
                }
            }
        }

        Assert.Empty(R.Unavailable); // only ort-cpu was asked for
        Assert.Equal("lightnet study (test fixture)", R.Command);
    }

    [Fact]
    public void SpeedUpsAreTheBaselinesFp32MeanOverEachCellsWithFiellersInterval()
    {
        foreach (StudyModel m in R.Models)
        {
            StudyCell baseline = R.Cell(m.Name, R.Baseline, Precision.Fp32)!;
            Assert.Equal(1.0, baseline.SpeedUp);
            Assert.Equal(new ConfidenceInterval(1, 1, 0.95), baseline.SpeedUpCi);
            LatencyStatistics baseStats = LatencyStatistics.FromSamples([.. baseline.Report!.RawSamplesMs!]);
            foreach (StudyCell cell in R.Cells.Where(c => c.Model == m.Name && !ReferenceEquals(c, baseline)))
            {
                LatencyStatistics stats = LatencyStatistics.FromSamples([.. cell.Report!.RawSamplesMs!]);
                Assert.Equal(baseStats.Mean / stats.Mean, cell.SpeedUp, 12);
                Assert.Equal(LatencyStatistics.RatioConfidenceInterval(baseStats, stats), cell.SpeedUpCi);
                Assert.True(cell.SpeedUpCi.Lower <= cell.SpeedUp && cell.SpeedUp <= cell.SpeedUpCi.Upper, $"{cell.SpeedUp} outside {cell.SpeedUpCi}");
            }
        }
    }

    [Fact]
    public void CompressedVariantsAreSmallerAndCloseToFp32()
    {
        foreach (StudyModel m in R.Models)
        {
            StudyVariant fp32 = m.Variant(Precision.Fp32)!, fp16 = m.Variant(Precision.Fp16)!, int8 = m.Variant(Precision.Int8)!;
            Assert.All(m.Variants, v => Assert.Null(v.Error));
            Assert.Null(fp32.Fidelity);
            Assert.Equal(R.Cell(m.Name, "ort-cpu", Precision.Fp32)!.Report!.Model.FileBytes, fp32.FileBytes);

            // FP16 halves the weights, INT8 quarters them (plus scales and graph overhead).
            Assert.InRange((double)fp16.FileBytes / fp32.FileBytes, 0.40, 0.62);
            Assert.InRange((double)int8.FileBytes / fp32.FileBytes, 0.20, 0.40);
            Assert.Equal(fp32.Parameters, int8.Parameters);

            Assert.True(fp16.Fidelity!.CosineSimilarity > 0.999, $"fp16 cosine {fp16.Fidelity.CosineSimilarity}");
            Assert.True(int8.Fidelity!.CosineSimilarity > 0.9, $"int8 cosine {int8.Fidelity.CosineSimilarity}");
            foreach (StudyVariant v in new[] { fp16, int8 })
            {
                Assert.Equal(StudyFixture.Options.FidelitySamples, v.FidelitySamples);
                double agreement = v.Fidelity!.Top1Agreement!.Value;
                Assert.InRange(agreement, 0, 1);
                Assert.Equal(0, agreement * v.FidelitySamples % 1, 9); // a share of whole samples
                Assert.Equal(Math.Max(0, m.PublishedTop1!.Value - 100 * (1 - agreement)), v.EstimatedTop1!.Value, 9);
            }
        }
    }

    [Fact]
    public void PublishedAccuracyComesFromTheZooWithItsSourceAndResolutionNote()
    {
        StudyModel squeeze = R.Models.Single(m => m.Name == "squeezenet1_1");
        Assert.Equal(58.178, squeeze.PublishedTop1);
        Assert.Contains("torchvision", squeeze.AccuracySource);
        Assert.Equal(224, squeeze.AccuracyResolution);
        Assert.Contains(squeeze.Notes, n => n.Contains("64×64") && n.Contains("224×224"));

        StudyModel v1 = R.Models.Single(m => m.Name == "mobilenet_v1@0.25");
        Assert.Equal(50.6, v1.PublishedTop1);
        Assert.Contains("arXiv:1704.04861", v1.AccuracySource);

        Assert.All(ModelZoo.Entries, e =>
        {
            PublishedAccuracy a = Assert.IsType<PublishedAccuracy>(e.AccuracyAt(null));
            Assert.InRange(a.Top1, 50, 80);
            Assert.False(string.IsNullOrWhiteSpace(a.Source));
            Assert.Equal(e.DefaultResolution, a.Resolution);
        });
    }

    [Fact]
    public void TheBreakdownModelHasPerOperatorTimesOnEveryBackendInFp32Only()
    {
        Assert.Equal("squeezenet1_1", R.Settings.BreakdownModel);
        foreach (StudyCell cell in R.Cells)
        {
            bool expected = cell.Model == "squeezenet1_1" && cell.Precision == Precision.Fp32;
            Assert.Equal(expected, cell.Report!.OperatorTypes.Count > 0);
        }

        IReadOnlyList<OperatorTypeTiming> types = R.Cell("squeezenet1_1", "ort-cpu", Precision.Fp32)!.Report!.OperatorTypes;
        Assert.Contains(types, t => t.OpType == "Conv");
        Assert.Equal(100, types.Sum(t => t.Percent), 6);
    }

    [Fact]
    public void ProgressCountsEveryStepWithATimeLeftEstimate()
    {
        int steps = 2 * (3 + 1 + 3); // per model: three variants, then the baseline's FP32 cell and ort-cpu's three
        Assert.All(fixture.Progress, p => Assert.Equal(steps, p.Steps));
        Assert.Equal(steps, fixture.Progress[^1].Step);
        Assert.Equal(1.0, fixture.Progress[^1].Fraction, 9);
        Assert.Equal(TimeSpan.Zero, fixture.Progress[^1].Remaining);
        Assert.Null(fixture.Progress[0].Remaining);
        Assert.Contains(fixture.Progress, p => p.Description.Contains("int8 on ort-cpu"));
        for (int i = 1; i < fixture.Progress.Count; i++)
        {
            Assert.True(fixture.Progress[i].Step >= fixture.Progress[i - 1].Step);
            Assert.True(fixture.Progress[i].Fraction >= fixture.Progress[i - 1].Fraction);
        }
    }

    [Fact]
    public void BadOptionsAreListedAllAtOnce()
    {
        var e = Assert.Throws<LightNetException>(() => StudyRunner.Run(StudyOptions.Quick with
        {
            Models = ["squeezenet1_1", "mobilenet_v9"],
            Precisions = [],
            Resolution = 8,
            Constraints = new SelectionConstraints { MaxLatencyMs = -1 },
        }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("mobilenet_v9", e.Message);
        Assert.Contains("Did you mean", e.Message);
        Assert.Contains("precision", e.Message);
        Assert.Contains("resolution must be between 32 and 1024, not 8", e.Message);
        Assert.Contains("latency budget", e.Message);
    }

    [Fact]
    public void AnUnavailableBaselineIsAnError()
    {
        var e = Assert.Throws<LightNetException>(() => StudyRunner.Run(StudyFixture.Options with { Baseline = "ort-cuda" }));
        Assert.Equal(ErrorCode.BackendUnavailable, e.Code);
        Assert.Contains("ort-cuda", e.Message);
    }
}

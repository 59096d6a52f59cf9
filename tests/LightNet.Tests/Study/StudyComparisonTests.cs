using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Study;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>--compare: a study against an earlier one, with Fieller intervals of new/old.</summary>
[Collection(StudyCollection.Name)]
public sealed class StudyComparisonTests(StudyFixture fixture)
{
    private StudyResults R => fixture.Results;

    /// <summary>The samples every cell gets in the comparison tests: measured ones are as noisy as the machine.</summary>
    private static readonly double[] Steady = [10.0, 10.4, 9.7, 10.1, 9.9, 10.3];

    /// <summary>The results with every cell's samples set to <see cref="Steady"/> times a factor per cell (and the summaries recomputed).</summary>
    private StudyResults WithSamples(Func<StudyCell, double> factor) => R with
    {
        Cells = R.Cells.Select(c => c with
        {
            Report = c.Report! with
            {
                RawSamplesMs = Steady.Select(s => s * factor(c)).ToList(),
                LatencyMs = LatencySummary.From(LatencyStatistics.FromSamples([.. Steady.Select(s => s * factor(c))])),
            },
        }).ToList(),
    };

    [Fact]
    public void AStudyComparedWithItselfIsUnchangedEverywhere()
    {
        StudyComparison c = StudyComparison.Compare(R, R);
        Assert.Equal(R.Cells.Count, c.Changes.Count);
        Assert.All(c.Changes, x =>
        {
            Assert.Equal(ChangeKind.Unchanged, x.Kind);
            Assert.Equal(1.0, x.Ratio, 12);
            Assert.True(x.RatioCi.Contains(1.0), $"{x.RatioCi}");
        });
        Assert.Null(c.EnvironmentNote);
        Assert.Empty(c.Regressions);
    }

    [Fact]
    public void ASlowerCellIsARegressionAndAFasterOneAnImprovement()
    {
        StudyResults before = WithSamples(_ => 1);
        StudyResults changed = WithSamples(c => (c.Model, c.Backend, c.Precision) switch
        {
            ("squeezenet1_1", "ort-cpu", Precision.Int8) => 3.0,
            ("mobilenet_v1@0.25", "ort-cpu", Precision.Fp32) => 1.0 / 3,
            ("squeezenet1_1", "ort-cpu", Precision.Fp16) => 1.03, // significant, but below the 5 % threshold
            _ => 1,
        });

        StudyComparison c = StudyComparison.Compare(before, changed);
        Assert.Equal(ChangeKind.Unchanged, c.Changes.Single(x => x.Model == "squeezenet1_1" && x.Precision == Precision.Fp16).Kind);
        StudyChange regression = Assert.Single(c.Regressions);
        Assert.Equal(("squeezenet1_1", "ort-cpu", Precision.Int8), (regression.Model, regression.Backend, regression.Precision));
        Assert.Equal(3.0, regression.Ratio, 9);
        Assert.True(regression.RatioCi.Lower > 1 && regression.RatioCi.Contains(3.0), $"{regression.RatioCi}");
        StudyChange improvement = Assert.Single(c.Improvements);
        Assert.Equal(("mobilenet_v1@0.25", Precision.Fp32), (improvement.Model, improvement.Precision));
        Assert.Equal(1.0 / 3, improvement.Ratio, 9);
        Assert.True(improvement.RatioCi.Upper < 1, $"{improvement.RatioCi}");
        Assert.Equal(regression, c.Changes[0]); // regressions first

        string md = StudyMarkdown.Format(changed, c);
        Assert.Contains("## Changes since the earlier study", md);
        Assert.Contains("| squeezenet1_1 | ort-cpu | int8 | ", md);
        Assert.Contains(" | 3.00× [", md);
        Assert.Contains("| regression |", md);
        Assert.Contains("| improvement |", md);
    }

    [Fact]
    public void CellsInOnlyOneStudyAreAddedOrRemovedAndADifferentSetupIsNoted()
    {
        StudyResults fewer = R with { Cells = R.Cells.Where(c => c.Precision != Precision.Fp16).ToList() };
        StudyComparison c = StudyComparison.Compare(fewer, R with { Environment = R.Environment with { CpuModel = "Other CPU" } });
        Assert.Equal(2, c.Changes.Count(x => x.Kind == ChangeKind.Added));
        Assert.All(c.Changes.Where(x => x.Kind == ChangeKind.Added), x => Assert.True(double.IsNaN(x.OldMeanMs) && double.IsNaN(x.Ratio)));
        Assert.Contains("'Other CPU'", c.EnvironmentNote);

        StudyComparison back = StudyComparison.Compare(R, fewer);
        Assert.Equal(2, back.Changes.Count(x => x.Kind == ChangeKind.Removed));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => StudyComparison.Compare(R, R, threshold: 1.5)).Code);
    }
}

using LightNet.Backends;
using LightNet.Study;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>ModelSelector on the measured candidates of the small study.</summary>
[Collection(StudyCollection.Name)]
public sealed class ModelSelectorTests(StudyFixture fixture)
{
    private StudyResults R => fixture.Results;

    private List<StudyCell> Measured => R.Cells.Where(c => c.Report is not null).ToList();

    [Fact]
    public void WithoutABudgetTheFastestCandidateWins()
    {
        Recommendation r = ModelSelector.Recommend(R);
        Assert.Equal(SelectionObjective.Fastest, r.Objective);
        StudyCell fastest = Measured.MinBy(c => c.Report!.LatencyMs.Median)!;
        Assert.Equal((fastest.Model, fastest.Backend, fastest.Precision), (r.Best!.Model, r.Best.Backend, r.Best.Precision));
        Assert.Equal(Measured.Count, r.Verdicts.Count);
        Assert.All(r.Verdicts, v => Assert.True(v.Accepted));
        Assert.Null(r.Closest);
        Assert.StartsWith(r.Best.ToString() + ": no budget was given, so it is the fastest (median latency) of all 8 measured candidates", r.Summary);
        Assert.DoesNotContain("meet no budget", r.Summary);
        StudyCell second = Measured.OrderBy(c => c.Report!.LatencyMs.Median).Skip(1).First();
        Assert.Equal((second.Model, second.Backend, second.Precision), (r.RunnerUp!.Model, r.RunnerUp.Backend, r.RunnerUp.Precision));
        Assert.Contains($"Runner-up: {r.RunnerUp}, ", r.Summary);
        Assert.Empty(r.BudgetsMet);
    }

    [Fact]
    public void ALatencyBudgetAlonePicksTheMostAccurateThatFits()
    {
        double budget = Measured.Max(c => c.Report!.LatencyMs.Median) + 1;
        Recommendation r = ModelSelector.Recommend(R, new SelectionConstraints { MaxLatencyMs = budget });
        Assert.Equal(SelectionObjective.MostAccurate, r.Objective);
        Assert.Equal("squeezenet1_1", r.Best!.Model); // 58.2 % published against MobileNet v1 0.25's 50.6 %
        Assert.Equal(r.Verdicts.Where(v => v.Accepted).Max(v => v.Candidate.EstimatedTop1), r.Best.EstimatedTop1);
    }

    [Fact]
    public void AnAccuracyFloorPicksTheFastestAboveIt()
    {
        Recommendation r = ModelSelector.Recommend(R, new SelectionConstraints { MinAccuracy = 55 });
        Assert.Equal(SelectionObjective.Fastest, r.Objective);
        Assert.Equal("squeezenet1_1", r.Best!.Model);
        Assert.All(r.Verdicts.Where(v => v.Candidate.Model == "mobilenet_v1@0.25"), v =>
        {
            Assert.False(v.Accepted);
            Assert.Contains(v.Reasons, reason => reason.StartsWith("estimated top-1 ") && reason.EndsWith("< 55 % floor"));
        });
        Assert.Equal(Measured.Where(c => c.Model == "squeezenet1_1" && (c.Precision == Precision.Fp32 || R.Models[0].Variant(c.Precision)!.EstimatedTop1 >= 55))
            .Min(c => c.Report!.LatencyMs.Median), r.Best.MedianMs);

        // Why: the budget met, with the pick's number, and the runner-up among those that meet it.
        string met = $"estimated top-1 {r.Best.EstimatedTop1!.Value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} % ≥ 55 %";
        Assert.Equal([met], r.BudgetsMet);
        int accepted = r.Verdicts.Count(v => v.Accepted);
        Assert.Contains($"{accepted} of the {r.Verdicts.Count} measured candidates meet every budget ({met}); it is the fastest (median latency) of them.", r.Summary);
        Assert.Equal(r.Verdicts[1].Candidate, r.RunnerUp);
        Assert.Contains($"Runner-up: {r.RunnerUp}, ", r.Summary);
    }

    [Fact]
    public void BudgetsNothingMeetsSaySoAndNameTheClosestCandidate()
    {
        double fastest = Measured.Min(c => c.Report!.LatencyMs.Median);
        var limits = new SelectionConstraints { MaxLatencyMs = fastest / 1000, MaxModelMiB = 0.001 };
        Recommendation r = ModelSelector.Recommend(R, limits);
        Assert.Null(r.Best);
        Candidate closest = Assert.IsType<Candidate>(r.Closest);
        Assert.StartsWith($"No candidate meets median ≤ {SelectionConstraints.Num(fastest / 1000)} ms, file ≤ 0.001 MiB. The closest is {closest}: median ", r.Summary);
        Assert.All(r.Verdicts, v =>
        {
            Assert.False(v.Accepted);
            Assert.Equal(2, v.Reasons.Count);
            Assert.Contains("ms budget", v.Reasons[0]);
            Assert.Contains("MiB budget", v.Reasons[1]);
        });

        // The closest misses by the least: the sum of relative excesses is the smallest.
        Assert.Equal(r.Verdicts.Min(v => v.Excess), r.Verdicts[0].Excess);
        double expected = closest.MedianMs / limits.MaxLatencyMs!.Value - 1 + closest.FileBytes / (1024.0 * 1024) / 0.001 - 1;
        Assert.Equal(expected, r.Verdicts[0].Excess, 9);
    }

    [Fact]
    public void AFidelityFloorRejectsCompressedModelsBelowIt()
    {
        Recommendation r = ModelSelector.Recommend(R, new SelectionConstraints { MinFidelity = 1.0, Objective = SelectionObjective.MostAccurate });
        foreach (CandidateVerdict v in r.Verdicts)
        {
            double agreement = v.Candidate.Fidelity!.Value;
            Assert.Equal(agreement >= 1.0, v.Accepted);
            Assert.Equal(v.Candidate.Precision == Precision.Fp32 ? 1.0 : R.Models.Single(m => m.Name == v.Candidate.Model).Variant(v.Candidate.Precision)!.Fidelity!.Top1Agreement,
                agreement);
        }
    }

    [Fact]
    public void InvalidBudgetsAndEmptyResultsAreErrors()
    {
        var e = Assert.Throws<LightNetException>(() => ModelSelector.Recommend(R, new SelectionConstraints { MaxLatencyMs = -1, MinFidelity = 2, MaxModelMiB = double.NaN }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("latency budget must be a positive number of milliseconds, not -1", e.Message);
        Assert.Contains("fidelity floor must be between 0 and 1, not 2", e.Message);
        Assert.Contains("size budget", e.Message);

        StudyResults failed = R with { Cells = R.Cells.Select(c => c with { Report = null, Error = "failed" }).ToList() };
        e = Assert.Throws<LightNetException>(() => ModelSelector.Recommend(failed));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("no measured model", e.Message);
        Assert.Throws<ArgumentNullException>(() => ModelSelector.Recommend(null!));
    }
}

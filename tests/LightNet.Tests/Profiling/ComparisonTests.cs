using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Profiling;

public class ComparisonTests
{
    private static readonly ProfileOptions Fast = ProfileOptions.Quick with { WarmupRuns = 1, Runs = 8, MinSeconds = 0, MaxSeconds = 20, Threads = 1 };

    [Fact]
    public void InterleavedMatrixWithBaselineAndUnavailableBackends()
    {
        Model a = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        Model b = ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 });
        Backend[] backends = [Backend.Parse("ort-cpu"), Backend.Parse("ort-cpu:opt=none"), Backend.Parse("ort-cuda")];

        ComparisonReport report = Profiler.Compare([a, b], backends, Fast, baseline: "ort-cpu:opt=none");

        Assert.Equal("ort-cpu:opt=none", report.Baseline);
        Assert.Equal(4, report.Cells.Count);
        Assert.Equal("ort-cuda", Assert.Single(report.Unavailable).Name);
        foreach (ComparisonCell cell in report.Cells)
        {
            Assert.Null(cell.Error);
            Assert.True(cell.LatencyMs!.Count >= 8);
            Assert.True(cell.SpeedUpCi.Lower <= cell.SpeedUp && cell.SpeedUp <= cell.SpeedUpCi.Upper, $"{cell.SpeedUp} not in {cell.SpeedUpCi}");
        }

        Assert.All(report.Cells.Where(c => c.Backend.Name == "ort-cpu:opt=none"), c => Assert.Equal(1.0, c.SpeedUp));
        ComparisonCell optimised = report.Cells.Single(c => c.Model.Name == "mobilenet_v2" && c.Backend.Name == "ort-cpu");
        ComparisonCell plain = report.Cells.Single(c => c.Model.Name == "mobilenet_v2" && c.Backend.Name == "ort-cpu:opt=none");
        Assert.Equal(plain.LatencyMs!.Mean / optimised.LatencyMs!.Mean, optimised.SpeedUp, tolerance: 1e-12);
    }

    [Fact]
    public void SwitchSettleTimesBlocksAfterUntimedRunsAndZeroAlternatesSingleRuns()
    {
        Model a = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        Backend[] backends = [Backend.Parse("ort-cpu"), Backend.Parse("ort-cpu:opt=none")];

        // Strict alternation: one timed run per backend per round, so exactly Runs each when there is no minimum time.
        ComparisonReport strict = Profiler.Compare([a], backends, Fast with { SwitchSettle = TimeSpan.Zero });
        Assert.All(strict.Cells, c => Assert.Equal(8, c.LatencyMs!.Count));
        Assert.Equal(0, strict.Settings.SwitchSettleMs);

        // Blocks: each turn is timed for twice the settle time, so a 100 ms settle gives 200 ms blocks of runs of a few ms.
        // More runs than rounds unless every one of a backend's four blocks held a single run (a machine stalled for
        // 200 ms four times over: the CI machine once stalled 60 ms blocks of a 30 ms settle eight times over).
        ComparisonReport blocks = Profiler.Compare([a], backends, Fast with { Runs = 4, SwitchSettle = TimeSpan.FromMilliseconds(100) });
        Assert.Equal(100, blocks.Settings.SwitchSettleMs);
        Assert.All(blocks.Cells, c => Assert.True(c.LatencyMs!.Count > 4, $"{c.Backend.Name}: {c.LatencyMs!.Count} runs"));

        IReadOnlyList<string> problems = (ProfileOptions.Default with { SwitchSettle = TimeSpan.FromMilliseconds(-1) }).Validate();
        Assert.Contains(problems, p => p.Contains("switch settle", StringComparison.Ordinal));
    }

    [Fact]
    public void BaselineMustBeAvailable()
    {
        Model a = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        var e = Assert.Throws<LightNetException>(() => Profiler.Compare([a], [Backend.Parse("ort-cpu")], Fast, baseline: "ort-cuda"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        e = Assert.Throws<LightNetException>(() => Profiler.Compare([a], [Backend.Parse("ort-cuda")], Fast));
        Assert.Equal(ErrorCode.BackendUnavailable, e.Code);
    }

    [Fact]
    public void FidelityOfTheSameModelIsExactAndOfAPerturbedOneIsNot()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        FidelityReport same = Assert.Single(Profiler.CompareOutputs(model, Backend.Parse("ort-cpu:opt=none"), Backend.Parse("ort-cpu"),
            Fast with { BatchSize = 1 }));
        Assert.Equal("output", same.Output);
        Assert.True(same.MaxAbsoluteError < 1e-3, same.ToString());
        Assert.True(same.CosineSimilarity > 0.99999);
        Assert.Equal(1.0, same.Top1Agreement);

        Model other = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10, Seed = 99 });
        FidelityReport different = Assert.Single(Profiler.CompareOutputs(other, Backend.Parse("ort-cpu"), Backend.Parse("ort-cpu"), Fast, referenceModel: model));
        Assert.True(different.MaxAbsoluteError > 1e-3);
        Assert.True(different.CosineSimilarity < 0.9999);
    }

    [Fact]
    public void FidelityMathOnKnownVectors()
    {
        // Rows [1,2,3] vs [1,2,2] and [0,0,9] vs [0,1,8].
        FidelityReport r = Fidelity.Measure("y", "a", "b", [1f, 2f, 3f, 0f, 0f, 9f], [1f, 2f, 2f, 0f, 1f, 8f], [2, 3]);
        Assert.Equal(1.0, r.MaxAbsoluteError, 9);
        Assert.Equal(3.0 / 6, r.MeanAbsoluteError, 9);
        Assert.Equal(1.0, r.MaxRelativeError, 9); // |0 - 1| / 1
        double dot = 1 + 4 + 6 + 0 + 0 + 72, na = 1 + 4 + 9 + 81, nb = 1 + 4 + 4 + 1 + 64;
        Assert.Equal(dot / Math.Sqrt(na * nb), r.CosineSimilarity, 9);
        Assert.Equal(0.5, r.Top1Agreement); // row 0: arg-max 2 vs 0; row 1: 2 vs 2

        // allclose(rtol 1e-3, atol 1e-4): the worst element is |0 - 1| / (1e-4 + 1e-3·1).
        Assert.Equal(1 / 1.1e-3, r.AllCloseRatio, 6);
        FidelityReport close = Fidelity.Measure("y", "a", "b", [1.0005f, 0f], [1f, 0.00005f], [2]);
        Assert.InRange(close.AllCloseRatio, 0.4, 0.6); // 5e-4 / 1.1e-3 and 5e-5 / 1e-4: both pass
    }
}

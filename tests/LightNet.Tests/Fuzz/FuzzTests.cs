using LightNet.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Fuzz;

/// <summary>
/// The fuzz targets (tests/LightNet.Fuzz) in the test run: the saved corpus (seeds and every regression input found so
/// far, tests/fuzz/corpus) replays with success or a clean error only, every seed succeeds, and a short seeded campaign
/// per target finds no crash, hang or memory blow-up. The longer seeded budget runs in .ci/run; long campaigns with
/// AFL++ are described in tests/fuzz/README.md.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private static readonly string CorpusRoot = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");

    public static TheoryData<string> Targets => [.. FuzzTarget.All.Select(t => t.Name)];

    private static Campaign NewCampaign(FuzzTarget target) => new(target, TimeSpan.FromSeconds(20), 1L << 30);

    [Theory]
    [MemberData(nameof(Targets))]
    public void TheCorpusReplaysWithSuccessOrACleanError(string name)
    {
        FuzzTarget target = FuzzTarget.Get(name);
        var corpus = LightNet.Fuzz.Program.Corpus(CorpusRoot, target);
        Assert.Contains(corpus, c => c.Name.StartsWith("seed-", StringComparison.Ordinal));
        Campaign campaign = NewCampaign(target);
        foreach ((string file, byte[] bytes) in corpus)
        {
            Outcome o = campaign.RunOne(bytes);
            output.WriteLine($"{file}: {o.Kind} {o.Detail} {o.Elapsed.TotalMilliseconds:F0} ms");
            Assert.True(o.Kind is OutcomeKind.Success or OutcomeKind.CleanError, $"{name}/{file}: {o.Kind} {o.Detail}: {o.Message}");
            if (file.StartsWith("seed-", StringComparison.Ordinal))
            {
                Assert.True(o.Kind == OutcomeKind.Success, $"seed {name}/{file} failed: {o.Detail}: {o.Message}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void AShortSeededCampaignFindsNothingAndIsDeterministic(string name)
    {
        FuzzTarget target = FuzzTarget.Get(name);
        var corpus = LightNet.Fuzz.Program.Corpus(CorpusRoot, target).Select(c => c.Bytes).ToList();
        CampaignStats first = NewCampaign(target).Fuzz(corpus, seed: 7, count: 40, TimeSpan.MaxValue);
        output.WriteLine(first.TableRow);
        foreach ((Outcome o, byte[] _) in first.Findings)
        {
            output.WriteLine($"{o.Kind} {o.Detail}: {o.Message}");
        }

        Assert.Equal(40, first.Tried);
        Assert.True(first.Clean, $"{first.Crashes} crashes, {first.Hangs} hangs, {first.MemoryBlowUps} blow-ups");
        Assert.True(first.CleanErrors > 0, "no mutant was refused: the mutator does not mutate");

        // The same seed gives the same inputs and so the same outcomes.
        CampaignStats second = NewCampaign(target).Fuzz(corpus, seed: 7, count: 40, TimeSpan.MaxValue);
        Assert.Equal((first.Successes, first.CleanErrors), (second.Successes, second.CleanErrors));
        Assert.Equal(first.ErrorCodes, second.ErrorCodes);
    }
}

using LightNet.Analysis;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Zoo;

public class ModelZooTests
{
    public static TheoryData<string> AllNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in ModelZoo.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ParametersAreExactAndMacsWithinThreePercent(string name)
    {
        ZooEntry entry = ModelZoo.Get(name);
        Model model = ModelZoo.Create(name);
        ModelInfo info = model.Info;

        Assert.Equal(entry.ReferenceParameters, info.Parameters);
        double ratio = info.Macs / (double)entry.ReferenceMacs;
        Assert.True(Math.Abs(ratio - 1) <= 0.03, $"{name}: {info.Macs:N0} MACs vs reference {entry.ReferenceMacs:N0} (ratio {ratio:F4})");
        Assert.Equal([1L, 1000L], info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        Assert.Equal("synthetic", model.Metadata["lightnet.weights"]);
    }
}

using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Onnx;

public class RoundTripTests
{
    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("shufflenet_v2_x1_0")]
    [InlineData("squeezenet1_1")]
    public void ZooModelSurvivesSaveAndLoad(string name)
    {
        using var dir = new TempDirectory();
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 64, Classes = 10 });
        model.Save(dir.File("m.onnx"));
        Model back = Model.Load(dir.File("m.onnx"));

        Assert.Equal(model.Proto, back.Proto);
        Assert.Equal(model.ToArray(), back.ToArray());
        Assert.Equal(model.Graph.Nodes.Count, back.Graph.Nodes.Count);
        for (int i = 0; i < model.Graph.Nodes.Count; i++)
        {
            Node a = model.Graph.Nodes[i], b = back.Graph.Nodes[i];
            Assert.Equal(a.OpType, b.OpType);
            Assert.Equal(a.Attributes.Values.Select(x => x.ToString()), b.Attributes.Values.Select(x => x.ToString()));
        }

        foreach ((string n, TensorData t) in model.Graph.Initializers)
        {
            Assert.True(t.RawData.Span.SequenceEqual(back.Graph.Initializers[n].RawData.Span), n);
        }

        Assert.Equal(model.Info.Parameters, back.Info.Parameters);
        Assert.Equal(model.Info.Macs, back.Info.Macs);
    }

    [Fact]
    public void StreamRoundTrip()
    {
        Model model = TestModels.Tiny();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        Model back = Model.Load(stream);
        Assert.Equal(model.Proto, back.Proto);
    }

    [Fact]
    public void SaveReplacesAtomicallyAndLeavesNoTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.onnx");
        File.WriteAllText(path, "old");

        // A write that fails half-way leaves the old file as it was and no temp file behind.
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("disk full, say");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));

        TestModels.Tiny().Save(path);
        Assert.Equal(TestModels.Tiny().ToArray(), File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void SaveIntoAFileInsteadOfAFolderFailsClearly()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("blocker"), "x");
        var e = Assert.Throws<LightNetException>(() => TestModels.Tiny().Save(dir.File("blocker/m.onnx")));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("blocker", e.Message);
    }
}

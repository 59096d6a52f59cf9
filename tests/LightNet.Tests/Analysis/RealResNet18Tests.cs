using LightNet.Analysis;
using LightNet.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace LightNet.Tests.Analysis;

/// <summary>
/// The real ImageNet ResNet-18 that NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 ships
/// (a CNTK 2.6 export, IR 3, opset 8, 512-d features; its last stage has three basic blocks, not two).
/// </summary>
public class RealResNet18Tests
{
    private static readonly Lazy<Model> s_model = new(() => Model.Load(TestModels.RealResNet18Path));

    [Fact]
    public void LoadsAndItsAnalysisIsKnown()
    {
        Model m = s_model.Value;
        Assert.Equal("CNTK", m.ProducerName);
        Assert.Equal(3, m.IrVersion);
        Assert.Equal(8, m.Opset);
        Assert.Equal(74, m.Graph.Nodes.Count);
        Assert.Equal("Input247", m.Graph.Inputs.Single().Name);

        ModelInfo info = m.Info;
        Assert.Equal(15_897_152, info.Parameters);
        Assert.Equal(11_648, info.BufferValues);
        Assert.Equal(2_044_772_352, info.Macs);
        Assert.Equal(new FileInfo(TestModels.RealResNet18Path).Length, info.FileBytes);
        Assert.Equal([1L, 512, 1, 1], info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        Assert.Equal(22, info.OperatorCounts["Conv"]);
        Assert.Equal(22, info.OperatorCounts["BatchNormalization"]);
        Assert.Equal(9, info.OperatorCounts["Add"]);
        // Peak: the stem conv's output and the BatchNormalization output it feeds (64×112×112 floats each);
        // the input is already dead by then.
        Assert.Equal(2 * 64 * 112 * 112 * 4, info.PeakActivationBytes);
        Assert.Equal(info.Macs, info.Layers.Sum(l => l.Macs));
        Assert.Equal(info.Parameters, info.Layers.Sum(l => l.Parameters));
    }

    [Fact]
    public void RoundTripIsLosslessAndRunsIdenticallyInOnnxRuntime()
    {
        using var dir = new TempDirectory();
        Model original = s_model.Value;
        original.Save(dir.File("copy.onnx"));
        Model copy = Model.Load(dir.File("copy.onnx"));

        Assert.Equal(original.Proto, copy.Proto);
        foreach ((string name, var tensor) in original.Graph.Initializers)
        {
            Assert.True(tensor.RawData.Span.SequenceEqual(copy.Graph.Initializers[name].RawData.Span), name);
        }

        var input = new DenseTensor<float>(new Random(7).GetItems(Enumerable.Range(-100, 200).Select(i => i / 50f).ToArray(), 3 * 224 * 224), [1, 3, 224, 224]);
        float[] Run(byte[] bytes)
        {
            using var session = new InferenceSession(bytes);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Input247", input)]);
            return results.Single().AsEnumerable<float>().ToArray();
        }

        float[] a = Run(File.ReadAllBytes(TestModels.RealResNet18Path));
        float[] b = Run(copy.ToArray());
        Assert.Equal(512, a.Length);
        Assert.Equal(a, b);
    }
}

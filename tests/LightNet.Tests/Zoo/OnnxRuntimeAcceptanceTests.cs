using LightNet.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace LightNet.Tests.Zoo;

/// <summary>Every zoo model is a model ONNX Runtime 1.31.1 accepts and runs, from LightNet's own bytes.</summary>
public class OnnxRuntimeAcceptanceTests
{
    /// <summary>Smallest convenient resolution per network (VGG's 7×7 pooling needs a final map of 1 or 7).</summary>
    private static int SmallResolution(string name) => name switch
    {
        "vgg16" => 32,
        "inception_v3" => 96,
        _ => 64,
    };

    private static float[] RunInOnnxRuntime(Model model, out int[] outputShape)
    {
        long[] inputShape = model.Info.Inputs.Single().Shape!.Select(d => d.Value!.Value).ToArray();
        var random = new Random(3);
        int count = (int)inputShape.Aggregate(1L, (a, b) => a * b);
        var input = new DenseTensor<float>(Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray(),
            inputShape.Select(d => (int)d).ToArray());
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model.ToArray(), options);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var output = results.Single(r => r.Name == "output").AsTensor<float>();
        outputShape = output.Dimensions.ToArray();
        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(ModelZooTests.AllNames), MemberType = typeof(ModelZooTests))]
    public void RunsAtSmallResolutionWithBatchAndClasses(string name)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = SmallResolution(name), BatchSize = 2, Classes = 10 });
        float[] logits = RunInOnnxRuntime(model, out int[] shape);
        Assert.Equal([2, 10], shape);
        Assert.All(logits, v => Assert.True(float.IsFinite(v), $"{name} produced {v}"));
        Assert.Contains(logits, v => v != 0);
    }

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x1_0")]
    public void RunsAtFullSize(string name)
    {
        Model model = ModelZoo.Create(name);
        float[] logits = RunInOnnxRuntime(model, out int[] shape);
        Assert.Equal([1, 1000], shape);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SameSeedSameBytesOtherSeedOtherWeights()
    {
        var options = new ZooOptions { Resolution = 64, Classes = 10 };
        byte[] a = ModelZoo.Create("resnet18", options).ToArray();
        Assert.Equal(a, ModelZoo.Create("resnet18", options).ToArray());
        Assert.NotEqual(a, ModelZoo.Create("resnet18", options with { Seed = 7 }).ToArray());
    }

    [Theory]
    [InlineData(13)]
    [InlineData(21)]
    public void OldestAndNewestOpsetsRun(int opset)
    {
        // Below opset 14 HardSwish does not exist and is emitted as x · HardSigmoid(x).
        Model model = ModelZoo.Create("mobilenet_v3_small", new ZooOptions { Resolution = 64, Classes = 10, Opset = opset });
        Assert.Equal(opset, model.Opset);
        Assert.Equal(opset >= 14, model.Info.OperatorCounts.ContainsKey("HardSwish"));
        RunInOnnxRuntime(model, out int[] shape);
        Assert.Equal([1, 10], shape);
    }
}

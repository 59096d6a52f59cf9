using LightNet.Analysis;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Analysis;

/// <summary><see cref="ModelInfo"/> counts weights wherever a model stores them: initializers or Constant nodes.</summary>
public class ModelAnalyzerTests
{
    private static readonly TensorData[] s_weights =
    [
        TensorData.FromFloats("conv_w", [8, 3, 3, 3], Enumerable.Range(0, 216).Select(i => i * 0.01f).ToArray()),
        TensorData.FromFloats("conv_b", [8], new float[8]),
        TensorData.FromFloats("bn_scale", [8], Enumerable.Repeat(1f, 8).ToArray()),
        TensorData.FromFloats("bn_bias", [8], new float[8]),
        TensorData.FromFloats("bn_mean", [8], new float[8]),
        TensorData.FromFloats("bn_var", [8], Enumerable.Repeat(1f, 8).ToArray()),
        TensorData.FromInt64s("shape", [2], [1, -1]),
        TensorData.FromFloats("fc_w", [8 * 6 * 6, 10], new float[8 * 6 * 6 * 10]),
        TensorData.FromFloats("fc_b", [10], new float[10]),
        TensorData.FromFloats("proj", [10, 4], new float[40]),
        TensorData.FromFloats("lo", [], [0f]),
        TensorData.FromFloats("hi", [], [6f]),
    ];

    /// <summary>Conv → BN → Clip → Reshape → Gemm → MatMul, weights as initializers or as Constant nodes.</summary>
    private static Model ConvGemm(bool constantNodes)
    {
        var b = new ModelBuilder(constantNodes ? "paddle_style" : "initializers", 13);
        b.AddInput("x", TensorElementType.Float, 1, 3, 8, 8);
        foreach (TensorData w in s_weights)
        {
            if (constantNodes)
            {
                b.AddNode("Constant", [], [w.Name], "const_" + w.Name, NodeAttribute.Tensor("value", w));
            }
            else
            {
                b.AddInitializer(w);
            }
        }

        b.AddNode("Conv", ["x", "conv_w", "conv_b"], ["c"], "conv");
        b.AddNode("BatchNormalization", ["c", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn"], "bn");
        b.AddNode("Clip", ["bn", "lo", "hi"], ["r"], "relu6");
        b.AddNode("Reshape", ["r", "shape"], ["flat"], "flatten");
        b.AddNode("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], "fc");
        b.AddNode("MatMul", ["fc", "proj"], ["y"], "proj");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Fact]
    public void ConstantNodeWeightsCountLikeInitializers()
    {
        ModelInfo init = ConvGemm(constantNodes: false).Info;
        ModelInfo constant = ConvGemm(constantNodes: true).Info;

        long expectedParameters = 216 + 8 + 8 + 8 + (288 * 10) + 10 + 40;
        Assert.Equal(expectedParameters, init.Parameters);
        Assert.Equal(init.Parameters, constant.Parameters);
        Assert.Equal(16, constant.BufferValues);
        Assert.Equal(init.BufferValues, constant.BufferValues);
        Assert.Equal(init.ConstantValues, constant.ConstantValues);
        Assert.Equal(init.WeightBytes, constant.WeightBytes);
        Assert.Equal(s_weights.Sum(w => w.ByteCount), constant.WeightBytes);
        Assert.Equal((8L * 6 * 6 * 27) + (288 * 10) + (10 * 4), init.Macs);
        Assert.Equal(init.Macs, constant.Macs);
        Assert.Equal(init.PeakActivationBytes, constant.PeakActivationBytes);

        // Each weight is attributed to the layer that reads it, as for initializers.
        foreach (string op in new[] { "Conv", "BatchNormalization", "Gemm", "MatMul" })
        {
            Assert.Equal(init.Layers.Single(l => l.OpType == op).Parameters, constant.Layers.Single(l => l.OpType == op).Parameters);
        }

        Assert.All(constant.Layers.Where(l => l.OpType == "Constant"), l => Assert.Equal(0, l.Parameters));
    }

    [Fact]
    public void ScalarAndListConstantAttributesAreStoredValuesToo()
    {
        var b = new ModelBuilder("constant_attributes", 13);
        b.AddInput("x", TensorElementType.Float, 1, 4);
        b.AddNode("Constant", [], ["w"], "w", NodeAttribute.Floats("value_floats", 1f, 2f, 3f, 4f));
        b.AddNode("Constant", [], ["s"], "s", NodeAttribute.Float("value_float", 2f));
        b.AddNode("Constant", [], ["shape"], "shape", NodeAttribute.Ints("value_ints", 4, 1));
        b.AddNode("Mul", ["x", "w"], ["m"], "scale");
        b.AddNode("Mul", ["m", "s"], ["m2"], "double");
        b.AddNode("Reshape", ["m2", "shape"], ["y"], "reshape");
        b.AddOutput("y", TensorElementType.Float);
        ModelInfo info = b.Build().Info;
        Assert.Equal(5, info.Parameters);
        Assert.Equal(2, info.ConstantValues);
        Assert.Equal((5 * 4) + (2 * 8), info.WeightBytes);
    }
}

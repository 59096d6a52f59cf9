using LightNet.Analysis;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Analysis;

/// <summary>Static shape inference of operators without a hand-written rule, through their registry entries.</summary>
public class RegistryShapeInferenceTests
{
    [Fact]
    public void OperatorsWithoutARuleGetTheirShapesFromTheRegistry()
    {
        var b = new ModelBuilder("registry_shapes", 17);
        b.AddInput("x", TensorElementType.Float, 2, 3, 4);
        b.AddInitializer(TensorData.FromInt64s("axis", [], [1]));
        b.AddInitializer(TensorData.FromInt64s("k", [1], [2]));
        b.AddNode("Einsum", ["x"], ["e"], "einsum", NodeAttribute.String("equation", "bij->bji"));
        b.AddNode("CumSum", ["e", "axis"], ["c"], "cumsum");
        b.AddNode("TopK", ["c", "k"], ["values", "indices"], "topk");
        b.AddNode("Trilu", ["values"], ["y"], "trilu");
        b.AddOutput("y", TensorElementType.Float);
        b.AddOutput("indices", TensorElementType.Int64);
        ModelInfo info = b.Build().Info;
        Assert.Equal([2, 4, 3], info.Layers.Single(l => l.Name == "einsum").OutputShape);
        Assert.Equal([2, 4, 3], info.Layers.Single(l => l.Name == "cumsum").OutputShape);
        Assert.Equal([2, 4, 2], info.Layers.Single(l => l.Name == "topk").OutputShape);
        Assert.Equal([2, 4, 2], info.Layers.Single(l => l.Name == "trilu").OutputShape);
    }

    [Fact]
    public void DataDependentShapesAreNotGuessedFromPlaceholders()
    {
        var b = new ModelBuilder("data_dependent", 17);
        b.AddInput("x", TensorElementType.Float, 3, 4);
        b.AddNode("NonZero", ["x"], ["nz"], "nonzero");
        b.AddOutput("nz", TensorElementType.Int64);
        var e = Assert.Throws<LightNetException>(() => b.Build().Analyze());
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("NonZero", e.Message);
    }
}

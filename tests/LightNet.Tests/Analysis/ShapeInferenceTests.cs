using LightNet.Analysis;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Analysis;

public class ShapeInferenceTests
{
    private static long[] OutputShape(Model m, AnalysisOptions? options = null) =>
        m.Analyze(options).Outputs.Single().Shape!.Select(d => d.Value!.Value).ToArray();

    private static ModelBuilder Conv3x3(IReadOnlyList<Dimension> inputShape)
    {
        var b = new ModelBuilder("conv", 17);
        b.AddInput("x", TensorElementType.Float, inputShape);
        b.AddInitializer(TensorData.FromFloats("w", [4, 3, 3, 3], new float[108]));
        b.AddNode("Conv", ["x", "w"], ["y"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddOutput("y", TensorElementType.Float);
        return b;
    }

    [Fact]
    public void MissingDimensionsAreAllListed()
    {
        Model m = Conv3x3([Dimension.Symbolic("N"), 3, Dimension.Symbolic("H"), Dimension.Unknown]).Build();
        var e = Assert.Throws<LightNetException>(() => m.Info);
        Assert.Equal(ErrorCode.MissingDimension, e.Code);
        Assert.Contains("input 'x' axis 0 ('N')", e.Message);
        Assert.Contains("input 'x' axis 2 ('H')", e.Message);
        Assert.Contains("input 'x' axis 3 (unnamed)", e.Message);

        ModelInfo info = m.Analyze(AnalysisOptions.WithInputShapes(new Dictionary<string, long[]> { ["x"] = [2, 3, 8, 8] }));
        Assert.Equal([2L, 4, 8, 8], info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        // MACs = output elements × input channels × kernel area = (2·4·8·8) × 3 × 9.
        Assert.Equal(2 * 4 * 8 * 8 * 3 * 9, info.Macs);

        Model named = Conv3x3([Dimension.Symbolic("N"), 3, Dimension.Symbolic("H"), Dimension.Symbolic("H")]).Build();
        ModelInfo byName = named.Analyze(new AnalysisOptions { DimensionValues = new Dictionary<string, long> { ["N"] = 1, ["H"] = 5 } });
        Assert.Equal([1L, 4, 5, 5], byName.Outputs.Single().Shape!.Select(d => d.Value!.Value));
    }

    [Fact]
    public void GivenShapeMustAgreeWithDeclaredOne()
    {
        Model m = Conv3x3([1, 3, 8, 8]).Build();
        var e = Assert.Throws<LightNetException>(() => m.Analyze(AnalysisOptions.WithInputShapes(new Dictionary<string, long[]> { ["x"] = [1, 3, 9, 8] })));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("axis 2", e.Message);
        e = Assert.Throws<LightNetException>(() => m.Analyze(AnalysisOptions.WithInputShapes(new Dictionary<string, long[]> { ["nope"] = [1] })));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void PyTorchStyleFlattenThroughShapeGatherConcatReshape()
    {
        var b = new ModelBuilder("flatten", 13);
        b.AddInput("x", TensorElementType.Float, 2, 8, 3, 3);
        b.AddInitializer(TensorData.FromInt64s("zero", [], [0]));
        b.AddInitializer(TensorData.FromInt64s("axes0", [1], [0]));
        b.AddInitializer(TensorData.FromInt64s("minus1", [1], [-1]));
        b.AddNode("Shape", ["x"], ["shape"]);
        b.AddNode("Gather", ["shape", "zero"], ["batch"], null, NodeAttribute.Int("axis", 0));
        b.AddNode("Unsqueeze", ["batch", "axes0"], ["batch1"]);
        b.AddNode("Concat", ["batch1", "minus1"], ["target"], null, NodeAttribute.Int("axis", 0));
        b.AddNode("Reshape", ["x", "target"], ["y"]);
        b.AddOutput("y", TensorElementType.Float);
        Assert.Equal([2L, 72], OutputShape(b.Build()));
    }

    [Fact]
    public void ResizePadSliceSplitTransposeMatMul()
    {
        var b = new ModelBuilder("mix", 17);
        b.AddInput("x", TensorElementType.Float, 1, 2, 5, 5);
        b.AddInitializer(TensorData.FromFloats("scales", [4], [1, 1, 1.5f, 2]));
        b.AddInitializer(TensorData.FromInt64s("pads", [8], [0, 0, 1, 0, 0, 0, 2, 3]));
        b.AddInitializer(TensorData.FromInt64s("starts", [1], [-4]));
        b.AddInitializer(TensorData.FromInt64s("ends", [1], [long.MaxValue]));
        b.AddInitializer(TensorData.FromInt64s("axes", [1], [3]));
        b.AddInitializer(TensorData.FromInt64s("split", [2], [3, 7]));
        b.AddInitializer(TensorData.FromFloats("m", [3, 4, 6], new float[72]));
        b.AddNode("Resize", ["x", "", "scales"], ["r"], null, NodeAttribute.String("mode", "nearest")); // [1,2,7,10]
        b.AddNode("Pad", ["r", "pads"], ["p"]);                                                           // [1,2,10,13]
        b.AddNode("Slice", ["p", "starts", "ends", "axes"], ["s"]);                                       // [1,2,10,4]
        b.AddNode("Split", ["s", "split"], ["a", "c"], null, NodeAttribute.Int("axis", 2));               // [1,2,3,4] and [1,2,7,4]
        b.AddNode("Transpose", ["a"], ["t"], null, NodeAttribute.Ints("perm", 1, 0, 2, 3));               // [2,1,3,4]
        b.AddNode("MatMul", ["t", "m"], ["y"]);                                                           // [2,3,3,6]
        b.AddOutput("y", TensorElementType.Float);
        b.AddOutput("c", TensorElementType.Float);
        Model model = b.Build();
        ModelInfo info = model.Info;
        Assert.Equal([2L, 3, 3, 6], info.Outputs[0].Shape!.Select(d => d.Value!.Value));
        Assert.Equal([1L, 2, 7, 4], info.Outputs[1].Shape!.Select(d => d.Value!.Value));
        Assert.Equal(2 * 3 * 3 * 6 * 4, info.Macs);
    }

    [Fact]
    public void ConvTransposeShapeAndMacs()
    {
        var b = new ModelBuilder("deconv", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 5, 5);
        b.AddInitializer(TensorData.FromFloats("w", [4, 2, 3, 3], new float[72]));
        b.AddNode("ConvTranspose", ["x", "w"], ["y"], "up", NodeAttribute.Ints("strides", 2, 2), NodeAttribute.Ints("pads", 1, 1, 1, 1),
            NodeAttribute.Ints("output_padding", 1, 1));
        b.AddOutput("y", TensorElementType.Float);
        ModelInfo info = b.Build().Info;
        // out = stride·(in−1) + output_padding + kernel − pads = 2·4 + 1 + 3 − 2 = 10.
        Assert.Equal([1L, 2, 10, 10], info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        Assert.Equal(1 * 4 * 5 * 5 * 2 * 9, info.Macs);
    }

    [Fact]
    public void CeilModePoolingMatchesPyTorch()
    {
        var b = new ModelBuilder("pool", 17);
        b.AddInput("x", TensorElementType.Float, 1, 1, 112, 112);
        b.AddNode("MaxPool", ["x"], ["y"], "pool", NodeAttribute.Ints("kernel_shape", 3, 3), NodeAttribute.Ints("strides", 2, 2),
            NodeAttribute.Int("ceil_mode", 1));
        b.AddOutput("y", TensorElementType.Float);
        Assert.Equal([1L, 1, 56, 56], OutputShape(b.Build()));
    }

    [Fact]
    public void BroadcastMismatchNamesTheNode()
    {
        var b = new ModelBuilder("bad", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3);
        b.AddInitializer(TensorData.FromFloats("b", [4], new float[4]));
        b.AddNode("Add", ["x", "b"], ["y"], "adder");
        b.AddOutput("y", TensorElementType.Float);
        var e = Assert.Throws<LightNetException>(() => b.Build().Info);
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("node 'adder' (Add)", e.Message);
        Assert.Contains("[1, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void UnknownOperatorIsNamed()
    {
        var b = new ModelBuilder("custom", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3);
        b.AddNode("FancyOp", ["x"], ["y"], "fancy");
        b.AddOutput("y", TensorElementType.Float);
        var e = Assert.Throws<LightNetException>(() => b.Build().Info);
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("FancyOp", e.Message);
        Assert.Contains("node 'fancy'", e.Message);
    }

    [Fact]
    public void BatchNormStatisticsAreNotParametersAndPeakMemoryFollowsLiveness()
    {
        var b = new ModelBuilder("bn", 17);
        b.AddInput("x", TensorElementType.Float, 1, 8, 4, 4);
        foreach (string n in new[] { "scale", "bias", "mean", "var" })
        {
            b.AddInitializer(TensorData.FromFloats(n, [8], new float[8]));
        }

        b.AddInitializer(TensorData.FromInt64s("shape", [2], [1, -1]));
        b.AddNode("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["bn"]);
        b.AddNode("Relu", ["bn"], ["r"]);
        b.AddNode("Reshape", ["r", "shape"], ["y"]);
        b.AddOutput("y", TensorElementType.Float);
        ModelInfo info = b.Build().Info;
        Assert.Equal(16, info.Parameters);
        Assert.Equal(16, info.BufferValues);
        Assert.Equal(2, info.ConstantValues);
        // 128 floats per value: x and bn live together, then bn and r, then r and y.
        Assert.Equal(2 * 128 * 4, info.PeakActivationBytes);
        Assert.Equal(1, info.OperatorCounts["Relu"]);
        Assert.Equal(16, info.Layers[0].Parameters);
    }

    [Fact]
    public void ConstantOfShapeReduceMeanSqueezeLrnSoftmax()
    {
        var b = new ModelBuilder("misc", 18);
        b.AddInput("x", TensorElementType.Float, 2, 6, 5, 5);
        b.AddInitializer(TensorData.FromInt64s("target", [2], [2, 6]));
        b.AddInitializer(TensorData.FromInt64s("hw", [2], [2, 3]));
        b.AddInitializer(TensorData.FromInt64s("sq", [2], [2, 3]));
        b.AddNode("LRN", ["x"], ["l"], null, NodeAttribute.Int("size", 5));
        b.AddNode("ReduceMean", ["l", "hw"], ["m"]);                                  // [2,6,1,1] (keepdims)
        b.AddNode("Squeeze", ["m", "sq"], ["s"]);                                     // [2,6]
        b.AddNode("Softmax", ["s"], ["p"], null, NodeAttribute.Int("axis", 1));
        b.AddNode("ConstantOfShape", ["target"], ["ones"], null, NodeAttribute.Tensor("value", TensorData.FromFloats("v", [1], [1f])));
        b.AddNode("Mul", ["p", "ones"], ["y"]);
        b.AddOutput("y", TensorElementType.Float);
        Assert.Equal([2L, 6], OutputShape(b.Build()));
    }
}

using LightNet.Backends;
using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>
/// Models cpu-simd once failed on with a raw .NET exception (KeyNotFoundException, IndexOutOfRangeException) or
/// ran wrongly: each must now run like ONNX Runtime or be refused with a <see cref="LightNetException"/> that names
/// the node, operator, opset and attribute. The refusals are those of the compiled fast path (a CpuSimdSession
/// built directly); the cpu-simd backend then runs such graphs in its interpreter (see tests/Operators).
/// </summary>
public class CpuSimdRegressionTests
{
    private static readonly Random s_random = new(5);

    private static TensorData Floats(string name, params long[] dims)
    {
        int n = (int)dims.Aggregate(1L, (p, d) => p * d);
        return TensorData.FromFloats(name, dims, Enumerable.Range(0, n).Select(_ => (s_random.NextSingle() * 2) - 1).ToArray());
    }

    private static LightNetException Refusal(Model model)
    {
        var e = Assert.Throws<LightNetException>(() =>
        {
            using var session = new CpuSimdSession((CpuSimdBackend)Backend.Parse("cpu-simd"), model, new InferenceOptions { Threads = 1 },
                IsaSupport.Best, threads: 1);
        });
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        return e;
    }

    private static Model BatchNorm(long opset, bool trainingMode, bool statisticsOutputs)
    {
        var b = new ModelBuilder("bn_train", opset);
        b.AddInput("x", TensorElementType.Float, 2, 3, 4, 4);
        b.AddInitializer(Floats("scale", 3));
        b.AddInitializer(Floats("bias", 3));
        b.AddInitializer(Floats("mean", 3));
        b.AddInitializer(TensorData.FromFloats("var", [3], [1f, 2f, 3f]));
        string[] outputs = statisticsOutputs ? ["y", "output_mean", "output_var"] : ["y"];
        b.AddNode("BatchNormalization", ["x", "scale", "bias", "mean", "var"], outputs, "bn",
            trainingMode ? [NodeAttribute.Int("training_mode", 1)] : []);
        foreach (string o in outputs)
        {
            b.AddOutput(o, TensorElementType.Float);
        }

        return b.Build();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNormalizationTrainingModeIsRefusedByName(bool statisticsOutputs)
    {
        LightNetException e = Refusal(BatchNorm(15, trainingMode: true, statisticsOutputs));
        Assert.Contains("BatchNormalization node 'bn' (opset 15)", e.Message);
        Assert.Contains("training_mode", e.Message);
    }

    [Fact]
    public void BatchNormalizationStatisticsOutputsBeforeOpset14AreRefused()
    {
        // Before opset 14 training mode is asked for by the running mean/variance outputs.
        LightNetException e = Refusal(BatchNorm(9, trainingMode: false, statisticsOutputs: true));
        Assert.Contains("BatchNormalization node 'bn' (opset 9)", e.Message);
        Assert.Contains("running mean/variance", e.Message);
    }

    [Fact]
    public void BatchNormalizationInInferenceModeStillRuns() =>
        EngineTestSupport.AssertMatchesOrt(BatchNorm(15, trainingMode: false, statisticsOutputs: false));

    private static Model Dropout(bool? trainingMode, bool maskOutput)
    {
        var b = new ModelBuilder("dropout", 13);
        b.AddInput("x", TensorElementType.Float, 1, 8);
        b.AddInitializer(TensorData.FromFloats("ratio", [], [0.5f]));
        var inputs = new List<string> { "x", "ratio" };
        if (trainingMode is bool t)
        {
            b.AddInitializer(TensorData.FromRawData("training", TensorElementType.Bool, [], new[] { (byte)(t ? 1 : 0) }));
            inputs.Add("training");
        }

        b.AddNode("Dropout", inputs, maskOutput ? ["d", "mask"] : ["d"], "drop");
        b.AddNode("Relu", ["d"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DropoutWithConstantTrueTrainingModeIsRefused(bool maskOutput)
    {
        LightNetException e = Refusal(Dropout(trainingMode: true, maskOutput));
        Assert.Contains("Dropout node 'drop' (opset 13)", e.Message);
        Assert.Contains("training_mode", e.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void DropoutInInferenceModeIsTheIdentity(bool? trainingMode, bool maskOutput) =>
        EngineTestSupport.AssertMatchesOrt(Dropout(trainingMode, maskOutput));

    [Theory]
    [InlineData("Conv")]
    [InlineData("ConvTranspose")]
    public void OneDimensionalConvolutionWithoutKernelShapeIsRefused(string op)
    {
        var b = new ModelBuilder("conv1d", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 16);
        b.AddInitializer(Floats("w", 4, 4, 3));
        b.AddNode(op, ["x", "w"], ["y"], "conv1d");
        b.AddOutput("y", TensorElementType.Float);
        LightNetException e = Refusal(b.Build());
        Assert.Contains($"{op} node 'conv1d' (opset 17)", e.Message);
        Assert.Contains("1-D", e.Message);
        Assert.Contains("only 2-D", e.Message);
    }

    [Fact]
    public void ThreeDimensionalConvolutionWithoutKernelShapeIsRefused()
    {
        var b = new ModelBuilder("conv3d", 17);
        b.AddInput("x", TensorElementType.Float, 1, 2, 4, 4, 4);
        b.AddInitializer(Floats("w", 2, 2, 3, 3, 3));
        b.AddNode("Conv", ["x", "w"], ["y"], "conv3d", NodeAttribute.Ints("pads", 1, 1, 1, 1, 1, 1));
        b.AddOutput("y", TensorElementType.Float);
        LightNetException e = Refusal(b.Build());
        Assert.Contains("Conv node 'conv3d' (opset 17) is a 3-D convolution", e.Message);
    }

    [Theory]
    [InlineData("MaxPool", 1)]
    [InlineData("AveragePool", 1)]
    [InlineData("MaxPool", 3)]
    public void PoolingThatIsNot2DIsRefused(string op, int spatialRank)
    {
        var b = new ModelBuilder("pool", 17);
        long[] dims = [1, 2, .. Enumerable.Repeat(6L, spatialRank)];
        b.AddInput("x", TensorElementType.Float, dims);
        b.AddNode(op, ["x"], ["y"], "pool", NodeAttribute.Ints("kernel_shape", Enumerable.Repeat(2L, spatialRank).ToArray()));
        b.AddOutput("y", TensorElementType.Float);
        LightNetException e = Refusal(b.Build());
        Assert.Contains($"{op} node 'pool' (opset 17)", e.Message);
        Assert.Contains("kernel_shape", e.Message);
    }

    [Fact]
    public void OperatorsOnAnUnfoldedInitializerRunLikeOnnxRuntime()
    {
        // Softmax, Relu, Slice and MaxPool of an initializer are not folded by the optimizer: the plan must
        // materialise the constant (it used to throw KeyNotFoundException in CpuPlan.Pointer).
        var b = new ModelBuilder("const_first_input", 17);
        b.AddInput("x", TensorElementType.Float, 1, 2, 4, 4);
        b.AddInitializer(Floats("c", 1, 2, 4, 4));
        b.AddInitializer(TensorData.FromInt64s("starts", [1], [1]));
        b.AddInitializer(TensorData.FromInt64s("ends", [1], [3]));
        b.AddInitializer(TensorData.FromInt64s("axes", [1], [3]));
        b.AddNode("Softmax", ["c"], ["sm"], "softmax_const");
        b.AddNode("Relu", ["c"], ["rl"], "relu_const");
        b.AddNode("Transpose", ["c"], ["tr"], "transpose_const", NodeAttribute.Ints("perm", 0, 1, 3, 2));
        b.AddNode("MaxPool", ["c"], ["mp"], "pool_const", NodeAttribute.Ints("kernel_shape", 2, 2));
        b.AddNode("Slice", ["c", "starts", "ends", "axes"], ["sl"], "slice_const");
        b.AddNode("Add", ["x", "sm"], ["a1"], "add_softmax");
        b.AddNode("Mul", ["a1", "rl"], ["a2"], "mul_relu");
        b.AddNode("Sub", ["a2", "tr"], ["y"], "sub_transpose");
        b.AddOutput("y", TensorElementType.Float);
        b.AddOutput("mp", TensorElementType.Float);
        b.AddOutput("sl", TensorElementType.Float);
        EngineTestSupport.AssertMatchesOrt(b.Build());
    }

    [Fact]
    public void SliceWithHugeStepsRunsLikeOnnxRuntime()
    {
        var b = new ModelBuilder("slice_huge_step", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 8, 8);
        b.AddInitializer(TensorData.FromInt64s("starts", [2], [2, -1]));
        b.AddInitializer(TensorData.FromInt64s("ends", [2], [long.MaxValue, long.MinValue]));
        b.AddInitializer(TensorData.FromInt64s("axes", [2], [2, 3]));
        b.AddInitializer(TensorData.FromInt64s("steps", [2], [long.MaxValue, long.MinValue]));
        b.AddNode("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"], "slice");
        b.AddNode("Relu", ["s"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float);
        Model m = b.Build();
        Assert.Equal([1L, 4, 1, 1], m.Info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        EngineTestSupport.AssertMatchesOrt(m);
    }
}

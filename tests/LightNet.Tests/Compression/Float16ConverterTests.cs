using LightNet.Backends;
using LightNet.Compression;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LightNet.Tests.Compression;

public class Float16ConverterTests
{
    [Fact]
    public void ConvNetBecomesFp16WithFloatInputsAndOutputs()
    {
        Model m = CompressionTestModels.ConvNet();
        Model h = Float16Converter.Convert(m);
        Assert.All(h.Graph.Initializers.Values.Where(t => t.Name.StartsWith('w')), t => Assert.Equal(TensorElementType.Float16, t.ElementType));
        Assert.Equal(TensorElementType.Float, h.Graph.Inputs.Single().ElementType);
        Assert.Equal(TensorElementType.Float, h.Graph.Outputs.Single().ElementType);
        Assert.Equal("Cast", h.Graph.Nodes[0].OpType);
        Assert.Equal("Cast", h.Graph.Nodes[^1].OpType);
        Assert.Equal(2, h.Graph.Nodes.Count(n => n.OpType == "Cast"));
        Assert.Equal("fp16", h.Metadata["lightnet.compression"]);
        IReadOnlyDictionary<string, TensorBuffer> input = CompressionTestModels.Inputs(1).First();
        float[] expected = CompressionTestModels.Run(m, input), actual = CompressionTestModels.Run(h, input);
        Assert.True(CompressionTestModels.Cosine(expected, actual) > 0.9999);
    }

    [Fact]
    public void Fp16InputsAndOutputsWhenAsked()
    {
        Model h = Float16Converter.Convert(CompressionTestModels.ConvNet(), new Float16Options { KeepIOTypes = false });
        Assert.Equal(TensorElementType.Float16, h.Graph.Inputs.Single().ElementType);
        Assert.Equal(TensorElementType.Float16, h.Graph.Outputs.Single().ElementType);
        Assert.DoesNotContain(h.Graph.Nodes, n => n.OpType == "Cast");
        var input = TensorBuffer.Allocate(TensorElementType.Float16, [1, 3, 8, 8]);
        using IInferenceSession s = Backend.Parse("ort-cpu").CreateSession(h);
        Assert.Equal(TensorElementType.Float16, s.Run(new Dictionary<string, TensorBuffer> { ["x"] = input }).Values.Single().ElementType);
    }

    [Fact]
    public void OutOfRangeConstantsAreClampedWithAWarningNamingThem()
    {
        var b = new ModelBuilder("big", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3);
        b.AddInitializer(TensorData.FromFloats("huge", [3], [1e6f, -2f, 1e-9f]));
        b.AddNode("Mul", ["x", "huge"], ["y"], "mul");
        b.AddOutput("y", TensorElementType.Float, 1, 3);
        var logger = new ListLogger();
        Model h = Float16Converter.Convert(b.Build(), new Float16Options { LoggerFactory = logger });
        (LogLevel level, string text) = Assert.Single(logger.Messages, m => m.Level == LogLevel.Warning);
        Assert.Contains("'huge'", text);
        Assert.Contains("1 values above", text);
        float[] y = CompressionTestModels.Run(h, new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats([1f, 1f, 1f], [1, 3]) });
        Assert.Equal(65504f, y[0]);
        Assert.Equal(-2f, y[1]);
        Assert.True(y[2] > 0);
    }

    [Fact]
    public void ExistingCastToFloatIsUpdatedAndBlockedOpsStayFp32()
    {
        // x (int32) → Cast(to=float) → Mul(w) → Softmax (blocked here) → y: the Cast must now produce FP16 for Mul,
        // and Softmax gets a Cast back to FP32.
        var b = new ModelBuilder("cast", 17);
        b.AddInput("x", TensorElementType.Int32, 1, 4);
        b.AddInitializer(TensorData.FromFloats("w", [4], [0.5f, 1f, 1.5f, 2f]));
        b.AddNode("Cast", ["x"], ["xf"], "cast", NodeAttribute.Int("to", 1));
        b.AddNode("Mul", ["xf", "w"], ["m"], "mul");
        b.AddNode("Softmax", ["m"], ["y"], "softmax", NodeAttribute.Int("axis", -1));
        b.AddOutput("y", TensorElementType.Float, 1, 4);
        Model m = b.Build();
        Model h = Float16Converter.Convert(m, new Float16Options { BlockedOpTypes = ["Softmax"] });
        Assert.Equal(10, h.Graph.Nodes.Single(n => n.Name == "cast").GetInt("to", 0));
        Node softmax = h.Graph.Nodes.Single(n => n.Name == "softmax");
        Node feeder = h.Graph.Nodes.Single(n => n.Outputs.Contains(softmax.Inputs[0]));
        Assert.Equal("Cast", feeder.OpType);
        Assert.Equal(1, feeder.GetInt("to", 0));
        Assert.Equal("y", softmax.Outputs[0]);
        var input = new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.Allocate(TensorElementType.Int32, [1, 4]) };
        input["x"].AsSpan<int>()[2] = 3;
        float[] expected = CompressionTestModels.Run(m, input), actual = CompressionTestModels.Run(h, input);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-3f));
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        var e = Assert.Throws<LightNetException>(() => Float16Converter.Convert(TestModels.Tiny(), new Float16Options { MaxFiniteValue = 1e6f }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("MaxFiniteValue", e.Message);
    }
}

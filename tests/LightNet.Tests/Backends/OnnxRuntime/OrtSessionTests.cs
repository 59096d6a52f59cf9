using Google.Protobuf;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Onnx.Protos;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Backends.OnnxRuntime;

/// <summary>
/// ort-cpu sessions report ONNX Runtime's failures as <see cref="LightNetException"/>: models with sequence or
/// optional inputs/outputs are refused by name and kind (ONNX Runtime's metadata throws for their dimensions), and
/// NotImplemented errors are <see cref="ErrorCode.UnsupportedOperator"/>.
/// </summary>
public class OrtSessionTests(ITestOutputHelper output)
{
    private static Model WithTypes(ModelBuilder b, Action<ModelProto> edit)
    {
        ModelProto proto = ModelProto.Parser.ParseFrom(b.Build().ToArray());
        edit(proto);
        return Model.Load(proto.ToByteArray(), sourceName: proto.Graph.Name);
    }

    private static TypeProto FloatTensor() => new() { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorElementType.Float } };

    private static TypeProto SequenceOfFloats() => new() { SequenceType = new TypeProto.Types.Sequence { ElemType = FloatTensor() } };

    private static TypeProto OptionalFloats() => new() { OptionalType = new TypeProto.Types.Optional { ElemType = FloatTensor() } };

    private static LightNetException Refusal(Model model)
    {
        var e = Assert.Throws<LightNetException>(() =>
        {
            using IInferenceSession session = Backend.Parse("ort-cpu").CreateSession(model);
        });
        return e;
    }

    [Fact]
    public void SequenceOutputIsRefusedByNameAndKind()
    {
        var b = new ModelBuilder("seq_out", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3);
        b.AddNode("Relu", ["x"], ["r"], "relu");
        b.AddNode("SequenceConstruct", ["x", "r"], ["seq"], "construct");
        b.AddOutput("r", TensorElementType.Float, 1, 3);
        b.AddOutput("seq", TensorElementType.Float);
        Model m = WithTypes(b, p => p.Graph.Output[1].Type = SequenceOfFloats());

        LightNetException e = Refusal(m);
        Assert.Equal(ErrorCode.UnsupportedType, e.Code);
        Assert.Contains("output 'seq' is a sequence", e.Message);
        Assert.Contains("seq_out", e.Message);
    }

    [Fact]
    public void SequenceInputIsRefusedByNameAndKind()
    {
        var b = new ModelBuilder("seq_in", 17);
        b.AddInput("items", TensorElementType.Float, 1, 3);
        b.AddInitializer(TensorData.FromInt64s("pos", [], [0]));
        b.AddNode("SequenceAt", ["items", "pos"], ["y"], "at");
        b.AddOutput("y", TensorElementType.Float);
        Model m = WithTypes(b, p => p.Graph.Input[0].Type = SequenceOfFloats());

        LightNetException e = Refusal(m);
        Assert.Equal(ErrorCode.UnsupportedType, e.Code);
        Assert.Contains("input 'items' is a sequence", e.Message);
    }

    [Fact]
    public void OptionalInputIsRefusedByNameAndKind()
    {
        var b = new ModelBuilder("optional_in", 18);
        b.AddInput("maybe", TensorElementType.Float, 1, 3);
        b.AddNode("OptionalGetElement", ["maybe"], ["y"], "get");
        b.AddOutput("y", TensorElementType.Float);
        Model m = WithTypes(b, p => p.Graph.Input[0].Type = OptionalFloats());

        LightNetException e = Refusal(m);
        Assert.Equal(ErrorCode.UnsupportedType, e.Code);
        Assert.Contains("input 'maybe' is an optional value", e.Message);
    }

    [Fact]
    public void NotImplementedKernelsAreUnsupportedOperators()
    {
        // A valid model ONNX Runtime's CPU provider has no kernel for: it answers [ErrorCode:NotImplemented].
        var b = new ModelBuilder("no_kernel", 17);
        b.AddInput("x", TensorElementType.Int16, 1, 4);
        b.AddNode("Relu", ["x"], ["y"], "relu_int16");
        b.AddOutput("y", TensorElementType.Int16, 1, 4);
        LightNetException e = Refusal(b.Build());
        output.WriteLine(e.Message);
        Assert.Contains("NotImplemented", e.Message);
        Assert.Contains("relu_int16", e.Message);
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.IsNotType<LightNetException>(e.InnerException);
    }
}

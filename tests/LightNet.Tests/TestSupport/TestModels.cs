using Google.Protobuf;
using LightNet.Onnx;
using LightNet.Onnx.Protos;

namespace LightNet.Tests.TestSupport;

/// <summary>Small models built in code, and protobuf-level access for crafting broken ones.</summary>
public static class TestModels
{
    public static string RealResNet18Path => Path.Combine(AppContext.BaseDirectory, "TestData", "ResNet18.onnx");

    /// <summary>x[1,4] → MatMul(w[4,3]) → Add(b[3]) → Relu → y[1,3].</summary>
    public static Model Tiny()
    {
        var b = new ModelBuilder("tiny", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4);
        b.AddInitializer(TensorData.FromFloats("w", [4, 3], Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray()));
        b.AddInitializer(TensorData.FromFloats("b", [3], [0.5f, -0.5f, 0f]));
        b.AddNode("MatMul", ["x", "w"], ["mm"], "matmul");
        b.AddNode("Add", ["mm", "b"], ["sum"], "add");
        b.AddNode("Relu", ["sum"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 3);
        return b.Build();
    }

    internal static ModelProto TinyProto() => ModelProto.Parser.ParseFrom(Tiny().ToArray());

    internal static byte[] Bytes(ModelProto proto) => proto.ToByteArray();
}

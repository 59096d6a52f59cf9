using LightNet.Backends;
using LightNet.Onnx;

namespace LightNet.Tests.Compression;

/// <summary>Small float models for the compression tests, with seeded weights.</summary>
internal static class CompressionTestModels
{
    /// <summary>x[1,3,8,8] → Conv(4) → BN → Relu → MaxPool → Conv(6, bias) → Relu → Add(skip conv) → GlobalAveragePool → Flatten → Gemm(5) → y[1,5].</summary>
    public static Model ConvNet(long opset = 17)
    {
        var rng = new Random(42);
        float[] R(int n, float s = 0.5f) => Enumerable.Range(0, n).Select(_ => (rng.NextSingle() * 2 - 1) * s).ToArray();
        var b = new ModelBuilder("convnet", opset);
        b.AddInput("x", TensorElementType.Float, 1, 3, 8, 8);
        b.AddInitializer(TensorData.FromFloats("w1", [4, 3, 3, 3], R(108)));
        b.AddInitializer(TensorData.FromFloats("gamma", [4], [1.2f, 0.8f, 1f, 0.5f]));
        b.AddInitializer(TensorData.FromFloats("beta", [4], [0.1f, -0.2f, 0f, 0.3f]));
        b.AddInitializer(TensorData.FromFloats("mean", [4], [0.05f, -0.1f, 0.2f, 0f]));
        b.AddInitializer(TensorData.FromFloats("var", [4], [0.9f, 1.1f, 0.5f, 2f]));
        b.AddInitializer(TensorData.FromFloats("w2", [6, 4, 3, 3], R(216, 0.3f)));
        b.AddInitializer(TensorData.FromFloats("b2", [6], R(6, 0.1f)));
        b.AddInitializer(TensorData.FromFloats("w3", [6, 4, 1, 1], R(24, 0.3f)));
        b.AddInitializer(TensorData.FromFloats("wg", [5, 6], R(30)));
        b.AddInitializer(TensorData.FromFloats("bg", [5], R(5, 0.1f)));
        NodeAttribute[] pad1 = [NodeAttribute.Ints("pads", 1, 1, 1, 1)];
        b.AddNode("Conv", ["x", "w1"], ["c1"], "conv1", pad1);
        b.AddNode("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn1"], "bn1");
        b.AddNode("Relu", ["bn1"], ["r1"], "relu1");
        b.AddNode("MaxPool", ["r1"], ["p1"], "pool1", NodeAttribute.Ints("kernel_shape", 2, 2), NodeAttribute.Ints("strides", 2, 2));
        b.AddNode("Conv", ["p1", "w2", "b2"], ["c2"], "conv2", pad1);
        b.AddNode("Relu", ["c2"], ["r2"], "relu2");
        b.AddNode("Conv", ["p1", "w3"], ["c3"], "conv3");
        b.AddNode("Add", ["r2", "c3"], ["s"], "add");
        b.AddNode("GlobalAveragePool", ["s"], ["g"], "gap");
        b.AddNode("Flatten", ["g"], ["f"], "flatten");
        b.AddNode("Gemm", ["f", "wg", "bg"], ["y"], "fc", NodeAttribute.Int("transB", 1));
        b.AddOutput("y", TensorElementType.Float, 1, 5);
        return b.Build();
    }

    public static IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> Inputs(int count, int seed = 7)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            float[] v = Enumerable.Range(0, 192).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
            yield return new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats(v, [1, 3, 8, 8]) };
        }
    }

    public static float[] Run(Model model, IReadOnlyDictionary<string, TensorBuffer> input)
    {
        using IInferenceSession s = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        return s.Run(input).Values.Single().ToFloatArray();
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}

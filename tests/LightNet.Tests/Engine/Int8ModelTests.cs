using LightNet.Backends;
using LightNet.Compression;
using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>
/// Zoo models quantized by <see cref="Quantizer.QuantizeStatic"/> (per-channel QDQ, UINT8 activations) run on cpu-simd's
/// integer kernels and agree with ONNX Runtime's INT8 run of the same file, on every ISA level this machine has.
/// </summary>
public sealed class Int8ModelTests
{
    private static readonly Dictionary<string, Lazy<Model>> s_models = new()
    {
        ["resnet18"] = new(() => Quantize("resnet18")),
        ["mobilenet_v2"] = new(() => Quantize("mobilenet_v2")),
    };

    private static Model Quantize(string name)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 32, Classes = 10 });
        var rng = new Random(3);
        var samples = Enumerable.Range(0, 3).Select(_ =>
        {
            TensorBuffer t = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 32, 32]);
            Span<float> f = t.AsSpan<float>();
            for (int i = 0; i < f.Length; i++) f[i] = (rng.NextSingle() * 4) - 2;
            return (IReadOnlyDictionary<string, TensorBuffer>)new Dictionary<string, TensorBuffer> { [model.Graph.Inputs[0].Name] = t };
        }).ToList();
        return Quantizer.QuantizeStatic(model, CalibrationData.FromTensors(samples));
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string model in new[] { "resnet18", "mobilenet_v2" })
        {
            foreach (Isa isa in Enum.GetValues<Isa>().Where(IsaSupport.IsSupported))
            {
                data.Add(model, IsaSupport.Name(isa));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void QuantizedZooModelRunsOnIntegerKernelsAndMatchesOrtInt8(string name, string isa)
    {
        Model model = s_models[name].Value;
        using IInferenceSession ours = Backend.Parse($"cpu-simd:isa={isa}").CreateSession(model, new InferenceOptions { Threads = 1 });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        string[] steps = EngineTestSupport.CompiledSession(ours).Plan!.Steps.Select(s => s.Node.OpType).ToArray();
        Assert.Contains("QConv", steps);
        Assert.DoesNotContain("FakeQuant", steps);
        Assert.DoesNotContain("Conv", steps);

        // The only float ↔ code conversions left are at the model's input and output.
        Assert.Equal(1, steps.Count(s => s == "Quantize"));
        Assert.Equal(1, steps.Count(s => s == "Dequantize"));
        foreach (int seed in new[] { 1, 2 })
        {
            Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(ours, seed);
            float[] expected = ort.Run(inputs).Values.Single().ToFloatArray();
            float[] actual = ours.Run(inputs).Values.Single().ToFloatArray();
            double dot = 0, ee = 0, aa = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                dot += (double)expected[i] * actual[i];
                ee += (double)expected[i] * expected[i];
                aa += (double)actual[i] * actual[i];
            }

            double cosine = dot / Math.Sqrt(ee * aa);
            Assert.True(cosine >= 0.999, $"{name} on cpu-simd:isa={isa}, seed {seed}: cosine {cosine:F6} against ort-cpu INT8");
        }
    }

    [Fact]
    public void WithoutGraphFusionQdqStaysFakeQuantized()
    {
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(s_models["resnet18"].Value,
            new InferenceOptions { Threads = 1, GraphOptimization = GraphOptimization.Basic });
        string[] steps = EngineTestSupport.CompiledSession(ours).Plan!.Steps.Select(s => s.Node.OpType).ToArray();
        Assert.Contains("FakeQuant", steps);
        Assert.DoesNotContain("QConv", steps);
    }
}

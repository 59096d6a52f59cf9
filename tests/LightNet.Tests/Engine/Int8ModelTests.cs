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

    private static Model Quantize(string name, int resolution = 32)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = resolution, Classes = 10 });
        var rng = new Random(3);
        var samples = Enumerable.Range(0, 3).Select(_ =>
        {
            TensorBuffer t = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, resolution, resolution]);
            Span<float> f = t.AsSpan<float>();
            for (int i = 0; i < f.Length; i++) f[i] = (rng.NextSingle() * 4) - 2;
            return (IReadOnlyDictionary<string, TensorBuffer>)new Dictionary<string, TensorBuffer> { [model.Graph.Inputs[0].Name] = t };
        }).ToList();
        return Quantizer.QuantizeStatic(model, CalibrationData.FromTensors(samples),
            new QuantizationOptions { ReduceRange = EngineTestSupport.OrtInt8Saturates }); // 7-bit weights where ONNX Runtime saturates
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
    public void TwoThreadsGiveTheSameCodesAsOne()
    {
        // At 112×112 the input's Quantize (37,632 values) and the residual adds of the first stage (28×28×64 = 50,176)
        // are shared between the threads in ranges; every kernel's split leaves the codes as one thread computes them.
        Model model = Quantize("resnet18", 112);
        using IInferenceSession one = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1 });
        using IInferenceSession two = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 2 });
        Assert.Contains(EngineTestSupport.CompiledSession(two).Plan!.Steps, s => s.Algorithm == "int8-add");
        foreach (int seed in new[] { 1, 2 })
        {
            Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(one, seed);
            Assert.Equal(one.Run(inputs).Values.Single().ToFloatArray(), two.Run(inputs).Values.Single().ToFloatArray());
        }
    }

    [Fact]
    public void IntegerConvolutionChainsStayPixelMajorWhereTheDirectKernelRuns()
    {
        foreach (Isa isa in new[] { Isa.Avx512, Isa.Avx2, Isa.Vector128 }.Where(IsaSupport.IsSupported))
        {
            foreach (string name in new[] { "mobilenet_v2", "resnet18" })
            {
                OptimizedGraph graph = GraphOptimizer.Optimize(s_models[name].Value, null);
                using var plan = new CpuPlan(graph, isa, 1);
                var layout = plan.QuantizedLayout;
                if (QuantizedLayout.DensePath(isa) is null)
                {
                    Assert.Empty(layout.PixelMajor);
                    continue;
                }

                bool Many(string v) => graph.Dims(v) is { Length: 4 } d && d[2] * d[3] > 1;
                var steps = plan.Steps.Where(s => s.Node.OpType == "QConv").ToList();
                Assert.False(layout.IsPixelMajor(graph.Nodes.Single(n => n.OpType == "Quantize").Outputs[0]));
                // Every convolution, residual sum and max pool with more than one pixel, from the stem's output to the
                // global pooling.
                Assert.All(graph.Nodes.Where(n => n.OpType is "QConv" or "QAdd" or "QMaxPool" && Many(n.Outputs[0])),
                    n => Assert.True(layout.IsPixelMajor(n.Outputs[0]), $"{isa} {name}: {n.Name}'s output is NCHW"));
                Assert.All(steps.Where(s => layout.IsPixelMajor(s.Node.Inputs[0]) && layout.IsPixelMajor(s.Node.Outputs[0])),
                    s => Assert.EndsWith("-nhwc", s.Algorithm));
                Assert.Contains(steps, s => s.Algorithm.EndsWith("-nchw-to-nhwc", StringComparison.Ordinal)); // the stem
                PlanStep pooling = plan.Steps.Single(s => s.Node.OpType == "QGlobalAveragePool");
                Assert.Equal(Many(pooling.Node.Inputs[0]), pooling.Algorithm.EndsWith("-nhwc-to-nchw", StringComparison.Ordinal));
                if (name == "resnet18")
                {
                    Assert.Equal("int8-max-pool-nhwc", plan.Steps.Single(s => s.Node.OpType == "QMaxPool").Algorithm);
                }
            }
        }
    }

    [Fact]
    public void QLinearConvOnCodesCompilesToTheIntegerConvolutionAndMatchesOrt()
    {
        var rng = new Random(4);
        var b = new ModelBuilder("qlinearconv", 13);
        b.AddInput("x", TensorElementType.Float, 1, 4, 6, 6);
        TensorData Raw(string name, TensorElementType type, long[] dims, byte[] bytes) => TensorData.FromRawData(name, type, dims, bytes);
        b.AddInitializer(TensorData.FromFloats("xs", [], [0.02f]));
        b.AddInitializer(Raw("xz", TensorElementType.UInt8, [], [128]));
        b.AddInitializer(Raw("w", TensorElementType.Int8, [5, 4, 3, 3], Enumerable.Range(0, 180).Select(_ => EngineTestSupport.OrtInt8Saturates ? (byte)(sbyte)rng.Next(-64, 64) : (byte)rng.Next(0, 256)).ToArray()));
        b.AddInitializer(TensorData.FromFloats("ws", [5], [0.01f, 0.02f, 0.015f, 0.005f, 0.03f]));
        b.AddInitializer(Raw("wz", TensorElementType.Int8, [5], new byte[5]));
        b.AddInitializer(TensorData.FromFloats("ys", [], [0.05f]));
        b.AddInitializer(Raw("yz", TensorElementType.UInt8, [], [100]));
        b.AddInitializer(Raw("bias", TensorElementType.Int32, [5], Enumerable.Range(0, 5).SelectMany(i => BitConverter.GetBytes(i * 300 - 600)).ToArray()));
        b.AddNode("QuantizeLinear", ["x", "xs", "xz"], ["xq"], "q");
        b.AddNode("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"], ["yq"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddNode("DequantizeLinear", ["yq", "ys", "yz"], ["y"], "dq");
        b.AddOutput("y", TensorElementType.Float, 1, 5, 6, 6);
        Model model = b.Build();
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1 });
        Assert.Contains("QConv", EngineTestSupport.CompiledSession(ours).Plan!.Steps.Select(s => s.Node.OpType));

        // Same integers, same float requantization as ONNX Runtime: equal to the code, so within one step (0.05). Weights
        // of 7 bits where ONNX Runtime's kernels saturate (EngineTestSupport.OrtInt8Saturates).
        EngineTestSupport.AssertMatchesOrt(model, threads: 1, rtol: 0, atol: 1e-6);
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

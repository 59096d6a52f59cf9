using LightNet.Backends;
using LightNet.Engine;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>The cpu-simd session contract: QDQ and FP16 models, determinism, allocation, errors, profiling.</summary>
public class CpuSimdSessionTests
{
    private static Model SmallResNet() => ModelZoo.Create("resnet18", new ZooOptions { Resolution = 64, Classes = 10 });

    [Fact]
    public void BackendIsRegisteredWithIsaAndThreadsInItsDevice()
    {
        Backend backend = Backend.Parse("cpu-simd:threads=2");
        Assert.Contains("cpu-simd", Backend.Names);
        Assert.Equal(BackendKind.Managed, backend.Kind);
        Assert.Equal(Precision.Fp32, backend.Precision);
        Assert.True(backend.CheckAvailability().IsAvailable);
        Assert.Matches(@"^CPU \((AVX-512F|AVX2\+FMA|Vector128|scalar), 2 threads\)$", backend.Device);
        Assert.Equal("2", backend.EffectiveOptions["threads"]);
        Assert.Equal("scalar", Backend.Parse("cpu-simd:isa=scalar").EffectiveOptions["isa"]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:isa=sse9")).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:fast")).Code);
        Assert.Equal("2000 µs", backend.EffectiveOptions["spin"]);
        Assert.Equal("0 µs", Backend.Parse("cpu-simd:spin=0").EffectiveOptions["spin"]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:spin=-1")).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:spin=5000000")).Code);
    }

    [Fact]
    public void WarmUpRunsAtLoadLeaveOutputsAndProfilesAsTheyWere()
    {
        // warmup=N: runs of the plan at CreateSession on zero inputs; default 1. They change no output and are not
        // profiled runs.
        Assert.Equal("1", Backend.Parse("cpu-simd").EffectiveOptions["warmup"]);
        Assert.Equal("0", Backend.Parse("cpu-simd:warmup=0").EffectiveOptions["warmup"]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:warmup=-1")).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:warmup=101")).Code);
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 });
        using IInferenceSession cold = Backend.Parse("cpu-simd:threads=2,warmup=0").CreateSession(model);
        using IInferenceSession warm = Backend.Parse("cpu-simd:threads=2,warmup=3").CreateSession(model, new InferenceOptions { PerOperatorProfiling = true });
        Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(cold, 4);
        Assert.Equal(cold.Run(inputs)["output"].Bytes.ToArray(), warm.Run(inputs)["output"].Bytes.ToArray());
        Assert.Equal(1, warm.CollectOperatorProfile()!.Runs);
    }

    [Fact]
    public void LayoutPlanarKeepsEveryValueNchwAndMatchesOnnxRuntime()
    {
        // layout=auto (default) keeps 1×1 and depthwise chains channel-blocked where the ISA has blocked kernels;
        // layout=planar keeps every value NCHW: the planar GEMM runs every 1×1.
        Assert.Equal("auto", Backend.Parse("cpu-simd").EffectiveOptions["layout"]);
        Assert.Equal("planar", Backend.Parse("cpu-simd:layout=planar").EffectiveOptions["layout"]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd:layout=nhwc")).Code);
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 });
        var profiled = new InferenceOptions { Threads = 2, PerOperatorProfiling = true };
        using IInferenceSession planar = Backend.Parse("cpu-simd:layout=planar").CreateSession(model, profiled);
        using IInferenceSession auto = Backend.Parse("cpu-simd").CreateSession(model, profiled);
        Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(planar, 5);
        planar.Run(inputs);
        auto.Run(inputs);
        // (A dense convolution may still run a blocked kernel between planar tensors: AVX-512's stem.)
        Assert.DoesNotContain(planar.CollectOperatorProfile()!.Nodes, n => n.Provider.StartsWith("pointwise-", StringComparison.Ordinal));
        Assert.Contains(planar.CollectOperatorProfile()!.Nodes, n => n.Provider.StartsWith("gemm-1x1", StringComparison.Ordinal));
        if (LightNet.Engine.Kernels.ConvLayout.PlansBlocked(LightNet.Engine.Kernels.IsaSupport.Best))
        {
            Assert.Contains(auto.CollectOperatorProfile()!.Nodes, n => n.Provider.StartsWith("pointwise-nchw", StringComparison.Ordinal));
        }

        EngineTestSupport.AssertMatchesOrt(model, "cpu-simd:layout=planar", threads: 2);
    }

    [Theory]
    [InlineData("cpu-simd:threads=2,spin=0")]
    [InlineData("cpu-simd:threads=2,spin=50000")]
    public void OutputsDoNotDependOnHowLongWorkersSpin(string backendName)
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        using IInferenceSession reference = Backend.Parse("cpu-simd:threads=2").CreateSession(model);
        using IInferenceSession session = Backend.Parse(backendName).CreateSession(model);
        Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(reference, 3);
        byte[] expected = reference.Run(inputs)["output"].Bytes.ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected, session.Run(inputs)["output"].Bytes.ToArray());
        }
    }

    [Fact]
    public void QdqModelMatchesOnnxRuntime()
    {
        var b = new ModelBuilder("qdq", 13);
        b.AddInput("x", TensorElementType.Float, 1, 3, 8, 8);
        var random = new Random(5);
        byte[] w = Enumerable.Range(0, 4 * 3 * 3 * 3).Select(_ => (byte)(sbyte)random.Next(-127, 128)).ToArray();
        b.AddInitializer(TensorData.FromRawData("w_q", TensorElementType.Int8, [4, 3, 3, 3], w));
        b.AddInitializer(TensorData.FromFloats("w_scale", [4], [0.01f, 0.02f, 0.005f, 0.015f]));
        b.AddInitializer(TensorData.FromRawData("w_zero", TensorElementType.Int8, [4], new byte[4]));
        b.AddInitializer(TensorData.FromFloats("bias", [4], [0.1f, -0.2f, 0.05f, 0f]));
        b.AddInitializer(TensorData.FromFloats("x_scale", [], [0.0173f]));
        b.AddInitializer(TensorData.FromRawData("x_zero", TensorElementType.UInt8, [], new byte[] { 128 }));
        b.AddInitializer(TensorData.FromFloats("y_scale", [], [0.0231f]));
        b.AddInitializer(TensorData.FromRawData("y_zero", TensorElementType.UInt8, [], new byte[] { 0 }));
        b.AddNode("QuantizeLinear", ["x", "x_scale", "x_zero"], ["x_q"], "quant_x");
        b.AddNode("DequantizeLinear", ["x_q", "x_scale", "x_zero"], ["x_dq"], "dequant_x");
        b.AddNode("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w_dq"], "dequant_w", NodeAttribute.Int("axis", 0));
        b.AddNode("Conv", ["x_dq", "w_dq", "bias"], ["c"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddNode("Relu", ["c"], ["r"], "relu");
        b.AddNode("QuantizeLinear", ["r", "y_scale", "y_zero"], ["r_q"], "quant_y");
        b.AddNode("DequantizeLinear", ["r_q", "y_scale", "y_zero"], ["y"], "dequant_y");
        b.AddOutput("y", TensorElementType.Float, 1, 4, 8, 8);
        Model model = b.Build();

        // The QDQ island becomes one integer convolution on uint8 codes, the ReLU folded into its clamp.
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        Assert.Equal(["Quantize", "QConv", "Dequantize"], graph.Nodes.Select(n => n.OpType));
        Assert.Contains(graph.Nodes[1].Fused, f => f.StartsWith("Relu", StringComparison.Ordinal));

        // Without fusion the pairs stay fake-quantized float steps.
        OptimizedGraph basic = GraphOptimizer.Optimize(model, null, fuse: false);
        Assert.Equal(["FakeQuant", "Conv", "Activation", "FakeQuant"], basic.Nodes.Select(n => n.OpType));

        // The reference is ONNX Runtime running the QDQ graph as written (float convolution between the pairs): the integer
        // sums are exact and the requantization rounds once, so an output may sit one quantization step (0.0231) apart.
        EngineTestSupport.AssertMatchesOrt(model, reference: GraphOptimization.None, rtol: 0, atol: 0.0231 * 1.01);
    }

    [Fact]
    public void Fp16ModelMatchesOnnxRuntime()
    {
        var b = new ModelBuilder("fp16", 13);
        b.AddInput("x", TensorElementType.Float16, 1, 3, 8, 8);
        var random = new Random(9);
        TensorData Half16(string name, long[] dims)
        {
            int n = (int)dims.Aggregate(1L, (p, d) => p * d);
            byte[] bytes = new byte[n * 2];
            for (int i = 0; i < n; i++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)((random.NextSingle() * 2) - 1));
            }

            return TensorData.FromRawData(name, TensorElementType.Float16, dims, bytes);
        }

        b.AddInitializer(Half16("w", [6, 3, 3, 3]));
        b.AddInitializer(Half16("b", [6]));
        b.AddInitializer(Half16("fc_w", [5, 6]));
        b.AddInitializer(Half16("fc_b", [5]));
        b.AddNode("Cast", ["x"], ["xf"], "cast_x", NodeAttribute.Int("to", (long)TensorElementType.Float));
        foreach (string w in new[] { "w", "b", "fc_w", "fc_b" })
        {
            b.AddNode("Cast", [w], [w + "_f"], "cast_" + w, NodeAttribute.Int("to", (long)TensorElementType.Float));
        }

        b.AddNode("Conv", ["xf", "w_f", "b_f"], ["c"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1), NodeAttribute.Ints("strides", 2, 2));
        b.AddNode("Relu", ["c"], ["r"], "relu");
        b.AddNode("GlobalAveragePool", ["r"], ["g"], "gap");
        b.AddNode("Flatten", ["g"], ["f"], "flatten");
        b.AddNode("Gemm", ["f", "fc_w_f", "fc_b_f"], ["logits"], "fc", NodeAttribute.Int("transB", 1));
        b.AddNode("Cast", ["logits"], ["y"], "cast_y", NodeAttribute.Int("to", (long)TensorElementType.Float16));
        b.AddOutput("y", TensorElementType.Float16, 1, 5);
        Model model = b.Build();

        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        Assert.DoesNotContain(graph.Nodes, n => n.Source.OpType == "Cast" && n.OpType != "RoundToHalf");
        Assert.Equal(TensorElementType.Float16, graph.Inputs.Single().ElementType);
        // One float16 ulp is about 1e-3 of the value: both engines round the same float logits to float16.
        EngineTestSupport.AssertMatchesOrt(model, rtol: 2e-3);
    }

    [Fact]
    public void OptimizerFoldsBatchNormAndFusesActivationsAndResiduals()
    {
        OptimizedGraph graph = GraphOptimizer.Optimize(SmallResNet(), null);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "BatchNormalization" or "ChannelAffine" or "Activation" or "Add");
        Assert.Equal(8, graph.Nodes.Count(n => n.OpType == "Conv" && n.Residual is not null && n.Activation.Kind.ToString() == "Relu"));
        Assert.Single(graph.Nodes, n => n.OpType == "Dense");
        var memory = MemoryPlan.Create(graph);
        Assert.True(memory.ArenaBytes < memory.NaiveBytes / 2, $"arena {memory.ArenaBytes} B vs {memory.NaiveBytes} B without reuse");
        Assert.All(memory.Offsets.Values, o => Assert.Equal(0, o % 64));
    }

    [Fact]
    public void BatchNormsLeftStandingFuseTheActivationAfterThem()
    {
        // DenseNet's pre-activation: Concat → BatchNormalization → Relu → Conv. The BatchNormalization cannot fold into a
        // Conv (a Concat produces its input), so it becomes a ChannelAffine that stores through the Relu: 58 layers, 3
        // transitions and the last norm. (Its output against ONNX Runtime's: ConcatsWhoseInputsAreSlabsOfTheOutputAreElided.)
        Model model = ModelZoo.Create("densenet121", new ZooOptions { Resolution = 64, Classes = 10 });
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "Activation" or "BatchNormalization");
        Assert.Equal(62, graph.Nodes.Count(n => n.OpType == "ChannelAffine" && n.Activation.Kind.ToString() == "Relu"));
    }

    [Theory]
    [InlineData("squeezenet1_1", 8)]
    [InlineData("shufflenet_v2_x1_0", 16)]
    // DenseNet concatenates each layer's features onto the previous Concat's output: an elided Concat's output cannot
    // itself become a slice, so every other one of the 58 Concats is elided.
    [InlineData("densenet121", 29)]
    public void ConcatsWhoseInputsAreSlabsOfTheOutputAreElided(string name, int expectedElided)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 64, Classes = 10 });
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        var memory = MemoryPlan.Create(graph);
        Assert.Equal(expectedElided, memory.ElidedConcats.Count);
        foreach (string output in memory.ElidedConcats)
        {
            // Every input of an elided Concat starts where the previous one ends in the output's block.
            OptimizedNode concat = graph.Nodes.Single(n => n.OpType == "Concat" && n.Outputs[0] == output);
            long at = memory.Offsets[output];
            foreach (string input in concat.Inputs)
            {
                Assert.Equal(at, memory.Offsets[input]);
                at += LightNet.Onnx.Shapes.ElementCount(graph.Dims(input)) * sizeof(float);
            }
        }

        EngineTestSupport.AssertMatchesOrt(model, threads: 1);
    }

    [Fact]
    public void ConcatInputsReadAfterTheConcatOrReturnedAreNotPlacedInItsOutput()
    {
        var b = new ModelBuilder("concat_reuse", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 6, 6);
        b.AddInitializer(TensorData.FromFloats("w", [4, 4, 1, 1], Enumerable.Range(0, 16).Select(i => (i % 5) * 0.25f - 0.5f).ToArray()));
        b.AddNode("Conv", ["x", "w"], ["a"], "conv_a");
        b.AddNode("Relu", ["x"], ["r"], "relu_b");
        b.AddNode("Sigmoid", ["x"], ["c"], "sigmoid_c");
        b.AddNode("Concat", ["a", "r", "c"], ["cat"], "concat", NodeAttribute.Int("axis", 1));
        // "a" is read again after the Concat and "c" is a graph output: neither may live in the Concat's block.
        b.AddNode("Add", ["cat", "cat"], ["twice"], "add");
        b.AddNode("Mul", ["a", "a"], ["sq"], "square_a");
        b.AddOutput("twice", TensorElementType.Float, 1, 12, 6, 6);
        b.AddOutput("sq", TensorElementType.Float, 1, 4, 6, 6);
        b.AddOutput("c", TensorElementType.Float, 1, 4, 6, 6);
        Model model = b.Build();

        var memory = MemoryPlan.Create(GraphOptimizer.Optimize(model, null));
        Assert.Empty(memory.ElidedConcats);
        EngineTestSupport.AssertMatchesOrt(model, threads: 1);
    }

    [Fact]
    public void RerunsAreBitIdenticalAndPreparedRunsAllocateNothing()
    {
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 });
        Backend backend = Backend.Parse("cpu-simd");
        using IInferenceSession first = backend.CreateSession(model, new InferenceOptions { Threads = 2 });
        using IInferenceSession second = backend.CreateSession(model, new InferenceOptions { Threads = 2 });
        Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(first, 3);
        byte[] a = first.Run(inputs)["output"].Bytes.ToArray();
        Assert.Equal(a, first.Run(inputs)["output"].Bytes.ToArray());
        Assert.Equal(a, second.Run(inputs)["output"].Bytes.ToArray());

        using IPreparedRun run = first.Prepare(inputs);
        Assert.Equal(a, run.Outputs["output"].Bytes.ToArray());
        for (int i = 0; i < 3; i++)
        {
            run.Run();
        }

        // The steady state: the fewest bytes per run over several windows of 20 runs. One window can catch the runtime's
        // own one-time work on this thread (a method tiering up, a wait event created the first time the caller blocks
        // under load: seen once as 311 bytes per run with the whole suite running on 2 vCPUs); a per-run allocation
        // shows in every window.
        const int runs = 20;
        long perRun = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < runs; i++)
            {
                run.Run();
            }

            perRun = Math.Min(perRun, (GC.GetAllocatedBytesForCurrentThread() - before) / runs);
        }

        Assert.True(perRun < 256, $"a prepared run allocated {perRun} bytes");
        Assert.Equal(a, run.Outputs["output"].Bytes.ToArray());
    }

    [Fact]
    public void ConcurrentRunsGiveTheSameOutputs()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        using IInferenceSession session = Backend.Parse("cpu-simd:threads=2").CreateSession(model);
        Dictionary<string, TensorBuffer> inputs = EngineTestSupport.RandomInputs(session, 8);
        byte[] expected = session.Run(inputs)["output"].Bytes.ToArray();
        byte[][] results = new byte[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => results[i] = session.Run(inputs)["output"].Bytes.ToArray());
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void UnsupportedOperatorsAreAllListedAtCreation()
    {
        var b = new ModelBuilder("bad", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 8, 8);
        b.AddInitializer(TensorData.FromInt64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]));
        b.AddNode("NoSuchOperator", ["x"], ["e"], "unknown_node");
        b.AddNode("Pad", ["e", "pads"], ["p"], "pad_node", NodeAttribute.String("mode", "mirror"));
        b.AddNode("AlsoNotAnOperator", ["p"], ["y"], "other_node");
        b.AddOutput("y", TensorElementType.Float, 1, 3, 10, 10);
        Model model = b.Build();

        var e = Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd").CreateSession(model));
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("3 problems", e.Message);
        Assert.Contains("NoSuchOperator node 'unknown_node' (opset 17): operator 'NoSuchOperator' is not supported", e.Message);
        Assert.Contains("Pad node 'pad_node' (opset 17): attribute 'mode' = 'mirror'", e.Message);
        Assert.Contains("AlsoNotAnOperator node 'other_node' (opset 17): operator 'AlsoNotAnOperator' is not supported", e.Message);
    }

    [Fact]
    public void InputsAreValidatedByNameTypeAndShape()
    {
        using IInferenceSession session = Backend.Parse("cpu-simd:threads=1").CreateSession(SmallResNet());
        TensorSpec input = session.Inputs.Single();
        long[] dims = input.Shape.Select(d => d.Value!.Value).ToArray();
        var wrongName = new Dictionary<string, TensorBuffer> { ["nope"] = TensorBuffer.Allocate(TensorElementType.Float, dims) };
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => session.Run(wrongName)).Code);
        var wrongType = new Dictionary<string, TensorBuffer> { [input.Name] = TensorBuffer.Allocate(TensorElementType.Float16, dims) };
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => session.Run(wrongType)).Code);
        var wrongShape = new Dictionary<string, TensorBuffer> { [input.Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 32, 32]) };
        var e = Assert.Throws<LightNetException>(() => session.Run(wrongShape));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains(input.Name, e.Message);

        using IPreparedRun run = session.Prepare(new Dictionary<string, TensorBuffer> { [input.Name] = TensorBuffer.Allocate(TensorElementType.Float, dims) });
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => run.Run());
        Assert.Throws<ObjectDisposedException>(() => session.Run(wrongName));
    }

    [Fact]
    public void SymbolicBatchIsResolvedFromDimensionValues()
    {
        var b = new ModelBuilder("dynamic", 17);
        b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("batch"), 4]);
        b.AddInitializer(TensorData.FromFloats("w", [4, 3], Enumerable.Range(0, 12).Select(i => (i * 0.1f) - 0.5f).ToArray()));
        b.AddNode("MatMul", ["x", "w"], ["m"], "mm");
        b.AddNode("Sigmoid", ["m"], ["y"], "sig");
        b.AddOutput("y", TensorElementType.Float, [Dimension.Symbolic("batch"), 3]);
        Model model = b.Build();

        // Without a value the batch is taken from the first run's input; with one the plan is compiled at creation.
        using (IInferenceSession lazy = Backend.Parse("cpu-simd").CreateSession(model))
        {
            Assert.Equal(0, EngineTestSupport.CompiledSession(lazy).PlansCompiled);
            Assert.Equal([2L, 3], lazy.Run(new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.Allocate(TensorElementType.Float, [2, 4]) })["y"].Shape);
        }

        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model,
            new InferenceOptions { DimensionValues = new Dictionary<string, long> { ["batch"] = 3 } });
        Assert.Equal("batch", session.Inputs[0].Shape[0].Parameter);
        TensorBuffer x = TensorBuffer.FromFloats(Enumerable.Range(0, 12).Select(i => i * 0.25f).ToArray(), [3, 4]);
        float[] y = session.Run(new Dictionary<string, TensorBuffer> { ["x"] = x })["y"].ToFloatArray();
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                double dot = Enumerable.Range(0, 4).Sum(k => (r * 4 + k) * 0.25 * ((k * 3 + c) * 0.1 - 0.5));
                Assert.Equal(1 / (1 + Math.Exp(-dot)), y[(r * 3) + c], 5);
            }
        }
    }

    [Fact]
    public void ProfilerMeasuresItWithPerOperatorTimes()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        ProfileReport report = Profiler.Measure(model, Backend.Parse("cpu-simd"),
            ProfileOptions.Quick with { Threads = 1, PerOperatorProfile = true, MinSeconds = 0, MaxSeconds = 2, Runs = 5 });
        Assert.True(report.Operators.Count > 10);
        Assert.Contains(report.Operators, o => o.OpType == "Conv+Relu" && o.Calls > 0 && o.TotalMs > 0);
        Assert.Contains(report.OperatorTypes, t => t.OpType == "MaxPool");
        Assert.InRange(report.OperatorTypes.Sum(t => t.Percent), 99.0, 101.0);
    }
}

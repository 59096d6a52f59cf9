using LightNet.Backends;
using LightNet.Backends.Cudnn;
using LightNet.Backends.Cudnn.Native;
using LightNet.Engine;
using LightNet.Onnx;
using LightNet.Tests.Zoo;
using LightNet.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Backends.Cudnn;

/// <summary>What the cuDNN lowering makes of particular patterns (fusions, composed activations, shuffles) and what it refuses.</summary>
public class CudnnPlanTests
{
    internal static int SmallResolution(string name) => name switch
    {
        "inception_v3" => 75,
        "alexnet" => 63,
        "squeezenet1_0" or "squeezenet1_1" => 64,
        _ => 32,
    };

    internal static Model Small(string name, int batch = 1) =>
        ModelZoo.Create(name, new ZooOptions { Resolution = SmallResolution(name), BatchSize = batch, Classes = 10 });

    [Fact]
    public void ResNetFusesBiasReluAndResidualIntoConvolutions()
    {
        CudnnPlan plan = CudnnPlan.Create(Small("resnet18"), fp16: false, InferenceOptions.Default);
        ConvCall[] convs = plan.Calls.OfType<ConvCall>().ToArray();
        Assert.Equal(20, convs.Length);
        Assert.Equal(8, convs.Count(c => c.Fused && c.Z is not null)); // the second conv of each basic block: + residual, then ReLU
        Assert.Equal(17, convs.Count(c => c.Fused));                  // the 3 downsample convs have no activation
        Assert.DoesNotContain(plan.Calls, c => c is OpTensorCall);
        Assert.Contains(plan.Calls, c => c.Function == "cudnnConvolutionBiasActivationForward" && c.ToString().Contains("+residual", StringComparison.Ordinal));
    }

    [Fact]
    public void ActivationsCuDnnLacksAreComposedFromOpTensorAndClippedRelu()
    {
        CudnnPlan v2 = CudnnPlan.Create(Small("mobilenet_v2"), fp16: false, InferenceOptions.Default);
        // ReLU6 = Conv, bias add, clipped ReLU at 6.
        Assert.Contains(v2.Calls, c => c is ActivationCall { Mode: CudnnActivationMode.ClippedRelu, Coef: 6 });
        Assert.Contains(v2.Calls, c => c is AddTensorCall);

        CudnnPlan v3 = CudnnPlan.Create(Small("mobilenet_v3_small"), fp16: true, InferenceOptions.Default);
        // HardSwish: gate = clippedRelu1(x/6 + 0.5), y = x · gate.
        Assert.Contains(v3.Calls, c => c is OpTensorCall { Op: CudnnOpTensorOp.Add, Alpha1: 1f / 6f, Alpha2: 0.5f });
        Assert.Contains(v3.Calls, c => c is OpTensorCall { Op: CudnnOpTensorOp.Mul });
        Assert.Contains(v3.Buffers, b => b.Name == "#scratch");
    }

    [Fact]
    public void ChannelShuffleIsATransformAndSplitAndConcatArePitchedCopies()
    {
        CudnnPlan plan = CudnnPlan.Create(Small("shufflenet_v2_x1_0"), fp16: false, InferenceOptions.Default);
        TransformCall shuffle = plan.Calls.OfType<TransformCall>().First();
        Assert.Equal(5, shuffle.XLayout.Dims.Length);
        Assert.NotEqual(TensorLayout.PackedStrides(shuffle.XLayout.Dims), shuffle.XLayout.Strides);
        Assert.Contains(plan.Steps, s => s.OpType == "Split" && s.Calls.All(c => c is CopyCall));
        Assert.Contains(plan.Steps, s => s.OpType == "Concat" && s.Calls.All(c => c is CopyCall { Height: 1 }));
    }

    [Fact]
    public void OpsWithoutALoweringAreRefusedAtCreationNamingThem()
    {
        var b = new ModelBuilder("unlowerable", 17);
        b.AddInput("x", TensorElementType.Float, 1, 2, 4, 4);
        b.AddInitializer(TensorData.FromFloats("w", [2, 2, 3, 3], Enumerable.Range(0, 36).Select(i => i * 0.01f).ToArray()));
        b.AddInitializer(TensorData.FromInt64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]));
        b.AddNode("ConvTranspose", ["x", "w"], ["up"], "deconv", NodeAttribute.Ints("strides", 2, 2));
        b.AddNode("Pad", ["up", "pads"], ["padded"], "pad");
        b.AddNode("Relu", ["padded"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 2, 11, 11);
        Model model = b.Build();

        var e = Assert.Throws<LightNetException>(() => CudnnPlan.Create(model, fp16: false, InferenceOptions.Default));
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("cudnn backend cannot run 'unlowerable' (2 problems)", e.Message);
        Assert.Contains("ConvTranspose node 'deconv' (opset 17): operator 'ConvTranspose' has no cuDNN lowering", e.Message);
        Assert.Contains("Pad node 'pad' (opset 17): operator 'Pad' has no cuDNN lowering", e.Message);
    }

    [Fact]
    public void ModelsTheGraphOptimizerRefusesAreRefusedNamingTheBackend()
    {
        var b = new ModelBuilder("einsum", 17);
        b.AddInput("x", TensorElementType.Float, 2, 2);
        b.AddNode("Einsum", ["x", "x"], ["y"], "contract", NodeAttribute.String("equation", "ij,jk->ik"));
        b.AddOutput("y", TensorElementType.Float, 2, 2);

        var e = Assert.Throws<LightNetException>(() => CudnnPlan.Create(b.Build(), fp16: true, InferenceOptions.Default));
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("cudnn backend", e.Message);
        Assert.Contains("Einsum", e.Message);
    }
}

/// <summary>
/// Every zoo model lowers (FP32 and FP16) with nothing refused and a sound memory plan, and for the smaller ones an
/// interpreter of the calls agrees with ONNX Runtime. A class of its own so that it runs beside the others.
/// </summary>
public class CudnnZooLoweringTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(ModelZooTests.AllNames), MemberType = typeof(ModelZooTests))]
    public void EveryZooModelLowersWithoutRefusal(string name)
    {
        Model model = CudnnPlanTests.Small(name, batch: 2);
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        CudnnPlan plan = CudnnPlan.Lower(graph, fp16: false);
        CudnnPlan half = CudnnPlan.Lower(graph, fp16: true);

        Assert.Equal(graph.Nodes.Count, plan.Steps.Count);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            OptimizedNode node = graph.Nodes[i];
            CudnnStep step = plan.Steps[i];
            Assert.Equal(node.Name, step.Node);
            switch (node.OpType)
            {
                case "View":
                    Assert.Empty(step.Calls);
                    break;
                case "Conv":
                    Assert.Single(step.Calls.OfType<ConvCall>());
                    Assert.Equal(node.Activation.Kind == LightNet.Engine.Kernels.ActivationKind.Relu, step.Calls.OfType<ConvCall>().Single().Fused);
                    break;
                case "Dense":
                    Assert.Single(step.Calls.OfType<GemmCall>());
                    Assert.Equal("cublasSgemm_v2", step.Calls.OfType<GemmCall>().Single().Function);
                    Assert.Equal("cublasGemmEx", half.Steps[i].Calls.OfType<GemmCall>().Single().Function);
                    break;
                default:
                    Assert.NotEmpty(step.Calls);
                    break;
            }
        }

        Assert.Equal(20, plan.Outputs.Single().Elements);
        Assert.Equal(4, plan.ElementSize);
        Assert.Equal(2, half.ElementSize);
        Assert.True(half.ArenaBytes <= plan.ArenaBytes, $"FP16 arena {half.ArenaBytes} > FP32 arena {plan.ArenaBytes}");
        Assert.True(half.ConstantBytes < plan.ConstantBytes);
        AssertMemoryPlanIsSound(plan);
        AssertMemoryPlanIsSound(half);

        if (s_interpreted.Contains(name))
        {
            AssertInterpretedPlanMatchesOnnxRuntime(name, model, plan);
        }

        string calls = string.Join(", ", plan.Calls.GroupBy(c => c.Function).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"));
        output.WriteLine($"{name}: {plan.Steps.Count} steps, {plan.Calls.Count()} calls ({calls}); arena {plan.ArenaBytes / 1024} KiB " +
            $"(naive {plan.Buffers.Where(b => !b.IsConstant).Sum(b => b.Elements * 4) / 1024} KiB), constants {plan.ConstantBytes / 1024} KiB");
    }

    /// <summary>Networks small enough at their small resolution for the interpreter's plain loops.</summary>
    private static readonly HashSet<string> s_interpreted = new(StringComparer.Ordinal)
    {
        "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1", "shufflenet_v2_x1_0", "resnet18", "googlenet",
    };

    /// <summary>Runs the plan through <see cref="PlanInterpreter"/> and ONNX Runtime on the same seeded inputs; rtol 1e-3, atol 1e-4.</summary>
    private static void AssertInterpretedPlanMatchesOnnxRuntime(string name, Model model, CudnnPlan plan)
    {
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model);
        var random = new Random(5);
        var inputs = plan.Inputs.ToDictionary(i => i.Boundary.Name,
            i => Enumerable.Range(0, (int)i.Elements).Select(_ => (random.NextSingle() * 2) - 1).ToArray());
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(plan.Inputs.ToDictionary(
            i => i.Boundary.Name, i => TensorBuffer.FromFloats(inputs[i.Boundary.Name], i.Boundary.Dims)));
        Dictionary<string, float[]> actual = new PlanInterpreter(plan).Run(inputs);
        foreach ((string output, TensorBuffer e) in expected)
        {
            float[] ev = e.ToFloatArray(), av = actual[output];
            Assert.Equal(ev.Length, av.Length);
            for (int i = 0; i < ev.Length; i++)
            {
                double err = Math.Abs((double)ev[i] - av[i]);
                Assert.True(err <= 1e-4 + (1e-3 * Math.Abs(ev[i])), $"{name}: output '{output}'[{i}] is {av[i]} interpreted but {ev[i]} on ort-cpu");
            }
        }
    }

    /// <summary>Buffers alive at the same step never share bytes, and everything fits the arena / constant block.</summary>
    private static void AssertMemoryPlanIsSound(CudnnPlan plan)
    {
        var live = plan.Buffers.Where(b => !b.IsConstant).ToArray();
        long Size(PlanBuffer b) => b.Elements * plan.ElementSize;
        foreach (PlanBuffer a in live)
        {
            Assert.True(a.ByteOffset % CudnnPlan.Alignment == 0, a.ToString());
            Assert.True(a.ByteOffset + Size(a) <= plan.ArenaBytes, a.ToString());
            foreach (PlanBuffer b in live.Where(b => !ReferenceEquals(a, b) && a.First <= b.Last && b.First <= a.Last))
            {
                bool disjoint = a.ByteOffset + Size(a) <= b.ByteOffset || b.ByteOffset + Size(b) <= a.ByteOffset;
                Assert.True(disjoint, $"{a} and {b} are alive together and overlap");
            }
        }

        foreach (PlanBuffer c in plan.Buffers.Where(b => b.IsConstant))
        {
            Assert.True(c.ByteOffset + Size(c) <= plan.ConstantBytes, c.ToString());
        }
    }

}

using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>Which values a CPU plan keeps channel-blocked (<see cref="BlockedLayout"/>), and that models give the same outputs with them.</summary>
public class BlockedLayoutTests
{
    private static IEnumerable<Isa> BlockedIsas() =>
        new[] { Isa.Vector128, Isa.Avx2, Isa.Avx512 }.Where(i => i == Isa.Avx512 || IsaSupport.IsSupported(i));

    [Fact]
    public void MobileNetV2KeepsEveryPointwiseAndDepthwiseChainBlocked()
    {
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 });
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        foreach (Isa isa in BlockedIsas())
        {
            using var plan = new CpuPlan(graph, isa, 1);
            var convs = graph.Nodes.Where(n => n.OpType == "Conv").ToList();
            using (var planar = new CpuPlan(graph, isa, 1, blockedLayout: false))
            {
                // layout=planar: planar throughout, the planar GEMM for every 1×1 (dense convolutions may still run a
                // blocked kernel between planar tensors where BlocksDenseConvolutions).
                Assert.Same(BlockedLayout.None, planar.Layout);
                Assert.DoesNotContain(planar.Steps, s => s.Algorithm.StartsWith("pointwise-", StringComparison.Ordinal));
                Assert.DoesNotContain(planar.Steps, s => s.Algorithm.StartsWith("depthwise-", StringComparison.Ordinal) && s.Algorithm.Contains("-nchw", StringComparison.Ordinal));
                Assert.Contains(planar.Steps, s => s.Algorithm.StartsWith("gemm-1x1", StringComparison.Ordinal));
            }

            Assert.Equal(ConvLayout.LanesFor(isa), plan.Layout.Lanes);

            // The stem (a dense 3×3 on 3 channels) writes blocked on AVX-512 and Vector128 (the direct kernel's planar
            // taps) and planar on AVX2, where the first depthwise converts; every later convolution's input and output
            // are blocked, and the global pooling reads the last one blocked.
            Assert.Equal(isa != Isa.Avx2, plan.Layout.IsBlocked(convs[0].Outputs[0]));
            Assert.Equal(isa != Isa.Avx2, plan.Layout.IsBlocked(convs[1].Inputs[0]));
            string planarStem = ConvLayout.BlocksDenseConvolutions(isa) ? "im2col-gemm-avx2" : "direct-stem-avx2";
            Assert.Equal(isa == Isa.Avx2 ? planarStem : "direct-planar-" + ConvLayout.KernelSuffix(ConvLayout.LanesFor(isa)), plan.Steps[0].Algorithm);
            Assert.All(convs.Skip(1), n => Assert.True(plan.Layout.IsBlocked(n.Outputs[0]), $"{isa}: {n.Name}'s output is not blocked"));
            Assert.All(convs.Skip(2), n => Assert.True(plan.Layout.IsBlocked(n.Inputs[0]), $"{isa}: {n.Name}'s input is not blocked"));
            Assert.True(plan.Layout.IsBlocked(graph.Nodes.Single(n => n.OpType == "GlobalAveragePool").Inputs[0]));
            Assert.Contains(plan.Steps, s => s.Algorithm.StartsWith("pointwise-nchw", StringComparison.Ordinal));

            // 24-channel values take a whole 32-channel (or 24 on AVX2) block each: the arena holds the padding.
            string y24 = convs.First(n => graph.Dims(n.Outputs[0])[1] == 24).Outputs[0];
            long[] d = graph.Dims(y24);
            Assert.Equal(ConvLayout.BlockedElements(24, d[2] * d[3], plan.Layout.Lanes), plan.Layout.Elements(y24));
        }
    }

    [Fact]
    public void MobileNetV3StaysBlockedThroughItsSqueezeAndExcitationGates()
    {
        OptimizedGraph graph = GraphOptimizer.Optimize(ModelZoo.Create("mobilenet_v3_large", new ZooOptions { Resolution = 64, Classes = 10 }), null);
        using var plan = new CpuPlan(graph, Isa.Avx512, 1);
        var gates = graph.Nodes.Where(n => BlockedLayout.ScaledInput(graph, n) is not null).ToList();
        Assert.Equal(8, gates.Count);
        Assert.All(gates, n => Assert.True(plan.Layout.IsBlocked(n.Outputs[0]), $"{n.Name}'s output is not blocked"));
        Assert.Equal(8, plan.Steps.Count(s => s.Algorithm == "channel-scale-nchwc"));

        // The stem writes blocked (direct, planar taps), so every 1×1 reads and writes blocked tensors.
        Assert.Equal("direct-planar-nchw16c-avx512", plan.Steps[0].Algorithm);
        Assert.Equal(0, plan.Steps.Count(s => s.Algorithm.StartsWith("gemm-1x1", StringComparison.Ordinal)));
        Assert.Equal(0, plan.Steps.Count(s => s.Algorithm.StartsWith("pointwise-to-nchw", StringComparison.Ordinal)));
    }

    [Fact]
    public void NothingIsBlockedWithoutBlockedKernelsOrWhereAPointwiseOutputIsReadPlanar()
    {
        // Scalar has no blocked kernels; Vector128 blocks by 4 lanes.
        OptimizedGraph mobile = GraphOptimizer.Optimize(ModelZoo.Create("mobilenet_v2", new ZooOptions { Resolution = 64, Classes = 10 }), null);
        using (var plan = new CpuPlan(mobile, Isa.Scalar, 1))
        {
            Assert.Empty(plan.Layout.Blocked);
        }

        using (var plan = new CpuPlan(mobile, Isa.Vector128, 1))
        {
            Assert.Equal(4, plan.Layout.Lanes);
            Assert.NotEmpty(plan.Layout.Blocked);
        }

        // depthwise → pointwise → pointwise, where the first pointwise output is also a graph output: it stays planar,
        // so neither pointwise convolution can be blocked, and the depthwise writes planar too.
        Model model = Chain(firstPointwiseIsOutput: true);
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        using (var plan = new CpuPlan(graph, Isa.Avx512, 1))
        {
            Assert.Empty(plan.Layout.Blocked);
        }

        EngineTestSupport.AssertMatchesOrt(model, "cpu-simd", threads: 1);
    }

    [Fact]
    public void SqueezeNetStaysBlockedFromTheStemToTheClassifier()
    {
        // On AVX-512 the stem (direct, planar taps) writes blocked; the max pools, every 1×1 and 3×3 of the fire modules
        // and their Concats (whole 16-channel blocks: the expand outputs write straight into their slices) pass blocked
        // tensors on; only the graph output is planar.
        OptimizedGraph squeeze = GraphOptimizer.Optimize(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }), null);
        using var plan = new CpuPlan(squeeze, Isa.Avx512, 1);
        var produced = squeeze.Nodes.Where(n => n.OpType is "Conv" or "MaxPool" or "Concat").Select(n => n.Outputs[0]).ToList();
        Assert.All(produced, v => Assert.True(plan.Layout.IsBlocked(v), $"{v} is not blocked"));
        Assert.Equal(produced.Count, plan.Layout.Blocked.Count);
        Assert.Equal(3, plan.Steps.Count(s => s.Algorithm == "max-pool-nchw16c"));
        Assert.Equal("direct-planar-nchw16c-avx512", plan.Steps[0].Algorithm);
        Assert.DoesNotContain(plan.Steps, s => s.Node.OpType == "Concat");
        Assert.All(plan.Steps.Where(s => s.Node.OpType == "Conv"), s => Assert.Contains("-nchw16c-", s.Algorithm, StringComparison.Ordinal));
        EngineTestSupport.AssertMatchesOrt(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }), "cpu-simd", threads: 2, rtol: 2e-3);
    }

    [Fact]
    public void AChainEndingInGlobalPoolingRunsBlockedAndMatchesOrt()
    {
        Model model = Chain(firstPointwiseIsOutput: false);
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        foreach (Isa isa in BlockedIsas())
        {
            using var plan = new CpuPlan(graph, isa, 2);
            Assert.Equal(3, plan.Layout.Blocked.Count);
            Assert.Equal(2, plan.Steps.Count(s => s.Algorithm.StartsWith("pointwise-nchw", StringComparison.Ordinal)));
        }

        foreach (string backend in new[] { "cpu-simd", "cpu-simd:isa=avx2" }.Where(b => b == "cpu-simd" || IsaSupport.IsSupported(Isa.Avx2)))
        {
            EngineTestSupport.AssertMatchesOrt(model, backend, threads: 2);
        }
    }

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("mobilenet_v3_large")]
    [InlineData("mobilenet_v1")]
    [InlineData("shufflenet_v2_x1_0")]
    [InlineData("squeezenet1_1")]
    public void BlockedZooModelsMatchOrtOnEveryBlockedIsa(string name)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 96, Classes = 10 });
        foreach (string backend in new[] { "cpu-simd:isa=avx512", "cpu-simd:isa=avx2" }.Where(b => IsaSupport.IsSupported(b.EndsWith("avx2", StringComparison.Ordinal) ? Isa.Avx2 : Isa.Avx512)))
        {
            EngineTestSupport.AssertMatchesOrt(model, backend, threads: 2, rtol: 2e-3);
        }
    }

    // 20 channels, 12×12: depthwise 3×3 (ReLU6) → pointwise 20→36 (ReLU6) → pointwise 36→20 + the depthwise input as residual
    // → GlobalAveragePool. 20 and 36 channels leave partial blocks at 8 and 16 lanes.
    private static Model Chain(bool firstPointwiseIsOutput)
    {
        var rng = new Random(3);
        float[] Weights(int count, float scale) => Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2) - 1) * scale).ToArray();
        var b = new ModelBuilder("blocked_chain", 17);
        b.AddInput("x", TensorElementType.Float, 1, 20, 12, 12);
        b.AddInitializer(TensorData.FromFloats("wd", [20, 1, 3, 3], Weights(180, 0.4f)));
        b.AddInitializer(TensorData.FromFloats("bd", [20], Weights(20, 0.1f)));
        b.AddInitializer(TensorData.FromFloats("w1", [36, 20, 1, 1], Weights(720, 0.3f)));
        b.AddInitializer(TensorData.FromFloats("w2", [20, 36, 1, 1], Weights(720, 0.3f)));
        b.AddInitializer(TensorData.FromFloats("lo", [], [0f]));
        b.AddInitializer(TensorData.FromFloats("hi", [], [6f]));
        b.AddNode("Conv", ["x", "wd", "bd"], ["d"], "dw", NodeAttribute.Ints("pads", 1, 1, 1, 1), NodeAttribute.Int("group", 20));
        b.AddNode("Clip", ["d", "lo", "hi"], ["d6"], "dw_relu6");
        b.AddNode("Conv", ["d6", "w1"], ["p1"], "pw1");
        b.AddNode("Clip", ["p1", "lo", "hi"], ["p16"], "pw1_relu6");
        b.AddNode("Conv", ["p16", "w2"], ["p2"], "pw2");
        b.AddNode("Add", ["p2", "d6"], ["sum"], "residual");
        b.AddNode("GlobalAveragePool", ["sum"], ["g"], "gap");
        b.AddOutput("g", TensorElementType.Float, 1, 20, 1, 1);
        if (firstPointwiseIsOutput)
        {
            b.AddOutput("p16", TensorElementType.Float, 1, 36, 12, 12);
        }

        return b.Build();
    }
}

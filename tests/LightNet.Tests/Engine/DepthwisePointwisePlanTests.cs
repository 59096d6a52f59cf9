using LightNet.Backends;
using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>Which depthwise → 1×1 pairs a CPU plan runs as one step (<see cref="ConvDepthwisePointwise"/>).</summary>
public class DepthwisePointwisePlanTests
{
    [Fact]
    public void MobileNetV2FusesItsLargeMapPairsOnPlanarPlansOnly()
    {
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Classes = 10 });
        OptimizedGraph graph = GraphOptimizer.Optimize(model, null);
        foreach (Isa isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Avx2, Isa.Avx512 }.Where(i => i == Isa.Avx512 || IsaSupport.IsSupported(i)))
        {
            // Blocked plans (the default on every vector level) pass the depthwise output to the 1×1 kernel blocked
            // instead; scalar has no bands.
            using (var blocked = new CpuPlan(graph, isa, 2))
            {
                Assert.Empty(blocked.Steps.OfType<DepthwisePointwiseStep>());
            }

            using var plan = new CpuPlan(graph, isa, 2, blockedLayout: false);
            using var separate = new CpuPlan(graph, isa, 2, fuseDepthwisePointwise: false, blockedLayout: false);
            string[] fused = plan.Steps.OfType<DepthwisePointwiseStep>().Select(s => s.Depthwise.Name + " → " + s.Node.Name).ToArray();
            Assert.Empty(separate.Steps.OfType<DepthwisePointwiseStep>());
            if (isa == Isa.Scalar)
            {
                Assert.Empty(fused);
                continue;
            }

            if (isa != Isa.Avx2)
            {
                // Where the pairs' band rules are measured (AVX2 on 16 registers); elsewhere a subset of them fuses.
                Assert.Subset(new HashSet<string>(["features.1/Conv_3 → features.1/Conv_6", "features.2/Conv_11 → features.2/Conv_14", "features.3/Conv_19 → features.3/Conv_22"]), fused.ToHashSet());
                continue;
            }

            // 112×112×32, 56×56×96 and 56×56×144 depthwise outputs (1.2–1.8 MB); 28×28 and smaller stay two steps.
            Assert.Equal(["features.1/Conv_3 → features.1/Conv_6", "features.2/Conv_11 → features.2/Conv_14", "features.3/Conv_19 → features.3/Conv_22"], fused);
            Assert.Equal(separate.Steps.Count - 3, plan.Steps.Count);
            Assert.All(plan.Steps.OfType<DepthwisePointwiseStep>(), s => Assert.EndsWith("+gemm-1x1-" + IsaSupport.Name(isa), s.Algorithm, StringComparison.Ordinal));
            Assert.DoesNotContain(plan.Steps, s => s.Node.Name == "features.1/Conv_3");
        }
    }

    [Fact]
    public void PerOperatorProfilesKeepEveryLayer()
    {
        // A profiling session compiles the pairs as two steps, so each layer keeps its own row.
        Model model = ModelZoo.Create("mobilenet_v2", new ZooOptions { Classes = 10 });
        using IInferenceSession session = Backend.Parse("cpu-simd:threads=1").CreateSession(model, new InferenceOptions { PerOperatorProfiling = true });
        var inputs = new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 224, 224]) };
        session.Run(inputs);
        session.Run(inputs);
        OperatorProfile profile = Assert.IsType<OperatorProfile>(session.CollectOperatorProfile());
        Assert.Contains(profile.Nodes, n => n.Name == "features.1/Conv_3" && n.Provider.StartsWith("depthwise-3x3-", StringComparison.Ordinal));
        Assert.Contains(profile.Nodes, n => n.Name == "features.1/Conv_6" && !n.Provider.Contains('+', StringComparison.Ordinal));
    }
}

using LightNet.Backends;
using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Profiling;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>
/// Symbolic input dimensions on cpu-simd: one session compiles a plan per distinct input shape set (bounded LRU), fixed
/// dimensions are still checked, and the profiler passes the measured shapes on to every backend's session.
/// </summary>
public class DynamicShapeTests
{
    /// <summary>A small conv net on x: [N, 3, H, W] with a shape-dependent output (features) and a fixed-width one (logits).</summary>
    internal static Model SymbolicConvNet()
    {
        var random = new Random(7);
        float[] Weights(int n) => Enumerable.Range(0, n).Select(_ => (random.NextSingle() - 0.5f) * 0.6f).ToArray();
        var b = new ModelBuilder("symbolic_conv", 17);
        b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(3), Dimension.Symbolic("H"), Dimension.Symbolic("W")]);
        b.AddInitializer(TensorData.FromFloats("w1", [8, 3, 3, 3], Weights(8 * 3 * 3 * 3)));
        b.AddInitializer(TensorData.FromFloats("b1", [8], Weights(8)));
        b.AddInitializer(TensorData.FromFloats("w2", [8, 8, 3, 3], Weights(8 * 8 * 3 * 3)));
        b.AddInitializer(TensorData.FromFloats("w3", [8, 5], Weights(8 * 5)));
        b.AddInitializer(TensorData.FromFloats("b3", [5], Weights(5)));
        b.AddNode("Conv", ["x", "w1", "b1"], ["c1"], "conv1", NodeAttribute.Ints("kernel_shape", 3, 3), NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddNode("Relu", ["c1"], ["r1"], "relu1");
        b.AddNode("Conv", ["r1", "w2"], ["features"], "conv2", NodeAttribute.Ints("kernel_shape", 3, 3), NodeAttribute.Ints("pads", 1, 1, 1, 1),
            NodeAttribute.Ints("strides", 2, 2));
        b.AddNode("GlobalAveragePool", ["features"], ["pooled"], "gap");
        b.AddNode("Flatten", ["pooled"], ["flat"], "flatten");
        b.AddNode("Gemm", ["flat", "w3", "b3"], ["logits"], "fc");
        b.AddOutput("logits", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(5)]);
        b.AddOutput("features", TensorElementType.Float);
        return b.Build();
    }

    private static Dictionary<string, TensorBuffer> Input(long n, long h, long w, int seed = 3)
    {
        var random = new Random(seed);
        TensorBuffer x = TensorBuffer.Allocate(TensorElementType.Float, [n, 3, h, w]);
        foreach (ref float v in x.AsSpan<float>())
        {
            v = (random.NextSingle() * 2) - 1;
        }

        return new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { ["x"] = x };
    }

    private static void AssertClose(IReadOnlyDictionary<string, TensorBuffer> expected, IReadOnlyDictionary<string, TensorBuffer> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.Equal(e.Shape, a.Shape);
            float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
            for (int i = 0; i < ev.Length; i++)
            {
                double err = Math.Abs((double)ev[i] - av[i]);
                Assert.True(err <= EngineTestSupport.AbsoluteTolerance + (EngineTestSupport.RelativeTolerance * Math.Abs(ev[i])),
                    $"output '{name}'[{i}] of shape {Dimension.Format(e.Shape)}: {av[i]} on cpu-simd, {ev[i]} on ort-cpu");
            }
        }
    }

    [Fact]
    public void OneSessionRunsTwoShapesAndMatchesOnnxRuntimeAtBoth()
    {
        Model model = SymbolicConvNet();
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 2 });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 2 });
        var session = EngineTestSupport.CompiledSession(ours);
        Assert.Equal(0, session.PlansCompiled); // nothing known at creation: compiled at the first run with each shape

        // The specs keep the declared, symbolic shapes.
        Assert.Equal(["N", null, "H", "W"], ours.Inputs[0].Shape.Select(d => d.Parameter));
        Assert.Equal(3, ours.Inputs[0].Shape[1].Value);
        Assert.Equal("N", ours.Outputs.Single(o => o.Name == "logits").Shape[0].Parameter);

        foreach ((long h, long w) in new[] { (48L, 192L), (48L, 320L) })
        {
            Dictionary<string, TensorBuffer> inputs = Input(1, h, w);
            AssertClose(ort.Run(inputs), ours.Run(inputs));
            Assert.True(session.LastRunCompiledPlan, $"first run at 1x3x{h}x{w}");
            Assert.Equal([1L, 8, h / 2, w / 2], ours.Run(inputs)["features"].Shape);
            Assert.False(session.LastRunCompiledPlan, $"second run at 1x3x{h}x{w}");
        }

        // Back to the first shape: the cached plan, and a batch of two is one more plan.
        AssertClose(ort.Run(Input(1, 48, 192, seed: 9)), ours.Run(Input(1, 48, 192, seed: 9)));
        Assert.False(session.LastRunCompiledPlan);
        AssertClose(ort.Run(Input(2, 16, 24)), ours.Run(Input(2, 16, 24)));
        Assert.Equal(3, session.PlansCompiled);
        Assert.Equal(3, session.CachedPlanCount);
    }

    [Fact]
    public void KnownDimensionsCompileAtCreationAndOtherShapesStillRun()
    {
        Model model = SymbolicConvNet();
        var dims = new Dictionary<string, long> { ["N"] = 1, ["H"] = 16, ["W"] = 20 };
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1, DimensionValues = dims });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var session = EngineTestSupport.CompiledSession(ours);
        Assert.Equal(1, session.PlansCompiled);
        Assert.Equal("H", ours.Inputs[0].Shape[2].Parameter);

        AssertClose(ort.Run(Input(1, 16, 20)), ours.Run(Input(1, 16, 20)));
        Assert.False(session.LastRunCompiledPlan);
        AssertClose(ort.Run(Input(1, 12, 12)), ours.Run(Input(1, 12, 12)));
        Assert.True(session.LastRunCompiledPlan);
    }

    [Fact]
    public void MoreShapesThanTheBoundStillRunAndTheOldestPlansAreEvicted()
    {
        Model model = SymbolicConvNet();
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 2 });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var session = EngineTestSupport.CompiledSession(ours);
        int bound = session.MaxPlans;
        Assert.Equal(CpuSimdSession.DefaultMaxPlans, bound);

        // A prepared run at the first shape holds its plan past its eviction.
        Dictionary<string, TensorBuffer> first = Input(1, 8, 8);
        using IPreparedRun held = ours.Prepare(first);
        float[] heldOutput = held.Outputs["logits"].ToFloatArray();

        for (int k = 1; k <= bound + 2; k++)
        {
            Dictionary<string, TensorBuffer> inputs = Input(1, 8, 8 + (2 * k), seed: k);
            AssertClose(ort.Run(inputs), ours.Run(inputs));
            Assert.True(session.LastRunCompiledPlan);
            Assert.True(session.CachedPlanCount <= bound);
        }

        Assert.Equal(bound + 3, session.PlansCompiled);
        Assert.Equal(bound, session.CachedPlanCount);
        long[][][] cached = [.. session.CachedPlanShapes];
        Assert.DoesNotContain(cached, s => s[0][3] == 8);  // the first shape, least recently used, is gone
        Assert.DoesNotContain(cached, s => s[0][3] == 10); // and so is the second
        Assert.Equal(8 + (2 * (bound + 2)), cached[0][0][3]); // the last one is the most recent

        // The evicted plan still serves its prepared run, unchanged.
        held.Run();
        Assert.Equal(heldOutput, held.Outputs["logits"].ToFloatArray());

        // A plain run at the evicted shape compiles it again (evicting the next oldest).
        AssertClose(ort.Run(first), ours.Run(first));
        Assert.True(session.LastRunCompiledPlan);
        Assert.Equal(bound, session.CachedPlanCount);
    }

    [Fact]
    public void PreparedRunsOfADynamicModelAllocateNothing()
    {
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(SymbolicConvNet(), new InferenceOptions { Threads = 2 });
        using IPreparedRun a = ours.Prepare(Input(1, 16, 32));
        using IPreparedRun b = ours.Prepare(Input(1, 16, 48));
        for (int i = 0; i < 3; i++)
        {
            a.Run();
            b.Run();
        }

        const int runs = 20;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < runs; i++)
        {
            a.Run();
            b.Run();
        }

        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / (2 * runs);
        Assert.True(perRun < 256, $"a prepared run allocated {perRun} bytes");
        Assert.Equal([1L, 8, 8, 16], a.Outputs["features"].Shape);
        Assert.Equal([1L, 8, 8, 24], b.Outputs["features"].Shape);
    }

    [Fact]
    public void WrongFixedDimensionsRankAndConflictingNamesAreRejected()
    {
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(SymbolicConvNet(), new InferenceOptions { Threads = 1 });
        var wrongChannels = new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.Allocate(TensorElementType.Float, [1, 4, 8, 8]) };
        var e = Assert.Throws<LightNetException>(() => ours.Run(wrongChannels));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("'x'", e.Message);
        Assert.Contains("[N, 3, H, W]", e.Message);
        Assert.Contains("[1, 4, 8, 8]", e.Message);
        Assert.Contains("axis 1 must be 3", e.Message);

        var wrongRank = new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.Allocate(TensorElementType.Float, [3, 8, 8]) };
        e = Assert.Throws<LightNetException>(() => ours.Prepare(wrongRank));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("rank 3, not 4", e.Message);
        Assert.Equal(0, EngineTestSupport.CompiledSession(ours).PlansCompiled);

        // Two inputs that share a dimension name must agree on it.
        var b = new ModelBuilder("shared", 17);
        b.AddInput("a", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(4)]);
        b.AddInput("b", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(4)]);
        b.AddNode("Add", ["a", "b"], ["y"], "add");
        b.AddOutput("y", TensorElementType.Float, [Dimension.Symbolic("N"), Dimension.Fixed(4)]);
        using IInferenceSession shared = Backend.Parse("cpu-simd").CreateSession(b.Build());
        e = Assert.Throws<LightNetException>(() => shared.Run(new Dictionary<string, TensorBuffer>
        {
            ["a"] = TensorBuffer.Allocate(TensorElementType.Float, [2, 4]),
            ["b"] = TensorBuffer.Allocate(TensorElementType.Float, [3, 4]),
        }));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("'N'", e.Message);
        Assert.Contains("input 'a'", e.Message);
        Assert.Contains("input 'b'", e.Message);

        float[] sum = shared.Run(new Dictionary<string, TensorBuffer>
        {
            ["a"] = TensorBuffer.FromFloats([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]),
            ["b"] = TensorBuffer.FromFloats([1, 1, 1, 1, 2, 2, 2, 2], [2, 4]),
        })["y"].ToFloatArray();
        Assert.Equal([2f, 3, 4, 5, 7, 8, 9, 10], sum);
    }

    [Fact]
    public void PerOperatorProfileReportsThePlanThatRanMost()
    {
        using IInferenceSession ours = Backend.Parse("cpu-simd").CreateSession(SymbolicConvNet(),
            new InferenceOptions { Threads = 1, PerOperatorProfiling = true });
        var session = EngineTestSupport.CompiledSession(ours);
        ours.Run(Input(1, 8, 8));
        for (int i = 0; i < 3; i++)
        {
            ours.Run(Input(1, 16, 16));
        }

        OperatorProfile profile = ours.CollectOperatorProfile()!;
        Assert.Equal(3, profile.Runs);
        Assert.Equal([1L, 3, 16, 16], session.ProfiledInputShapes![0]);
        Assert.Contains(profile.Nodes, n => n.Name == "conv2" && n.Calls == 3);
    }

    [Fact]
    public void ProfilerPassesTheGivenShapesToCpuSimd()
    {
        Model model = SymbolicConvNet();
        ProfileOptions options = ProfileOptions.Quick with
        {
            Threads = 1, WarmupRuns = 1, Runs = 3, MinSeconds = 0, MaxSeconds = 5, PerOperatorProfile = true, PerOperatorRuns = 2,
            InputShapes = new Dictionary<string, long[]> { ["x"] = [1, 3, 48, 192] },
        };
        ProfileReport report = Profiler.Measure(model, Backend.Parse("cpu-simd"), options);
        Assert.Equal([1L, 3, 48, 192], report.Model.InputShapes["x"]);
        Assert.True(report.LatencyMs.Count >= 3);
        Assert.Contains(report.Operators, o => o.Name == "conv1" && o.Calls > 0);
        Assert.DoesNotContain(report.Warnings, w => w.Contains("compiled", StringComparison.Ordinal)); // compiled at load, from the shapes

        IReadOnlyList<FidelityReport> fidelity = Profiler.CompareOutputs(model, Backend.Parse("cpu-simd"), Backend.Parse("ort-cpu"), options);
        Assert.Equal(2, fidelity.Count);
        Assert.All(fidelity, f => Assert.True(f.AllCloseRatio <= 1, $"{f.Output}: allclose ratio {f.AllCloseRatio}"));

        ComparisonReport comparison = Profiler.Compare([model], [Backend.Parse("ort-cpu"), Backend.Parse("cpu-simd")],
            options with { PerOperatorProfile = false, SwitchSettle = TimeSpan.Zero });
        Assert.Equal(2, comparison.Cells.Count);
        Assert.All(comparison.Cells, c => Assert.True(c.Error is null, c.Error));

        var e = Assert.Throws<LightNetException>(() => Profiler.Compare([model], [Backend.Parse("cpu-simd")],
            options with { InputShapes = new Dictionary<string, long[]> { ["nope"] = [1] } }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("'nope'", e.Message);
    }

    [Fact]
    public void ProfileOptionsMapToSessionOptionsWithTheDimensionValuesOfTheShapes()
    {
        ProfileOptions options = ProfileOptions.Quick with { Threads = 3, InputShapes = new Dictionary<string, long[]> { ["x"] = [2, 3, 48, 192] } };
        InferenceOptions plain = options.ToInferenceOptions();
        Assert.Equal(3, plain.Threads);
        Assert.Null(plain.DimensionValues);
        Assert.False(plain.PerOperatorProfiling);

        Model model = SymbolicConvNet();
        Dictionary<string, TensorBuffer> inputs = MeasurementInputs.Create(model, options, out _, []);
        InferenceOptions session = MeasurementInputs.SessionOptions(model, options, inputs, perOperatorProfiling: true);
        Assert.Equal(3, session.Threads);
        Assert.True(session.PerOperatorProfiling);
        Assert.Equal(new Dictionary<string, long> { ["N"] = 2, ["H"] = 48, ["W"] = 192 }, session.DimensionValues);

        // The matcher on its own: fixed dimensions and ranks are checked, inputs without a shape skipped.
        IReadOnlyList<Dimension> declared = [Dimension.Symbolic("N"), Dimension.Fixed(3), Dimension.Unknown];
        Assert.Equal(new Dictionary<string, long> { ["N"] = 5 },
            InputShapeMatcher.Match("m", [("x", declared), ("y", null)], name => name == "x" ? [5L, 3, 7] : null));
        var e = Assert.Throws<LightNetException>(() => InputShapeMatcher.Match("m", [("x", declared)], _ => [5L, 2, 7]));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("[N, 3, ?]", e.Message);
    }
}

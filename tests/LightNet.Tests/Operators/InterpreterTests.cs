using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Profiling;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>Whole graphs on the cpu-simd interpreter: dynamic shapes, mixed operator groups, concurrency, profiles.</summary>
public class InterpreterTests
{
    private const TensorElementType F = TensorElementType.Float;

    /// <summary>
    /// A transformer-style text recognizer head: Conv over a [1, 3, 32, W] line image, height pooled away, LayerNorm
    /// decomposed into ReduceMean/Sub/Pow/Sqrt/Div as exporters write it, a projection and a softmax per column.
    /// </summary>
    private static Model TextRecognizer()
    {
        var r = new Random(3);
        float[] Rand(int n, float scale) => Enumerable.Range(0, n).Select(_ => ((r.NextSingle() * 2) - 1) * scale).ToArray();
        var b = new ModelBuilder("text_recognizer", 17);
        b.AddInput("x", F, [Dimension.Fixed(1), Dimension.Fixed(3), Dimension.Fixed(32), Dimension.Symbolic("width")]);
        b.AddInitializer(TensorData.FromFloats("w", [8, 3, 3, 3], Rand(216, 0.5f)));
        b.AddInitializer(TensorData.FromFloats("bias", [8], Rand(8, 0.1f)));
        b.AddInitializer(TensorData.FromInt64s("axis_h", [1], [2]));
        b.AddInitializer(TensorData.FromInt64s("axis_last", [1], [-1]));
        b.AddInitializer(TensorData.FromFloats("two", [], [2f]));
        b.AddInitializer(TensorData.FromFloats("eps", [], [1e-5f]));
        b.AddInitializer(TensorData.FromFloats("gamma", [8], Rand(8, 1f)));
        b.AddInitializer(TensorData.FromFloats("beta", [8], Rand(8, 0.1f)));
        b.AddInitializer(TensorData.FromFloats("proj", [8, 10], Rand(80, 0.5f)));
        b.AddNode("Conv", ["x", "w", "bias"], ["c"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddNode("Relu", ["c"], ["r"], "relu");
        b.AddNode("ReduceMean", ["r"], ["h"], "pool_h", NodeAttribute.Ints("axes", 2), NodeAttribute.Int("keepdims", 0));
        b.AddNode("Transpose", ["h"], ["t"], "to_sequence", NodeAttribute.Ints("perm", 0, 2, 1));
        b.AddNode("ReduceMean", ["t"], ["mean"], "ln_mean", NodeAttribute.Ints("axes", -1));
        b.AddNode("Sub", ["t", "mean"], ["d"], "ln_sub");
        b.AddNode("Pow", ["d", "two"], ["d2"], "ln_pow");
        b.AddNode("ReduceMean", ["d2"], ["var"], "ln_var", NodeAttribute.Ints("axes", -1));
        b.AddNode("Add", ["var", "eps"], ["ve"], "ln_add_eps");
        b.AddNode("Sqrt", ["ve"], ["std"], "ln_sqrt");
        b.AddNode("Div", ["d", "std"], ["n"], "ln_div");
        b.AddNode("Mul", ["n", "gamma"], ["g"], "ln_gamma");
        b.AddNode("Add", ["g", "beta"], ["ln"], "ln_beta");
        b.AddNode("MatMul", ["ln", "proj"], ["logits"], "proj");
        b.AddNode("Softmax", ["logits"], ["y"], "softmax", NodeAttribute.Int("axis", -1));
        b.AddOutput("y", F, [Dimension.Fixed(1), Dimension.Symbolic("width"), Dimension.Fixed(10)]);
        return b.Build();
    }

    [Fact]
    public void TextRecognizerRunsAtTwoWidthsInOneSessionLikeOnnxRuntime()
    {
        Model model = TextRecognizer();
        using IInferenceSession ours = Backend.Parse("cpu-simd:threads=1").CreateSession(model);
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var r = new Random(5);
        foreach (long width in new long[] { 192, 320 })
        {
            var inputs = new Dictionary<string, TensorBuffer> { ["x"] = OperatorOracle.Random(r, F, [1, 3, 32, width]) };
            float[] expected = ort.Run(inputs)["y"].ToFloatArray();
            TensorBuffer actual = ours.Run(inputs)["y"];
            Assert.Equal([1, width, 10], actual.Shape);
            float[] got = actual.ToFloatArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - got[i]) <= 1e-5 + (1e-4 * Math.Abs(expected[i])), $"width {width}: y[{i}] = {got[i]}, ONNX Runtime {expected[i]}");
            }
        }
    }

    [Fact]
    public void ConcurrentRunsGiveTheSameOutputsAsOneThread()
    {
        Model model = TextRecognizer();
        using IInferenceSession session = Backend.Parse("cpu-simd:threads=1").CreateSession(model);
        var inputs = new Dictionary<string, TensorBuffer> { ["x"] = OperatorOracle.Random(new Random(1), F, [1, 3, 32, 40]) };
        byte[] reference = session.Run(inputs)["y"].Bytes.ToArray();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            Assert.True(session.Run(inputs)["y"].Bytes.SequenceEqual(reference));
        });
    }

    [Fact]
    public void PerOperatorProfileNamesEveryNode()
    {
        Model model = TextRecognizer();
        using IInferenceSession session = Backend.Parse("cpu-simd:threads=1").CreateSession(model, new InferenceOptions { PerOperatorProfiling = true });
        var inputs = new Dictionary<string, TensorBuffer> { ["x"] = OperatorOracle.Random(new Random(1), F, [1, 3, 32, 24]) };
        for (int i = 0; i < 3; i++)
        {
            session.Run(inputs);
        }

        OperatorProfile profile = Assert.IsType<OperatorProfile>(session.CollectOperatorProfile(skipFirstRuns: 1));
        Assert.Equal(2, profile.Runs);
        Assert.Equal(model.Graph.Nodes.Count, profile.Nodes.Count);
        Assert.Contains(profile.Nodes, n => n.Name == "ln_pow" && n.OpType == "Pow");
        Assert.Contains(profile.ByOpType, t => t.OpType == "ReduceMean" && t.Nodes == 3);
    }

    [Fact]
    public void IntegerGraphInputsForShapesAndIndicesRunAtRunTime()
    {
        // Shapes and indices as graph inputs, not initializers: the interpreter reads them at each run.
        var b = new ModelBuilder("dynamic_inputs", 17);
        b.AddInput("x", F, 2, 3, 4);
        b.AddInput("shape", TensorElementType.Int64, 2);
        b.AddInput("idx", TensorElementType.Int64, 2);
        b.AddNode("Reshape", ["x", "shape"], ["r"], "reshape");
        b.AddNode("Gather", ["r", "idx"], ["y"], "gather", NodeAttribute.Int("axis", 1));
        b.AddOutput("y", F);
        Model model = b.Build();
        var inputs = new Dictionary<string, TensorBuffer>
        {
            ["x"] = OperatorOracle.Random(new Random(2), F, [2, 3, 4]),
            ["shape"] = Longs(6, 4),
            ["idx"] = Longs(3, -1),
        };
        OperatorOracle.AssertMatchesOrt(model, inputs);
        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model);
        Assert.Equal([6, 2], session.Run(inputs)["y"].Shape);
        inputs["shape"] = Longs(4, 6);
        Assert.Equal([4, 2], session.Run(inputs)["y"].Shape);
    }

    private static TensorBuffer Longs(params long[] values)
    {
        TensorBuffer t = TensorBuffer.Allocate(TensorElementType.Int64, [values.Length]);
        values.CopyTo(t.AsSpan<long>());
        return t;
    }
}

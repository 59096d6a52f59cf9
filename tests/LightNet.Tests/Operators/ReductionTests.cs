using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Operators.Interpreter;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// The Reduction operator group (reductions, arg-max/min, cumulative sums, TopK, softmax family, MatMul, Gemm,
/// Einsum, Det, losses) on the cpu-simd interpreter against ONNX Runtime, one-node models with seeded random shapes
/// and attributes.
/// </summary>
public class ReductionTests
{
    private static readonly string[] s_reductions =
        ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(18)]
    public void ReductionsMatchOnnxRuntime(int opset)
    {
        var random = new Random(opset);
        foreach (string op in s_reductions)
        {
            for (int trial = 0; trial < 3; trial++)
            {
                long[] dims = RandomDims(random, 1, 4, 1, 5);
                bool axesInput = opset >= (op == "ReduceSum" ? 13 : 18);
                List<long> axes = Enumerable.Range(0, dims.Length).Where(_ => random.Next(2) == 0)
                    .Select(a => random.Next(2) == 0 ? (long)a : a - dims.Length).ToList();
                int keep = random.Next(2);
                var b = new ModelBuilder($"{op}_{opset}_{trial}", opset);
                b.AddInput("x", TensorElementType.Float, dims);
                var attributes = new List<NodeAttribute> { NodeAttribute.Int("keepdims", keep) };
                var inputs = new List<string> { "x" };
                if (axesInput)
                {
                    if (axes.Count > 0 || random.Next(2) == 0)
                    {
                        b.AddInitializer(TensorData.FromInt64s("axes", [axes.Count], axes.ToArray()));
                        inputs.Add("axes");
                    }
                }
                else if (axes.Count > 0)
                {
                    attributes.Add(NodeAttribute.Ints("axes", axes.ToArray()));
                }

                b.AddNode(op, inputs, ["y"], "node", attributes.ToArray());
                b.AddOutput("y", TensorElementType.Float);
                bool positive = op == "ReduceLogSum";
                long length = dims.Aggregate(1L, (p, d) => p * d);
                Check(b, random, x => positive ? 0.05 + x.NextDouble() : (x.NextDouble() * 2) - 1, 1e-6 * length);
            }
        }
    }

    [Fact]
    public void ReductionsOfIntegersAndEmptyAxesMatchOnnxRuntime()
    {
        var random = new Random(3);
        foreach (string op in new[] { "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd" })
        {
            foreach (TensorElementType type in new[] { TensorElementType.Int32, TensorElementType.Int64 })
            {
                long[] dims = RandomDims(random, 2, 3, 1, 4);
                var b = new ModelBuilder($"{op}_{type}", 18);
                b.AddInput("x", type, dims);
                b.AddInitializer(TensorData.FromInt64s("axes", [1], [random.Next(dims.Length)]));
                b.AddNode(op, ["x", "axes"], ["y"], "node", NodeAttribute.Int("keepdims", random.Next(2)));
                b.AddOutput("y", type);
                Check(b, random, x => x.Next(-5, 6), 0);
            }
        }

        foreach (string op in s_reductions)
        {
            var b = new ModelBuilder($"{op}_noop", 18);
            b.AddInput("x", TensorElementType.Float, 2, 3);
            b.AddInitializer(TensorData.FromInt64s("axes", [0], []));
            b.AddNode(op, ["x", "axes"], ["y"], "node", NodeAttribute.Int("noop_with_empty_axes", 1));
            b.AddOutput("y", TensorElementType.Float);
            Check(b, random, x => 0.1 + x.NextDouble(), 1e-6);
        }
    }

    [Fact]
    public void ArgMaxAndArgMinMatchOnnxRuntime()
    {
        var random = new Random(5);
        foreach (string op in new[] { "ArgMax", "ArgMin" })
        {
            for (int trial = 0; trial < 4; trial++)
            {
                long[] dims = RandomDims(random, 1, 4, 1, 5);
                var b = new ModelBuilder($"{op}_{trial}", 13);
                b.AddInput("x", TensorElementType.Float, dims);
                b.AddNode(op, ["x"], ["y"], "node", NodeAttribute.Int("axis", random.Next(-dims.Length, dims.Length)),
                    NodeAttribute.Int("keepdims", random.Next(2)), NodeAttribute.Int("select_last_index", random.Next(2)));
                b.AddOutput("y", TensorElementType.Int64);
                Check(b, random, x => x.Next(3), 0);
            }
        }
    }

    [Fact]
    public void CumSumMatchesOnnxRuntime()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 6; trial++)
        {
            long[] dims = RandomDims(random, 1, 3, 1, 5);
            TensorElementType type = trial % 3 == 2 ? TensorElementType.Int32 : TensorElementType.Float;
            var b = new ModelBuilder($"cumsum_{trial}", 14);
            b.AddInput("x", type, dims);
            b.AddInitializer(TensorData.FromInt64s("axis", [], [random.Next(-dims.Length, dims.Length)]));
            b.AddNode("CumSum", ["x", "axis"], ["y"], "node", NodeAttribute.Int("exclusive", random.Next(2)), NodeAttribute.Int("reverse", random.Next(2)));
            b.AddOutput("y", type);
            Check(b, random, x => type == TensorElementType.Int32 ? x.Next(-9, 10) : (x.NextDouble() * 2) - 1, 1e-5);
        }
    }

    [Fact]
    public void TopKMatchesOnnxRuntime()
    {
        var random = new Random(9);
        for (int trial = 0; trial < 8; trial++)
        {
            // Long rows with a small k take the partial-selection path.
            bool longRows = trial >= 5;
            long[] dims = longRows ? [random.Next(1, 4), random.Next(30, 61)] : RandomDims(random, 1, 3, 1, 6);
            int axis = longRows ? -1 : random.Next(-dims.Length, dims.Length);
            long k = longRows ? random.Next(1, 9) : random.Next((int)dims[axis < 0 ? axis + dims.Length : axis] + 1);
            var b = new ModelBuilder($"topk_{trial}", 11);
            b.AddInput("x", TensorElementType.Float, dims);
            b.AddInitializer(TensorData.FromInt64s("k", [1], [k]));
            b.AddNode("TopK", ["x", "k"], ["values", "indices"], "node", NodeAttribute.Int("axis", axis), NodeAttribute.Int("largest", random.Next(2)));
            b.AddOutput("values", TensorElementType.Float);
            b.AddOutput("indices", TensorElementType.Int64);
            Check(b, random, x => x.Next(longRows ? 12 : 4), 0);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void SoftmaxFamilyMatchesOnnxRuntime(int opset)
    {
        var random = new Random(opset * 3);
        foreach (string op in new[] { "Softmax", "LogSoftmax", "Hardmax" })
        {
            for (int trial = 0; trial < 3; trial++)
            {
                long[] dims = RandomDims(random, 1, 4, 1, 5);
                var b = new ModelBuilder($"{op}_{opset}_{trial}", opset);
                b.AddInput("x", TensorElementType.Float, dims);
                b.AddNode(op, ["x"], ["y"], "node", NodeAttribute.Int("axis", random.Next(-dims.Length, dims.Length)));
                b.AddOutput("y", TensorElementType.Float);
                Check(b, random, x => op == "Hardmax" ? x.Next(4) : (x.NextDouble() * 20) - 10, 1e-5);
            }
        }
    }

    [Fact]
    public void MatMulMatchesOnnxRuntime()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 10; trial++)
        {
            long m = random.Next(1, 11), k = random.Next(1, 17), n = random.Next(1, 21);
            long[] batch = RandomDims(random, 0, 2, 1, 3);
            long[] aDims = random.Next(5) == 0 ? [k] : [.. batch.Select(d => random.Next(3) == 0 ? 1 : d), m, k];
            long[] bDims = random.Next(5) == 0 ? [k] : [.. batch.Skip(random.Next(batch.Length + 1)).Select(d => random.Next(3) == 0 ? 1 : d), k, n];
            TensorElementType type = trial % 4 == 3 ? TensorElementType.Int32 : TensorElementType.Float;
            var b = new ModelBuilder($"matmul_{trial}", 13);
            b.AddInput("a", type, aDims);
            b.AddInput("b", type, bDims);
            b.AddNode("MatMul", ["a", "b"], ["y"], "node");
            b.AddOutput("y", type);
            Check(b, random, x => type == TensorElementType.Int32 ? x.Next(-20, 21) : (x.NextDouble() * 2) - 1, 1e-6 * k);
        }
    }

    [Fact]
    public void GemmMatchesOnnxRuntime()
    {
        var random = new Random(13);
        for (int trial = 0; trial < 8; trial++)
        {
            long m = random.Next(1, 11), k = random.Next(1, 17), n = random.Next(1, 21);
            bool ta = random.Next(2) == 0, tb = random.Next(2) == 0;
            var b = new ModelBuilder($"gemm_{trial}", 13);
            long[] aDims = ta ? [k, m] : [m, k], bDims = tb ? [n, k] : [k, n];
            b.AddInput("a", TensorElementType.Float, aDims);
            b.AddInput("b", TensorElementType.Float, bDims);
            var inputs = new List<string> { "a", "b" };
            long[]?[] cShapes = [null, [n], [1, n], [m, 1], [m, n], []];
            long[]? cDims = cShapes[trial % cShapes.Length];
            if (cDims is not null)
            {
                b.AddInput("c", TensorElementType.Float, cDims);
                inputs.Add("c");
            }

            b.AddNode("Gemm", inputs, ["y"], "node", NodeAttribute.Int("transA", ta ? 1 : 0), NodeAttribute.Int("transB", tb ? 1 : 0),
                NodeAttribute.Float("alpha", (float)Math.Round((random.NextDouble() * 4) - 2, 2)), NodeAttribute.Float("beta", (float)Math.Round((random.NextDouble() * 4) - 2, 2)));
            b.AddOutput("y", TensorElementType.Float);
            Check(b, random, x => (x.NextDouble() * 2) - 1, 1e-5 * k);
        }
    }

    [Theory]
    [InlineData("ij,jk->ik", "3x4", "4x5")]
    [InlineData("bij,bjk->bik", "2x3x4", "2x4x5")]
    [InlineData("ij,jk", "3x4", "4x2")]
    [InlineData("ii->i", "4x4")]
    [InlineData("ii", "4x4")]
    [InlineData("ij->ji", "3x5")]
    [InlineData("i,i", "5", "5")]
    [InlineData("i,j->ij", "3", "4")]
    [InlineData("...ij,...jk->...ik", "2x3x4", "2x4x2")]
    [InlineData("...ij,...jk", "2x3x4", "2x4x2")]
    [InlineData("iij->ji", "3x3x2")]
    [InlineData("...ii->...i", "2x3x3")]
    [InlineData("ij,ij->ij", "2x3", "2x3")]
    [InlineData("ij,jk,kl->il", "2x3", "3x4", "4x2")]
    [InlineData("bhid,bhjd->bhij", "1x2x3x4", "1x2x5x4")]
    [InlineData("ijk->", "2x3x4")]
    [InlineData("ijk->ki", "2x3x4")]
    public void EinsumMatchesOnnxRuntime(string equation, params string[] shapes)
    {
        var random = new Random(equation.Length);
        var b = new ModelBuilder("einsum", 13);
        var names = new List<string>();
        for (int i = 0; i < shapes.Length; i++)
        {
            names.Add(b.AddInput($"x{i}", TensorElementType.Float, shapes[i].Split('x').Select(long.Parse).ToArray()));
        }

        b.AddNode("Einsum", names, ["y"], "node", NodeAttribute.String("equation", equation));
        b.AddOutput("y", TensorElementType.Float);
        Check(b, random, x => (x.NextDouble() * 2) - 1, 1e-5);
    }

    [Fact]
    public void DetMatchesOnnxRuntime()
    {
        var random = new Random(17);
        foreach (long[] dims in new long[][] { [3, 3], [2, 4, 4], [1, 1] })
        {
            var b = new ModelBuilder("det", 13);
            b.AddInput("x", TensorElementType.Float, dims);
            b.AddNode("Det", ["x"], ["y"], "node");
            b.AddOutput("y", TensorElementType.Float);
            Check(b, random, x => (x.NextDouble() * 2) - 1, 1e-5);
        }
    }

    [Theory]
    [InlineData("SoftmaxCrossEntropyLoss")]
    [InlineData("NegativeLogLikelihoodLoss")]
    public void LossesMatchOnnxRuntime(string op)
    {
        var random = new Random(op.Length);
        string[] reductions = ["none", "sum", "mean"];
        for (int trial = 0; trial < 6; trial++)
        {
            long n = random.Next(1, 4), c = random.Next(2, 6);
            long[] extra = RandomDims(random, 0, 2, 1, 3);
            long[] dims = [n, c, .. extra];
            long[] targetDims = [n, .. extra];
            bool weights = random.Next(2) == 0, ignore = trial % 2 == 1;
            long ignoreIndex = random.Next(2) == 0 ? -1 : random.Next((int)c);
            var b = new ModelBuilder($"{op}_{trial}", 13);
            b.AddInput("x", TensorElementType.Float, dims);
            int count = (int)targetDims.Aggregate(1L, (p, d) => p * d);
            long[] targets = Enumerable.Range(0, count).Select(_ => ignore && random.Next(3) == 0 ? ignoreIndex : random.Next((int)c)).ToArray();
            if (ignore && !targets.Any(t => t != ignoreIndex))
            {
                targets[0] = (ignoreIndex + 1) % c;
            }

            b.AddInitializer(TensorData.FromInt64s("t", targetDims, targets));
            var inputs = new List<string> { "x", "t" };
            if (weights)
            {
                b.AddInitializer(TensorData.FromFloats("w", [c], Enumerable.Range(0, (int)c).Select(_ => 0.2f + random.NextSingle()).ToArray()));
                inputs.Add("w");
            }

            var attributes = new List<NodeAttribute> { NodeAttribute.String("reduction", reductions[trial % 3]) };
            if (ignore)
            {
                attributes.Add(NodeAttribute.Int("ignore_index", ignoreIndex));
            }

            bool logProb = op == "SoftmaxCrossEntropyLoss" && random.Next(2) == 0;
            b.AddNode(op, inputs, logProb ? ["loss", "log_prob"] : ["loss"], "node", attributes.ToArray());
            b.AddOutput("loss", TensorElementType.Float);
            if (logProb)
            {
                b.AddOutput("log_prob", TensorElementType.Float);
            }

            Check(b, random, x => (x.NextDouble() * 4) - 2, 1e-5 * count);
        }
    }

    private static long[] RandomDims(Random random, int minRank, int maxRank, int minDim, int maxDim) =>
        Enumerable.Range(0, random.Next(minRank, maxRank + 1)).Select(_ => (long)random.Next(minDim, maxDim + 1)).ToArray();

    /// <summary>Runs the model on the interpreter and on ort-cpu with inputs drawn from <paramref name="value"/>; tolerance atol + 1e-4 * |expected|.</summary>
    private static void Check(ModelBuilder builder, Random random, Func<Random, double> value, double atol)
    {
        Model model = builder.Build();
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (TensorSpec spec in ours.Inputs)
        {
            long[] dims = spec.Shape.Select(d => d.Value ?? 1).ToArray();
            TensorBuffer t = TensorBuffer.Allocate(spec.ElementType, dims);
            for (int i = 0; i < t.ElementCount; i++)
            {
                double v = value(random);
                switch (spec.ElementType)
                {
                    case TensorElementType.Float: t.AsSpan<float>()[i] = (float)v; break;
                    case TensorElementType.Int32: t.AsSpan<int>()[i] = (int)v; break;
                    case TensorElementType.Int64: t.AsSpan<long>()[i] = (long)v; break;
                    default: throw new InvalidOperationException($"no generator for {spec.ElementType}");
                }
            }

            inputs[spec.Name] = t;
        }

        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(inputs), actual = ours.Run(inputs);
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            string where = $"{model.Graph.Name} ({string.Join(", ", inputs.Select(kv => kv.Value.ToString()))}), output '{name}'";
            Assert.True(e.ElementType == a.ElementType, $"{where}: {a.ElementType} vs {e.ElementType}");
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{where}: shape {a} vs {e}");
            if (e.ElementType != TensorElementType.Float)
            {
                Assert.True(e.Bytes.SequenceEqual(a.Bytes), $"{where}: integer values differ");
                continue;
            }

            float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
            for (int i = 0; i < ev.Length; i++)
            {
                bool ok = ev[i] == av[i] || (float.IsNaN(ev[i]) && float.IsNaN(av[i])) || Math.Abs(ev[i] - av[i]) <= atol + 1e-5 + (1e-4 * Math.Abs(ev[i]));
                Assert.True(ok, $"{where}[{i}]: {av[i]} on cpu-simd but {ev[i]} on ort-cpu");
            }
        }
    }
}

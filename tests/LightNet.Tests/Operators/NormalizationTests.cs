using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Operators.Interpreter;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// The Normalization group (normalizations, Dropout, Attention, RotaryEmbedding, RNN/GRU/LSTM) on the cpu-simd
/// interpreter against ONNX Runtime, with shapes and attributes drawn from seeds.
/// </summary>
public class NormalizationTests
{
    private sealed record In(string Name, TensorElementType Type, long[] Dims, TensorBuffer Value);

    private static TensorBuffer Rand(Random r, TensorElementType type, long[] dims, double lo = -1, double hi = 1)
    {
        TensorBuffer t = TensorBuffer.Allocate(type, dims);
        int n = (int)t.ElementCount;
        switch (type)
        {
            case TensorElementType.Float:
                Span<float> f = t.AsSpan<float>();
                for (int i = 0; i < n; i++) f[i] = (float)(lo + (r.NextDouble() * (hi - lo)));
                break;
            case TensorElementType.Float16:
                Span<Half> h = t.AsSpan<Half>();
                for (int i = 0; i < n; i++) h[i] = (Half)(lo + (r.NextDouble() * (hi - lo)));
                break;
            case TensorElementType.Bool:
                for (int i = 0; i < n; i++) t.Bytes[i] = (byte)(r.Next(4) == 0 ? 0 : 1);
                break;
            case TensorElementType.Int64:
                Span<long> l = t.AsSpan<long>();
                for (int i = 0; i < n; i++) l[i] = r.NextInt64((long)lo, (long)hi + 1);
                break;
            case TensorElementType.Int32:
                Span<int> i32 = t.AsSpan<int>();
                for (int i = 0; i < n; i++) i32[i] = r.Next((int)lo, (int)hi + 1);
                break;
            default:
                throw new ArgumentException($"No generator for {type}.");
        }

        return t;
    }

    private static In F(Random r, string name, params long[] dims) => new(name, TensorElementType.Float, dims, Rand(r, TensorElementType.Float, dims));

    private static In Positive(Random r, string name, params long[] dims) => new(name, TensorElementType.Float, dims, Rand(r, TensorElementType.Float, dims, 0.2, 2));

    private static In Of(string name, TensorBuffer t) => new(name, t.ElementType, t.Shape.ToArray(), t);

    /// <summary>Builds a one-node model (null inputs are omitted), runs it on both engines and compares every output.</summary>
    private static void Check(string op, long opset, In?[] inputs, (string Name, TensorElementType Type)[] outputs, double rtol, double atol,
        string context, params NodeAttribute[] attributes)
    {
        var b = new ModelBuilder(op.ToLowerInvariant() + "_test", opset);
        var feeds = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (In? i in inputs)
        {
            if (i is null)
            {
                names.Add("");
                continue;
            }

            names.Add(b.AddInput(i.Name, i.Type, i.Dims));
            feeds[i.Name] = i.Value;
        }

        while (names.Count > 0 && names[^1].Length == 0)
        {
            names.RemoveAt(names.Count - 1);
        }

        b.AddNode(op, names, outputs.Select(o => o.Name).ToArray(), "node", attributes);
        foreach ((string name, TensorElementType type) in outputs.Where(o => o.Name.Length > 0))
        {
            b.AddOutput(name, type);
        }

        Model model = b.Build();
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(feeds);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(feeds);
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.True(e.ElementType == a.ElementType, $"{context}: output '{name}' is {a.ElementType}, ONNX Runtime gives {e.ElementType}");
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{context}: output '{name}' has shape {Dimension.Format(a.Shape.ToArray())}, ONNX Runtime gives {Dimension.Format(e.Shape.ToArray())}");
            if (e.ElementType.IsFloatingPoint())
            {
                float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
                for (int i = 0; i < ev.Length; i++)
                {
                    bool same = (float.IsNaN(ev[i]) && float.IsNaN(av[i])) || ev[i] == av[i] || Math.Abs(ev[i] - av[i]) <= atol + (rtol * Math.Abs(ev[i]));
                    Assert.True(same, $"{context}: output '{name}'[{i}] is {av[i]}, ONNX Runtime gives {ev[i]}");
                }
            }
            else
            {
                Assert.True(e.Bytes.SequenceEqual(a.Bytes), $"{context}: output '{name}' differs from ONNX Runtime's");
            }
        }
    }

    private static long[] RandomDims(Random r, int rank, int max = 5)
    {
        var d = new long[rank];
        for (int i = 0; i < rank; i++) d[i] = r.Next(1, max + 1);
        return d;
    }

    private static NodeAttribute I(string name, long v) => NodeAttribute.Int(name, v);

    private static NodeAttribute Fl(string name, float v) => NodeAttribute.Float(name, v);

    private const TensorElementType Fp = TensorElementType.Float;

    [Fact]
    public void LayerRmsAndGroupNormalizationMatchOnnxRuntime()
    {
        for (int seed = 0; seed < 4; seed++)
        {
            var r = new Random(seed);
            int rank = r.Next(2, 5);
            long[] dims = RandomDims(r, rank);
            int axis = r.Next(-rank, rank);
            int a = axis < 0 ? axis + rank : axis;
            long[] norm = dims[a..];
            bool bias = seed % 2 == 0;
            string ctx = $"seed {seed}, X {Dimension.Format(dims)}, axis {axis}";
            Check("LayerNormalization", 17, [F(r, "x", dims), F(r, "s", norm), bias ? F(r, "b", norm) : null],
                [("y", Fp), ("mean", Fp), ("inv", Fp)], 1e-4, 1e-5, "LayerNormalization " + ctx, I("axis", axis), Fl("epsilon", 1e-3f));
            Check("RMSNormalization", 23, [F(r, "x", dims), F(r, "s", norm)], [("y", Fp)], 1e-4, 1e-5, "RMSNormalization " + ctx, I("axis", axis));

            long groups = r.Next(1, 4);
            long[] gd = [r.Next(1, 3), groups * r.Next(1, 3), r.Next(1, 5), r.Next(1, 4)];
            Check("GroupNormalization", 21, [F(r, "x", gd), F(r, "s", gd[1]), F(r, "b", gd[1])], [("y", Fp)], 1e-4, 1e-5,
                $"GroupNormalization seed {seed}, X {Dimension.Format(gd)}, groups {groups}", I("num_groups", groups));
        }
    }

    [Fact]
    public void Float16GroupNorm18AndBatchNormTrainingMatchOnnxRuntime()
    {
        var r = new Random(7);
        long[] dims = [2, 4, 3, 5];
        TensorElementType h = TensorElementType.Float16;
        In x16 = Of("x", Rand(r, h, dims));
        Check("LayerNormalization", 17, [x16, Of("s", Rand(r, h, [5])), Of("b", Rand(r, h, [5]))], [("y", h), ("mean", Fp), ("inv", Fp)],
            2e-3, 2e-3, "LayerNormalization float16");
        Check("GroupNormalization", 18, [F(r, "x", dims), F(r, "s", 2), F(r, "b", 2)], [("y", Fp)], 1e-4, 1e-5,
            "GroupNormalization opset 18 (per-group scale)", I("num_groups", 2));
        Check("BatchNormalization", 15, [F(r, "x", dims), F(r, "s", 4), F(r, "b", 4), F(r, "m", 4), Positive(r, "v", 4)],
            [("y", Fp), ("rm", Fp), ("rv", Fp)], 1e-4, 1e-5, "BatchNormalization training mode", I("training_mode", 1), Fl("momentum", 0.8f));
    }

    [Fact]
    public void BatchInstanceLpAndMeanVarianceNormalizationMatchOnnxRuntime()
    {
        for (int seed = 0; seed < 3; seed++)
        {
            var r = new Random(100 + seed);
            long[] dims = [r.Next(1, 3), r.Next(1, 4), r.Next(1, 5), r.Next(1, 5)];
            long c = dims[1];
            string ctx = $"seed {seed}, X {Dimension.Format(dims)}";
            Check("BatchNormalization", 15, [F(r, "x", dims), F(r, "s", c), F(r, "b", c), F(r, "m", c), Positive(r, "v", c)],
                [("y", Fp)], 1e-4, 1e-5, "BatchNormalization " + ctx, Fl("epsilon", 1e-4f));
            Check("InstanceNormalization", 22, [F(r, "x", dims), F(r, "s", c), F(r, "b", c)], [("y", Fp)], 1e-4, 1e-5, "InstanceNormalization " + ctx);
            Check("LpNormalization", 22, [F(r, "x", dims)], [("y", Fp)], 1e-4, 1e-5, "LpNormalization " + ctx,
                I("axis", r.Next(-4, 4)), I("p", 1 + (seed % 2)));
            Check("MeanVarianceNormalization", 13, [F(r, "x", dims)], [("y", Fp)], 1e-4, 1e-5, "MeanVarianceNormalization " + ctx,
                NodeAttribute.Ints("axes", seed == 0 ? [0, 2, 3] : [1, 3]));
            Check("Dropout", 13, [F(r, "x", dims)], [("y", Fp), ("mask", TensorElementType.Bool)], 0, 0, "Dropout " + ctx);
        }
    }

    [Fact]
    public void AttentionMatchesOnnxRuntime()
    {
        for (int seed = 0; seed < 6; seed++)
        {
            var r = new Random(200 + seed);
            int batch = r.Next(1, 3), kvHeads = r.Next(1, 3), qHeads = kvHeads * r.Next(1, 3), sq = r.Next(1, 5), skv = r.Next(1, 6);
            int d = 2 * r.Next(1, 4), dv = r.Next(1, 5);
            bool fourD = seed % 2 == 0, past = seed % 3 != 0, causal = seed % 3 == 1;

            // Causal masking with a query block shorter or longer than the new keys is aligned differently by
            // runtimes (the ONNX reference offsets by the past length); the usual case has one query per new key.
            skv = causal ? sq : skv;
            int pastLen = past ? r.Next(1, 4) : 0, total = pastLen + skv;
            In q = fourD ? F(r, "q", batch, qHeads, sq, d) : F(r, "q", batch, sq, qHeads * d);
            In k = fourD ? F(r, "k", batch, kvHeads, skv, d) : F(r, "k", batch, skv, kvHeads * d);
            In v = fourD ? F(r, "v", batch, kvHeads, skv, dv) : F(r, "v", batch, skv, kvHeads * dv);
            In? mask = seed switch
            {
                2 => Of("mask", Rand(r, TensorElementType.Bool, [sq, total])),
                3 or 4 => F(r, "mask", batch, 1, sq, total),
                _ => null,
            };
            var attrs = new List<NodeAttribute> { I("is_causal", causal ? 1 : 0) };
            if (!fourD)
            {
                attrs.Add(I("q_num_heads", qHeads));
                attrs.Add(I("kv_num_heads", kvHeads));
            }

            if (seed == 5)
            {
                attrs.Add(Fl("scale", 0.3f));
                attrs.Add(Fl("softcap", 2f));
            }

            In?[] inputs = [q, k, v, mask, past ? F(r, "pk", batch, kvHeads, pastLen, d) : null, past ? F(r, "pv", batch, kvHeads, pastLen, dv) : null];
            (string, TensorElementType)[] outputs = past ? [("y", Fp), ("present_k", Fp), ("present_v", Fp)] : [("y", Fp)];
            Check("Attention", 23, inputs, outputs, 1e-4, 1e-5,
                $"Attention seed {seed}: B {batch}, heads {qHeads}/{kvHeads}, Sq {sq}, Skv {skv}, past {pastLen}, D {d}/{dv}, {(fourD ? "4-D" : "3-D")}, causal {causal}",
                [.. attrs]);
        }
    }

    [Fact]
    public void RotaryEmbeddingMatchesOnnxRuntime()
    {
        for (int seed = 0; seed < 4; seed++)
        {
            var r = new Random(300 + seed);
            int batch = r.Next(1, 3), heads = r.Next(1, 3), seq = r.Next(1, 5), head = 2 * r.Next(1, 4);
            int rd = seed >= 2 ? head : 2 * r.Next(1, (head / 2) + 1);
            int maxPos = seq + 3;
            bool fourD = seed % 2 == 0;
            In x = fourD ? F(r, "x", batch, heads, seq, head) : F(r, "x", batch, seq, heads * head);
            In pos = Of("pos", Rand(r, TensorElementType.Int64, [batch, seq], 0, maxPos - 1));
            var attrs = new List<NodeAttribute> { I("interleaved", seed % 3 == 0 ? 1 : 0), I("rotary_embedding_dim", rd == head ? 0 : rd) };
            if (!fourD)
            {
                attrs.Add(I("num_heads", heads));
            }

            Check("RotaryEmbedding", 23, [x, F(r, "cos", maxPos, rd / 2), F(r, "sin", maxPos, rd / 2), pos], [("y", Fp)], 1e-4, 1e-5,
                $"RotaryEmbedding seed {seed}: x {Dimension.Format(x.Dims)}, rotary dim {rd}", [.. attrs]);
        }
    }

    [Fact]
    public void RecurrentOperatorsMatchOnnxRuntime()
    {
        string[] directions = ["forward", "reverse", "bidirectional"];
        for (int seed = 0; seed < 6; seed++)
        {
            var r = new Random(400 + seed);
            string op = (seed % 3) switch { 0 => "RNN", 1 => "GRU", _ => "LSTM" };
            int gates = op switch { "RNN" => 1, "GRU" => 3, _ => 4 };
            string direction = directions[(seed / 3 + seed) % 3];
            int dirs = direction == "bidirectional" ? 2 : 1;
            int seq = r.Next(1, 5), batch = r.Next(1, 4), input = r.Next(1, 5), hidden = r.Next(1, 5);
            // ONNX Runtime refuses layout = 1 (batch first); the conformance cases *_batchwise cover it.
            long[] xDims = [seq, batch, input];
            long[] stateDims = [dirs, batch, hidden];
            In lens = Of("lens", Rand(r, TensorElementType.Int32, [batch], 1, seq));
            var inputs = new List<In?>
            {
                F(r, "x", xDims), F(r, "w", dirs, gates * hidden, input), F(r, "r", dirs, gates * hidden, hidden),
                F(r, "b", dirs, 2 * gates * hidden), lens, F(r, "h0", stateDims),
            };
            var outputs = new List<(string, TensorElementType)> { ("y", Fp), ("yh", Fp) };
            var attrs = new List<NodeAttribute> { I("hidden_size", hidden), NodeAttribute.String("direction", direction), I("layout", 0) };
            if (op == "LSTM")
            {
                inputs.Add(F(r, "c0", stateDims));
                inputs.Add(F(r, "p", dirs, 3 * hidden));
                outputs.Add(("yc", Fp));
            }

            if (op == "GRU")
            {
                attrs.Add(I("linear_before_reset", seed % 2));
            }

            if (seed == 3)
            {
                attrs.Add(Fl("clip", 0.5f));
            }

            Check(op, 14, [.. inputs], [.. outputs], 1e-4, 1e-5,
                $"{op} seed {seed}: {direction}, X {Dimension.Format(xDims)}, hidden {hidden}", [.. attrs]);
        }
    }
}

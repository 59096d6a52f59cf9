using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Operators;
using LightNet.Operators.Interpreter;
using LightNet.Operators.Quantization;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// The Quantization group (Cast, CastLike, QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
/// ConvInteger, QLinearMatMul, QLinearConv) on the operator interpreter, checked against ONNX Runtime with seeded
/// shapes, attributes and values. Integer outputs must match exactly; float outputs within a tight tolerance.
/// </summary>
public class QuantizationTests
{
    private const TensorElementType F32 = TensorElementType.Float;
    private const TensorElementType F16 = TensorElementType.Float16;
    private const TensorElementType U8 = TensorElementType.UInt8;
    private const TensorElementType I8 = TensorElementType.Int8;
    private const TensorElementType I32 = TensorElementType.Int32;

    private static readonly TensorElementType[] s_numeric =
    [
        F32, TensorElementType.Double, F16, TensorElementType.BFloat16, I8, U8, TensorElementType.Int16,
        TensorElementType.UInt16, I32, TensorElementType.UInt32, TensorElementType.Int64, TensorElementType.UInt64,
        TensorElementType.Bool,
    ];

    // ---- harness -------------------------------------------------------------------------------------------------

    /// <summary>Runs the model on the interpreter and on ort-cpu and compares every output.</summary>
    private static void AssertMatchesOrt(Model model, Dictionary<string, TensorBuffer> inputs, double rtol = 1e-6, double atol = 1e-6)
    {
        using IInferenceSession ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(inputs);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(inputs);
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.True(e.ElementType == a.ElementType, $"{model.Graph.Name}: output '{name}' is {a.ElementType}, ort-cpu gives {e.ElementType}");
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{model.Graph.Name}: output '{name}' is {a}, ort-cpu gives {e}");
            double[]? ev = AsDoubles(e), av = AsDoubles(a);
            if (ev is null || av is null)
            {
                int first = e.Bytes.CommonPrefixLength(a.Bytes);
                Assert.True(first == e.ByteCount, $"{model.Graph.Name}: output '{name}' ({e.ElementType}) differs from ort-cpu at byte {first}");
                continue;
            }

            for (int i = 0; i < ev.Length; i++)
            {
                bool ok = (double.IsNaN(ev[i]) && double.IsNaN(av[i])) || ev[i] == av[i] || Math.Abs(ev[i] - av[i]) <= atol + (rtol * Math.Abs(ev[i]));
                Assert.True(ok, $"{model.Graph.Name}: output '{name}'[{i}] is {av[i]}, ort-cpu gives {ev[i]}");
            }
        }
    }

    private static double[]? AsDoubles(TensorBuffer t) => t.ElementType switch
    {
        F32 => t.AsSpan<float>().ToArray().Select(v => (double)v).ToArray(),
        TensorElementType.Double => t.AsSpan<double>().ToArray(),
        F16 => t.AsSpan<Half>().ToArray().Select(v => (double)v).ToArray(),
        TensorElementType.BFloat16 => t.AsSpan<ushort>().ToArray().Select(v => (double)BitConverter.Int32BitsToSingle(v << 16)).ToArray(),
        _ => null,
    };

    /// <summary>A tensor of <paramref name="type"/> from doubles (floats rounded, integers truncated and wrapped).</summary>
    private static TensorBuffer Buffer(TensorElementType type, long[] dims, double[] v)
    {
        TensorBuffer t = TensorBuffer.Allocate(type, dims);
        for (int i = 0; i < v.Length; i++)
        {
            switch (type)
            {
                case F32: t.AsSpan<float>()[i] = (float)v[i]; break;
                case TensorElementType.Double: t.AsSpan<double>()[i] = v[i]; break;
                case F16: t.AsSpan<Half>()[i] = (Half)v[i]; break;
                case TensorElementType.BFloat16: t.AsSpan<ushort>()[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)v[i]) >> 16); break;
                case TensorElementType.Bool: t.Bytes[i] = v[i] != 0 ? (byte)1 : (byte)0; break;
                case TensorElementType.UInt64: t.AsSpan<ulong>()[i] = v[i] < 0 ? unchecked((ulong)(long)v[i]) : (ulong)v[i]; break;
                default:
                    long l = (long)v[i];
                    Span<byte> bytes = MemoryMarshal.AsBytes(new Span<long>(ref l));
                    int size = type.SizeInBits() / 8;
                    bytes[..size].CopyTo(t.Bytes.Slice(i * size, size));
                    break;
            }
        }

        return t;
    }

    private static (double Min, double Max) Range(TensorElementType t) => t switch
    {
        I8 => (-128, 127),
        U8 => (0, 255),
        TensorElementType.Int16 => (-32768, 32767),
        TensorElementType.UInt16 => (0, 65535),
        I32 => (int.MinValue, int.MaxValue),
        TensorElementType.UInt32 => (0, uint.MaxValue),
        TensorElementType.Int64 => (-9e18, 9e18),
        TensorElementType.UInt64 => (0, 4.5e15),
        TensorElementType.Bool => (0, 1),
        _ => (-1000, 1000),
    };

    /// <summary>Uniform integers over the type's whole range (or [lo, hi]).</summary>
    private static double[] Integers(Random r, int n, TensorElementType t, double? lo = null, double? hi = null)
    {
        (double min, double max) = Range(t);
        min = lo ?? min;
        max = hi ?? max;
        return Enumerable.Range(0, n).Select(_ => Math.Floor(min + (r.NextDouble() * (max - min + 1)))).Select(v => Math.Min(v, max)).ToArray();
    }

    // The second operand of an integer product: INT8 codes of 7 bits where ONNX Runtime's kernels saturate
    // (EngineTestSupport.OrtInt8Saturates), the same number of draws either way.
    private static double[] Weights(Random r, int n, TensorElementType t) =>
        t == I8 && LightNet.Tests.Engine.EngineTestSupport.OrtInt8Saturates ? Integers(r, n, t, -64, 63) : Integers(r, n, t);

    private static double[] Uniform(Random r, int n, double lo, double hi) =>
        Enumerable.Range(0, n).Select(_ => lo + (r.NextDouble() * (hi - lo))).ToArray();

    private static long[] RandomDims(Random r, int rank, int max = 5) => Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, max + 1)).ToArray();

    private static int Count(long[] dims) => (int)dims.Aggregate(1L, (p, d) => p * d);

    private static TensorData Initializer(string name, TensorElementType type, long[] dims, double[] v)
    {
        TensorBuffer b = Buffer(type, dims, v);
        return TensorData.FromRawData(name, type, dims, b.Bytes.ToArray());
    }

    // ---- Cast ----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void CastBetweenEveryNumericTypeMatchesOrt(int seed)
    {
        var r = new Random(seed);
        var b = new ModelBuilder("cast_pairs", 21);
        var inputs = new Dictionary<string, TensorBuffer>();
        long[] dims = RandomDims(r, 2, 6);
        int n = Count(dims);
        foreach (TensorElementType from in s_numeric)
        {
            bool isFloat = from is F32 or TensorElementType.Double or F16 or TensorElementType.BFloat16;

            // Floats stay in [0, 127) so that every integer target holds their truncation (out-of-range is undefined).
            double[] v = isFloat ? Uniform(r, n, 0, 127) : Integers(r, n, from);
            if (isFloat)
            {
                v[0] = 0.5;
                v[1] = 126.99;
            }

            string x = b.AddInput($"x_{from}", from, dims);
            inputs[x] = Buffer(from, dims, v);
            foreach (TensorElementType to in s_numeric)
            {
                // ONNX Runtime's uint64 -> double conversion is off by ~1e-8 (relative); UInt64ToDoubleIsExact covers it.
                if (from == TensorElementType.UInt64 && to == TensorElementType.Double)
                {
                    continue;
                }

                string y = $"y_{from}_{to}";
                b.AddNode("Cast", [x], [y], null, NodeAttribute.Int("to", (long)to));
                b.AddOutput(y, to, dims);
            }
        }

        AssertMatchesOrt(b.Build(), inputs, rtol: 0, atol: 0);
    }

    [Fact]
    public void UInt64ToDoubleIsExact()
    {
        var b = new ModelBuilder("cast_u64", 13);
        string x = b.AddInput("x", TensorElementType.UInt64, 4);
        b.AddNode("Cast", [x], ["y"], null, NodeAttribute.Int("to", (long)TensorElementType.Double));
        b.AddOutput("y", TensorElementType.Double, 4);
        ulong[] v = [3590764726583296, ulong.MaxValue, 1UL << 63, 12345];
        TensorBuffer input = TensorBuffer.Allocate(TensorElementType.UInt64, [4]);
        v.CopyTo(input.AsSpan<ulong>());
        using var s = new InterpretedSession(Backend.Parse("cpu-simd"), b.Build(), InferenceOptions.Default, "test");
        Assert.Equal(v.Select(u => (double)u), s.Run(new Dictionary<string, TensorBuffer> { [x] = input })["y"].AsSpan<double>().ToArray());
    }

    [Fact]
    public void CastTruncatesNegativeFloatsTowardZero()
    {
        var b = new ModelBuilder("cast_negative", 13);
        long[] dims = [8];
        string x = b.AddInput("x", F32, dims);
        foreach (TensorElementType to in new[] { I8, TensorElementType.Int16, I32, TensorElementType.Int64 })
        {
            b.AddNode("Cast", [x], [$"y_{to}"], null, NodeAttribute.Int("to", (long)to));
            b.AddOutput($"y_{to}", to, dims);
        }

        AssertMatchesOrt(b.Build(), new() { [x] = Buffer(F32, dims, [-0.5, -1.5, -2.99, -100.7, 3.7, -0.0, 1e-9, -127.9]) }, 0, 0);
    }

    [Fact]
    public void CastThroughStringsMatchesOrt()
    {
        // Numbers become "%.8g" text and are read back: the round trip loses what ONNX Runtime's text loses.
        var r = new Random(5);
        var b = new ModelBuilder("cast_strings", 19);
        long[] dims = [24];
        var inputs = new Dictionary<string, TensorBuffer>();
        double[] floats = Uniform(r, 24, -1e3, 1e3);
        floats[0] = 1e-5;
        floats[1] = 123456789.123;
        floats[2] = double.PositiveInfinity;
        floats[3] = double.NegativeInfinity;
        floats[4] = double.NaN;
        floats[5] = 0.1;
        floats[6] = -0.0;
        floats[7] = 3.0e30;
        floats[8] = 1.0 / 3;
        foreach (TensorElementType t in new[] { F32, TensorElementType.Double, F16, TensorElementType.Int64, TensorElementType.UInt8, TensorElementType.Bool })
        {
            string x = b.AddInput($"x_{t}", t, dims);
            bool isFloat = t is F32 or TensorElementType.Double or F16;
            inputs[x] = Buffer(t, dims, isFloat ? floats : Integers(r, 24, t));
            b.AddNode("Cast", [x], [$"s_{t}"], null, NodeAttribute.Int("to", (long)TensorElementType.String));
            b.AddNode("Cast", [$"s_{t}"], [$"y_{t}"], null, NodeAttribute.Int("to", (long)(t == TensorElementType.Bool ? TensorElementType.Int32 : t)));
            b.AddOutput($"y_{t}", t == TensorElementType.Bool ? TensorElementType.Int32 : t, dims);
        }

        // Text to numbers: special values in any case, exponents, leading blanks, trailing text after a number.
        string[] text = ["1e-5", "INF", "-INF", "+INF", "inf", "NaN", "nan", " 3.25", "-0", "100.5", "1E8", "0.1", "7", "-2.5e-3x", "+12.75", "-1e+2"];
        b.AddInitializer(new TensorData("text", TensorElementType.String, [text.Length], ReadOnlyMemory<byte>.Empty, text));
        b.AddNode("Cast", ["text"], ["text_f"], null, NodeAttribute.Int("to", (long)F32));
        b.AddNode("Cast", ["text"], ["text_d"], null, NodeAttribute.Int("to", (long)TensorElementType.Double));
        b.AddNode("Cast", ["text"], ["text_h"], null, NodeAttribute.Int("to", (long)F16));
        b.AddOutput("text_f", F32, text.Length);
        b.AddOutput("text_d", TensorElementType.Double, text.Length);
        b.AddOutput("text_h", F16, text.Length);
        string[] ints = ["100", "-42", " 17", "+5", "2.718", "0", "-9223372036854775808", "9223372036854775807"];
        b.AddInitializer(new TensorData("ints", TensorElementType.String, [ints.Length], ReadOnlyMemory<byte>.Empty, ints));
        foreach (TensorElementType t in new[] { TensorElementType.Int64, I32, I8, U8, TensorElementType.UInt64 })
        {
            b.AddNode("Cast", ["ints"], [$"ints_{t}"], null, NodeAttribute.Int("to", (long)t));
            b.AddOutput($"ints_{t}", t, ints.Length);
        }

        AssertMatchesOrt(b.Build(), inputs, 0, 0);
    }

    [Fact]
    public void CastLikeAndOpset1StringTargetMatchOrt()
    {
        var r = new Random(8);
        long[] dims = [3, 4];
        double[] v = Uniform(r, 12, -50, 50);
        var like = new ModelBuilder("castlike", 15);
        string x = like.AddInput("x", F32, dims);
        like.AddInitializer(Initializer("target16", F16, [1], [0]));
        like.AddInitializer(Initializer("target64", TensorElementType.Int64, [1], [0]));
        like.AddNode("CastLike", [x, "target16"], ["h"], null);
        like.AddNode("CastLike", [x, "target64"], ["l"], null);
        like.AddOutput("h", F16, dims);
        like.AddOutput("l", TensorElementType.Int64, dims);
        AssertMatchesOrt(like.Build(), new() { [x] = Buffer(F32, dims, v) }, 0, 0);

        // Cast-1 names the target type in a string attribute (ModelBuilder and ONNX Runtime start at opset 7): check the values.
        var old = new ModelBuilder("cast1", 7);
        string y = old.AddInput("x", F32, dims);
        old.AddNode("Cast", [y], ["i"], null, NodeAttribute.String("to", "INT32"));
        old.AddOutput("i", I32, dims);
        using var s = new InterpretedSession(Backend.Parse("cpu-simd"), old.Build(), InferenceOptions.Default, "test");
        int[] got = s.Run(new Dictionary<string, TensorBuffer> { [y] = Buffer(F32, dims, v) })["i"].AsSpan<int>().ToArray();
        Assert.Equal(v.Select(d => (int)(float)d), got);
    }

    [Fact]
    public void CastToFloat8IsRefusedNamingTheType()
    {
        var b = new ModelBuilder("cast_f8", 21);
        string x = b.AddInput("x", F32, 4);
        b.AddNode("Cast", [x], ["y"], null, NodeAttribute.Int("to", 17));
        b.AddOutput("y", F32, 4);
        var e = Assert.Throws<LightNetException>(() => new InterpretedSession(Backend.Parse("cpu-simd"), b.Build(), InferenceOptions.Default, "test"));
        Assert.Equal(ErrorCode.UnsupportedOperator, e.Code);
        Assert.Contains("FLOAT8E4M3FN", e.Message);
    }

    [Fact]
    public void BitCastReinterpretsSameSizedElements()
    {
        // BitCast is an opset-26 operator, beyond what ModelBuilder and the interpreter accept: run its node directly.
        static OpTensor Run(OpTensor x, TensorElementType to)
        {
            var b = new ModelBuilder("bitcast", 23);
            string input = b.AddInput("x", x.Type, x.Dims);
            b.AddNode("BitCast", [input], ["y"], null, NodeAttribute.Int("to", (long)to));
            b.AddOutput("y", to, x.Dims);
            var ctx = new OpContext(b.Build().Graph.Nodes[0], 26, [x]);
            new BitCast().Execute(ctx);
            return (OpTensor)ctx.Outputs[0]!;
        }

        float[] f = [1f, -2.5f, float.NaN, 0f];
        Assert.Equal(f.Select(BitConverter.SingleToInt32Bits), Run(new OpTensor(F32, [2, 2], f), I32).Get<int>());
        Assert.Equal(new byte[] { 1, 0, 1 }, Run(new OpTensor(TensorElementType.Bool, [3], new[] { true, false, true }), U8).Get<byte>());
        Assert.Equal(new byte[] { 255, 128, 5 }, Run(new OpTensor(I8, [3], new sbyte[] { -1, -128, 5 }), U8).Get<byte>());
        Assert.Equal(new[] { 1.5 }, Run(new OpTensor(TensorElementType.Int64, [], new[] { BitConverter.DoubleToInt64Bits(1.5) }), TensorElementType.Double).Get<double>());
        var e = Assert.Throws<LightNetException>(() => Run(new OpTensor(F32, [1], new[] { 1f }), TensorElementType.Int64));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void BadParametersAndUnsupportedTypesAreReported()
    {
        // A blocked scale whose shape does not fit the blocks: a failure naming the shapes.
        var b = new ModelBuilder("bad_block", 21);
        string x = b.AddInput("x", F32, 4, 6);
        b.AddInitializer(Initializer("s", F32, [4, 2], [1, 1, 1, 1, 1, 1, 1, 1]));
        b.AddNode("QuantizeLinear", [x, "s"], ["y"], null, NodeAttribute.Int("axis", 1), NodeAttribute.Int("block_size", 2));
        b.AddOutput("y", U8, 4, 6);
        using var s = new InterpretedSession(Backend.Parse("cpu-simd"), b.Build(), InferenceOptions.Default, "test");
        var e = Assert.Throws<LightNetException>(() => s.Run(new Dictionary<string, TensorBuffer> { [x] = Buffer(F32, [4, 6], new double[24]) }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("[4, 2]", e.Message, StringComparison.Ordinal);

        // 4-bit outputs are refused when the model is prepared, naming the type.
        var q4 = new ModelBuilder("int4", 21);
        string x4 = q4.AddInput("x", F32, 4);
        q4.AddInitializer(Initializer("s", F32, [], [1]));
        q4.AddNode("QuantizeLinear", [x4, "s"], ["y"], null, NodeAttribute.Int("output_dtype", (long)TensorElementType.Int4));
        q4.AddOutput("y", U8, 4);
        var refused = Assert.Throws<LightNetException>(() => new InterpretedSession(Backend.Parse("cpu-simd"), q4.Build(), InferenceOptions.Default, "test"));
        Assert.Equal(ErrorCode.UnsupportedOperator, refused.Code);
        Assert.Contains("INT4", refused.Message, StringComparison.Ordinal);
    }

    // ---- QuantizeLinear / DequantizeLinear --------------------------------------------------------------------------

    /// <summary>Scale (and zero point) shapes for a per-tensor, per-axis or blocked case of an input.</summary>
    private static (long[] Dims, long Axis, long Block) ParameterShape(Random r, long[] x, int mode)
    {
        long axis = r.Next(-x.Length, x.Length);
        int a = (int)(axis < 0 ? axis + x.Length : axis);
        return mode switch
        {
            0 => (r.Next(2) == 0 ? [] : [1], axis, 0),
            1 => ([x[a]], axis, 0),
            _ => (x.Select((d, i) => i == a ? (d + 1) / 2 : d).ToArray(), axis, 2),
        };
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(13, 2)]
    [InlineData(19, 3)]
    [InlineData(21, 4)]
    [InlineData(21, 5)]
    [InlineData(23, 6)]
    public void QuantizeAndDequantizeMatchOrt(int opset, int seed)
    {
        var r = new Random(seed);
        TensorElementType[] types = opset >= 21 ? [U8, I8, TensorElementType.UInt16, TensorElementType.Int16] : [U8, I8];
        int modes = opset >= 21 ? 3 : opset >= 13 ? 2 : 1;
        var b = new ModelBuilder($"qdq_{opset}", opset);
        var inputs = new Dictionary<string, TensorBuffer>();
        for (int c = 0; c < 6; c++)
        {
            TensorElementType q = types[r.Next(types.Length)];
            TensorElementType f = opset >= 19 && r.Next(3) == 0 ? F16 : F32;
            long[] dims = RandomDims(r, r.Next(1, 5));
            (long[] sd, long axis, long block) = ParameterShape(r, dims, r.Next(modes));
            int n = Count(dims), ns = Count(sd);

            // Powers of two as scales make exact halves common, which must round to even; some values saturate.
            double[] scale = Enumerable.Range(0, ns).Select(_ => r.Next(3) == 0 ? Math.Pow(2, -r.Next(1, 5)) : 0.01 + (r.NextDouble() * 0.05)).ToArray();
            (double qlo, double qhi) = Range(q);
            double[] zp = Integers(r, ns, q, Math.Max(qlo, -100), Math.Min(qhi, 200));
            double span = q is U8 or I8 ? 3 : 600;
            double[] x = Uniform(r, n, -span, span).Select(v => r.Next(4) == 0 ? Math.Round(v * 8) / 8 : v).ToArray();
            bool withZp = r.Next(4) != 0;
            var attributes = new List<NodeAttribute>();
            if (opset >= 13)
            {
                attributes.Add(NodeAttribute.Int("axis", axis));
            }

            if (block > 0)
            {
                attributes.Add(NodeAttribute.Int("block_size", block));
            }

            if (!withZp && q != U8)
            {
                if (opset < 21)
                {
                    withZp = true;
                }
                else
                {
                    attributes.Add(NodeAttribute.Int("output_dtype", (long)q));
                }
            }

            string xi = b.AddInput($"x{c}", f, dims);
            inputs[xi] = Buffer(f, dims, x);
            b.AddInitializer(Initializer($"s{c}", f, sd, scale));
            b.AddInitializer(Initializer($"z{c}", q, sd, zp));
            b.AddNode("QuantizeLinear", [xi, $"s{c}", withZp ? $"z{c}" : ""], [$"q{c}"], null, [.. attributes]);
            b.AddOutput($"q{c}", q, dims);

            // Dequantize an independent integer input with the same parameters.
            string qi = b.AddInput($"qi{c}", q, dims);
            inputs[qi] = Buffer(q, dims, Integers(r, n, q));
            b.AddNode("DequantizeLinear", [qi, $"s{c}", withZp ? $"z{c}" : ""], [$"d{c}"], null,
                [.. attributes.Where(a => a.Name != "output_dtype")]);
            b.AddOutput($"d{c}", f, dims);
        }

        AssertMatchesOrt(b.Build(), inputs, rtol: 1e-6, atol: 0);
    }

    [Fact]
    public void DequantizeInt32MatchesOrt()
    {
        var r = new Random(3);
        var b = new ModelBuilder("dq_int32", 13);
        long[] dims = [4, 5];
        string x = b.AddInput("x", I32, dims);
        b.AddInitializer(Initializer("s", F32, [], [0.0123]));
        b.AddNode("DequantizeLinear", [x, "s"], ["y"], null);
        b.AddOutput("y", F32, dims);
        AssertMatchesOrt(b.Build(), new() { [x] = Buffer(I32, dims, Integers(r, 20, I32, -1e7, 1e7)) }, 1e-6, 0);
    }

    // ---- DynamicQuantizeLinear ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void DynamicQuantizeMatchesOrt(int mode)
    {
        var r = new Random(40 + mode);
        long[] dims = RandomDims(r, 3, 6);
        int n = Count(dims);
        double[] v = mode switch
        {
            0 => Uniform(r, n, -3, 5),
            1 => Uniform(r, n, 0.5, 2),
            2 => Uniform(r, n, -7, -1),
            _ => new double[n],
        };
        var b = new ModelBuilder("dql", 11);
        string x = b.AddInput("x", F32, dims);
        b.AddNode("DynamicQuantizeLinear", [x], ["y", "s", "z"], null);
        b.AddOutput("y", U8, dims);
        b.AddOutput("s", F32);
        b.AddOutput("z", U8);
        AssertMatchesOrt(b.Build(), new() { [x] = Buffer(F32, dims, v) }, 1e-7, 0);
    }

    // ---- MatMulInteger / QLinearMatMul --------------------------------------------------------------------------------

    private static (long[] A, long[] B) MatMulShapes(Random r)
    {
        long m = r.Next(1, 6), k = r.Next(1, 9), n = r.Next(1, 6);
        return r.Next(4) switch
        {
            0 => ([m, k], [k, n]),
            1 => ([2, m, k], [k, n]),
            2 => ([3, 1, m, k], [2, k, n]),
            _ => ([k], [k, n]),
        };
    }

    private static long[] PerColumn(long[] b) => b.Length == 2 ? [b[1]] : [.. b[..^2], 1, b[^1]];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatMulIntegerMatchesOrt(int seed)
    {
        var r = new Random(seed);
        var b = new ModelBuilder("mmi", 13);
        var inputs = new Dictionary<string, TensorBuffer>();
        for (int c = 0; c < 5; c++)
        {
            (long[] ad, long[] bd) = MatMulShapes(r);
            TensorElementType ta = r.Next(2) == 0 ? U8 : I8, tb = r.Next(2) == 0 ? U8 : I8;
            string a = b.AddInput($"a{c}", ta, ad), bb = b.AddInput($"b{c}", tb, bd);
            inputs[a] = Buffer(ta, ad, Integers(r, Count(ad), ta));
            inputs[bb] = Buffer(tb, bd, Weights(r, Count(bd), tb));
            b.AddInitializer(Initializer($"za{c}", ta, [], Integers(r, 1, ta)));
            long[] zbDims = r.Next(2) == 0 ? [] : PerColumn(bd);
            b.AddInitializer(Initializer($"zb{c}", tb, zbDims, Integers(r, Count(zbDims), tb)));
            bool zps = r.Next(3) != 0;
            b.AddNode("MatMulInteger", zps ? [a, bb, $"za{c}", $"zb{c}"] : [a, bb], [$"y{c}"], null);
            b.AddOutput($"y{c}", I32);
        }

        AssertMatchesOrt(b.Build(), inputs, 0, 0);
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(21, 2)]
    [InlineData(21, 3)]
    public void QLinearMatMulMatchesOrt(int opset, int seed)
    {
        var r = new Random(seed);
        var b = new ModelBuilder("qlmm", opset);
        var inputs = new Dictionary<string, TensorBuffer>();
        for (int c = 0; c < 4; c++)
        {
            (long[] ad, long[] bd) = MatMulShapes(r);
            TensorElementType t = r.Next(2) == 0 ? U8 : I8;
            string a = b.AddInput($"a{c}", t, ad), bb = b.AddInput($"b{c}", t, bd);
            inputs[a] = Buffer(t, ad, Integers(r, Count(ad), t));
            inputs[bb] = Buffer(t, bd, Integers(r, Count(bd), t));
            long[] sbDims = r.Next(2) == 0 ? [] : PerColumn(bd);
            b.AddInitializer(Initializer($"sa{c}", F32, [], [0.02 + (r.NextDouble() * 0.05)]));
            b.AddInitializer(Initializer($"za{c}", t, [], Integers(r, 1, t, -20, 20)));
            b.AddInitializer(Initializer($"sb{c}", F32, sbDims, Uniform(r, Count(sbDims), 0.01, 0.05)));
            b.AddInitializer(Initializer($"zb{c}", t, sbDims, Integers(r, Count(sbDims), t, -20, 20)));
            b.AddInitializer(Initializer($"sy{c}", F32, [], [0.05 + (r.NextDouble() * 0.2)]));
            b.AddInitializer(Initializer($"zy{c}", t, [], Integers(r, 1, t, -10, 10)));
            b.AddNode("QLinearMatMul", [a, $"sa{c}", $"za{c}", bb, $"sb{c}", $"zb{c}", $"sy{c}", $"zy{c}"], [$"y{c}"], null);
            b.AddOutput($"y{c}", t);
        }

        AssertMatchesOrt(b.Build(), inputs, 0, 0);
    }

    // ---- ConvInteger / QLinearConv -------------------------------------------------------------------------------------

    /// <summary>Random convolution shapes and attributes: 1-D or 2-D, strides, dilations, pads or auto_pad, groups.</summary>
    private static (long[] X, long[] W, NodeAttribute[] Attributes) ConvCase(Random r)
    {
        int rank = r.Next(1, 3);
        long group = r.Next(1, 3), cpg = r.Next(1, 3), mpg = r.Next(1, 3);
        long[] spatial = Enumerable.Range(0, rank).Select(_ => (long)r.Next(4, 9)).ToArray();
        long[] kernel = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 4)).ToArray();
        var attributes = new List<NodeAttribute>
        {
            NodeAttribute.Ints("strides", Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 3)).ToArray()),
            NodeAttribute.Int("group", group),
        };
        int padding = r.Next(3);
        if (padding != 1)
        {
            // ONNX Runtime refuses dilations with SAME padding.
            attributes.Add(NodeAttribute.Ints("dilations", Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 3)).ToArray()));
        }

        if (padding == 0)
        {
            attributes.Add(NodeAttribute.Ints("pads", Enumerable.Range(0, 2 * rank).Select(_ => (long)r.Next(0, 2)).ToArray()));
        }
        else if (padding == 1)
        {
            attributes.Add(NodeAttribute.String("auto_pad", r.Next(2) == 0 ? "SAME_UPPER" : "SAME_LOWER"));
        }

        return ([r.Next(1, 3), group * cpg, .. spatial], [group * mpg, cpg, .. kernel], attributes.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ConvIntegerMatchesOrt(int seed)
    {
        var r = new Random(seed);
        var b = new ModelBuilder("convint", 13);
        var inputs = new Dictionary<string, TensorBuffer>();
        for (int c = 0; c < 4; c++)
        {
            (long[] xd, long[] wd, NodeAttribute[] attributes) = ConvCase(r);
            string x = b.AddInput($"x{c}", U8, xd);
            inputs[x] = Buffer(U8, xd, Integers(r, Count(xd), U8));
            b.AddInitializer(Initializer($"w{c}", U8, wd, Integers(r, Count(wd), U8)));
            b.AddInitializer(Initializer($"zx{c}", U8, [], Integers(r, 1, U8)));
            b.AddInitializer(Initializer($"zw{c}", U8, [], Integers(r, 1, U8)));
            b.AddNode("ConvInteger", r.Next(3) == 0 ? [x, $"w{c}"] : [x, $"w{c}", $"zx{c}", $"zw{c}"], [$"y{c}"], null, attributes);
            b.AddOutput($"y{c}", I32);
        }

        AssertMatchesOrt(b.Build(), inputs, 0, 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void QLinearConvMatchesOrt(int seed)
    {
        var r = new Random(seed);
        var b = new ModelBuilder("qlconv", 13);
        var inputs = new Dictionary<string, TensorBuffer>();
        for (int c = 0; c < 4; c++)
        {
            (long[] xd, long[] wd, NodeAttribute[] attributes) = ConvCase(r);
            TensorElementType t = r.Next(2) == 0 ? U8 : I8;
            long maps = wd[0];
            long[] perChannel = r.Next(2) == 0 ? [] : [maps];
            string x = b.AddInput($"x{c}", t, xd);
            inputs[x] = Buffer(t, xd, Integers(r, Count(xd), t));
            b.AddInitializer(Initializer($"xs{c}", F32, [], [0.01 + (r.NextDouble() * 0.05)]));
            b.AddInitializer(Initializer($"xz{c}", t, [], Integers(r, 1, t, -20, 20)));
            b.AddInitializer(Initializer($"w{c}", I8, wd, Weights(r, Count(wd), I8)));
            b.AddInitializer(Initializer($"ws{c}", F32, perChannel, Uniform(r, Count(perChannel), 0.005, 0.03)));
            b.AddInitializer(Initializer($"wz{c}", I8, perChannel, new double[Count(perChannel)]));
            b.AddInitializer(Initializer($"ys{c}", F32, [], [0.05 + (r.NextDouble() * 0.3)]));
            b.AddInitializer(Initializer($"yz{c}", t, [], Integers(r, 1, t, -10, 10)));
            b.AddInitializer(Initializer($"bias{c}", I32, [maps], Integers(r, (int)maps, I32, -2000, 2000)));
            string[] ins = [x, $"xs{c}", $"xz{c}", $"w{c}", $"ws{c}", $"wz{c}", $"ys{c}", $"yz{c}"];
            b.AddNode("QLinearConv", r.Next(2) == 0 ? ins : [.. ins, $"bias{c}"], [$"y{c}"], null, attributes);
            b.AddOutput($"y{c}", t);
        }

        AssertMatchesOrt(b.Build(), inputs, 0, 0);
    }
}

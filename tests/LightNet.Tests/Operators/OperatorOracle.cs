using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Operators.Interpreter;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// Runs a model on the cpu-simd interpreter and on ONNX Runtime (the oracle) with the same inputs and compares
/// every output: floats by allclose with a tolerance that may scale with the reduction length, integers and bools exactly.
/// </summary>
internal static class OperatorOracle
{
    /// <summary>A random tensor of any numeric or bool type: floats uniform in [lo, hi), integers in [lo, hi].</summary>
    public static TensorBuffer Random(Random random, TensorElementType type, long[] dims, double lo = -1, double hi = 1)
    {
        TensorBuffer t = TensorBuffer.Allocate(type, dims);
        int n = (int)t.ElementCount;
        switch (type)
        {
            case TensorElementType.Float:
                Span<float> f = t.AsSpan<float>();
                for (int i = 0; i < n; i++) f[i] = (float)(lo + (random.NextDouble() * (hi - lo)));
                break;
            case TensorElementType.Double:
                Span<double> d = t.AsSpan<double>();
                for (int i = 0; i < n; i++) d[i] = lo + (random.NextDouble() * (hi - lo));
                break;
            case TensorElementType.Float16:
                Span<Half> h = t.AsSpan<Half>();
                for (int i = 0; i < n; i++) h[i] = (Half)(lo + (random.NextDouble() * (hi - lo)));
                break;
            case TensorElementType.Int64:
                Span<long> l = t.AsSpan<long>();
                for (int i = 0; i < n; i++) l[i] = random.NextInt64((long)lo, (long)hi + 1);
                break;
            case TensorElementType.Int32:
                Span<int> i32 = t.AsSpan<int>();
                for (int i = 0; i < n; i++) i32[i] = random.Next((int)lo, (int)hi + 1);
                break;
            case TensorElementType.Bool:
                Span<byte> b = t.Bytes;
                for (int i = 0; i < n; i++) b[i] = (byte)random.Next(2);
                break;
            case TensorElementType.UInt8:
                Span<byte> u8 = t.Bytes;
                for (int i = 0; i < n; i++) u8[i] = (byte)random.Next((int)Math.Max(lo, 0), (int)Math.Min(hi, 255) + 1);
                break;
            case TensorElementType.Int8:
                Span<sbyte> s8 = t.AsSpan<sbyte>();
                for (int i = 0; i < n; i++) s8[i] = (sbyte)random.Next((int)Math.Max(lo, -128), (int)Math.Min(hi, 127) + 1);
                break;
            default:
                throw new ArgumentException($"No random generator for {type}.");
        }

        return t;
    }

    /// <summary>Runs both and asserts agreement; returns the interpreter's outputs.</summary>
    public static IReadOnlyDictionary<string, TensorBuffer> AssertMatchesOrt(Model model, IReadOnlyDictionary<string, TensorBuffer> inputs,
        double rtol = 1e-4, double atol = 1e-5, string? context = null)
    {
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(inputs);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(inputs);
        string what = context ?? model.Graph.Name;
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.True(e.ElementType == a.ElementType, $"{what}: output '{name}' is {a.ElementType}, ONNX Runtime gives {e.ElementType}");
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{what}: output '{name}' has shape {Dimension.Format(a.Shape)}, ONNX Runtime gives {Dimension.Format(e.Shape)}");
            if (e.ElementType.IsFloatingPoint())
            {
                float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
                for (int i = 0; i < ev.Length; i++)
                {
                    bool same = (float.IsNaN(ev[i]) && float.IsNaN(av[i])) || ev[i] == av[i] || Math.Abs(ev[i] - av[i]) <= atol + (rtol * Math.Abs(ev[i]));
                    Assert.True(same, $"{what}: output '{name}'[{i}] is {av[i]}, ONNX Runtime gives {ev[i]}");
                }
            }
            else
            {
                Assert.True(e.Bytes.SequenceEqual(a.Bytes), $"{what}: output '{name}' differs from ONNX Runtime's ({a.ElementType})");
            }
        }

        return actual;
    }

    /// <summary>A one-node model: inputs given by type and shape, constant inputs as initializers, outputs typed.</summary>
    public static Model OneNode(string opType, long opset, (string Name, TensorElementType Type, long[] Dims)[] inputs,
        (string Name, TensorElementType Type)[] outputs, params NodeAttribute[] attributes) =>
        OneNode(opType, opset, inputs, [], outputs, attributes);

    public static Model OneNode(string opType, long opset, (string Name, TensorElementType Type, long[] Dims)[] inputs, TensorData[] initializers,
        (string Name, TensorElementType Type)[] outputs, params NodeAttribute[] attributes)
    {
        var b = new ModelBuilder(opType.ToLowerInvariant() + "_test", opset);
        var names = new List<string>();
        foreach (var (name, type, dims) in inputs)
        {
            names.Add(name.Length == 0 ? "" : b.AddInput(name, type, dims));
        }

        foreach (TensorData t in initializers)
        {
            names.Add(b.AddInitializer(t));
        }

        b.AddNode(opType, names, outputs.Select(o => o.Name).ToArray(), "node", attributes);
        foreach (var (name, type) in outputs)
        {
            b.AddOutput(name, type);
        }

        return b.Build();
    }
}

using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>A 64-byte-aligned native float buffer for driving kernels in tests.</summary>
internal sealed unsafe class OpBuffer : IDisposable
{
    public OpBuffer(int count)
    {
        Length = count;
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(count, 1) * sizeof(float), 64);
        Span.Clear();
    }

    public OpBuffer(float[] values)
        : this(values.Length) => values.CopyTo(Span);

    public float* Pointer { get; private set; }

    public int Length { get; }

    public Span<float> Span => new(Pointer, Length);

    public float[] ToArray() => Span.ToArray();

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}

/// <summary>Random data, tolerance checks and one-node ONNX Runtime runs shared by the op-kernel tests.</summary>
internal static class OpTest
{
    public static float[] Random(Random rng, int count, float scale = 2f)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        }

        return v;
    }

    public static int Count(ReadOnlySpan<int> dims)
    {
        int n = 1;
        foreach (int d in dims)
        {
            n *= d;
        }

        return n;
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float rtol = 1e-5f, float atol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsInfinity(e))
            {
                Assert.True(e.Equals(a), $"{what} [{i}]: expected {e}, got {a}");
                continue;
            }

            float tol = atol + (rtol * MathF.Abs(e));
            Assert.True(MathF.Abs(e - a) <= tol, $"{what} [{i}]: expected {e}, got {a} (tolerance {tol})");
        }
    }

    public static long[] Long(ReadOnlySpan<int> dims) => dims.ToArray().Select(d => (long)d).ToArray();

    /// <summary>Runs a one-node model on ort-cpu: one float input "x", one float output "y".</summary>
    public static float[] Ort(string op, float[] x, int[] xDims, long opset = 17, Action<ModelBuilder>? initializers = null,
        string[]? extraInputs = null, params NodeAttribute[] attributes) =>
        OrtRun(op, x, xDims, opset, initializers, extraInputs, attributes).AsSpan<float>().ToArray();

    /// <summary>Output dims of the same one-node model as run by ORT.</summary>
    public static int[] OrtDims(string op, float[] x, int[] xDims, long opset = 17, Action<ModelBuilder>? initializers = null,
        string[]? extraInputs = null, params NodeAttribute[] attributes) =>
        OrtRun(op, x, xDims, opset, initializers, extraInputs, attributes).Shape.Select(d => (int)d).ToArray();

    private static TensorBuffer OrtRun(string op, float[] x, int[] xDims, long opset, Action<ModelBuilder>? initializers, string[]? extraInputs, NodeAttribute[] attributes)
    {
        var b = new ModelBuilder("one_" + op, opset);
        b.AddInput("x", TensorElementType.Float, Long(xDims));
        initializers?.Invoke(b);
        b.AddNode(op, ["x", .. extraInputs ?? []], ["y"], "node", attributes);
        b.AddOutput("y", TensorElementType.Float);
        using IInferenceSession session = Backend.Parse("ort-cpu").CreateSession(b.Build(), new InferenceOptions { Threads = 1 });
        return session.Run(new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats(x, Long(xDims)) })["y"];
    }
}

/// <summary>Plain scalar twins of the op kernels, written from the ONNX spec with explicit index arithmetic.</summary>
internal static class OpReference
{
    public static int[] Strides(int[] dims)
    {
        var s = new int[dims.Length];
        int acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= dims[i];
        }

        return s;
    }

    public static int[] Unravel(int index, int[] dims)
    {
        var idx = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            idx[d] = index % dims[d];
            index /= dims[d];
        }

        return idx;
    }

    public static int Ravel(int[] idx, int[] dims)
    {
        int off = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            off = (off * dims[d]) + idx[d];
        }

        return off;
    }
}

using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Engine;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>Shared helpers for the cpu-simd tests: seeded inputs and an ONNX Runtime comparison.</summary>
internal static class EngineTestSupport
{
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-4;

    /// <summary>
    /// Whether ONNX Runtime's u8×s8 kernels saturate on this CPU: on x86 without VNNI (Zen 3, Skylake) MLAS multiplies with
    /// <c>vpmaddubsw</c>, which clamps a pair of products at 32,767, so full-range 8-bit weights can come out wrong by more
    /// than a quantization step (an INT8 MobileNetV2: cosine 0.967 against exact integer sums). 7-bit weights cannot
    /// saturate (what ONNX Runtime's <c>reduce_range</c> and <see cref="LightNet.Compression.QuantizationOptions.ReduceRange"/>
    /// are for): tests that compare integer results with ONNX Runtime draw their weights from −64..63 here.
    /// </summary>
    public static bool OrtInt8Saturates { get; } =
        System.Runtime.Intrinsics.X86.Avx2.IsSupported && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported
        && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0).Ecx & (1 << 11)) == 0; // AVX512_VNNI

    /// <summary>The compiled session of a cpu-simd session (unwrapping the fallback wrapper of a deferred-compile session).</summary>
    public static CpuSimdSession CompiledSession(IInferenceSession session) => session switch
    {
        CpuSimdSession s => s,
        CpuSimdFallbackSession f => f.Compiled,
        _ => throw new Xunit.Sdk.XunitException($"Expected a compiled cpu-simd session, got {session.GetType().Name}."),
    };

    /// <summary>Uniform values in [-1, 1) for every input, from a seed.</summary>
    public static Dictionary<string, TensorBuffer> RandomInputs(IInferenceSession session, int seed)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (TensorSpec spec in session.Inputs)
        {
            long[] dims = spec.Shape.Select(d => d.Value ?? 1).ToArray();
            TensorBuffer t = TensorBuffer.Allocate(spec.ElementType, dims);
            if (spec.ElementType == TensorElementType.Float16)
            {
                Span<Half> h = t.AsSpan<Half>();
                for (int i = 0; i < h.Length; i++) h[i] = (Half)((random.NextSingle() * 2) - 1);
            }
            else
            {
                Span<float> f = t.AsSpan<float>();
                for (int i = 0; i < f.Length; i++) f[i] = (random.NextSingle() * 2) - 1;
            }

            inputs[spec.Name] = t;
        }

        return inputs;
    }

    /// <summary>
    /// Runs <paramref name="model"/> on cpu-simd and on ort-cpu with the same seeded inputs and asserts that every
    /// output agrees within rtol/atol and that the arg-max of each row agrees. Returns the largest error seen.
    /// </summary>
    public static double AssertMatchesOrt(Model model, string backend = "cpu-simd", int threads = 2, int seed = 11,
        double rtol = RelativeTolerance, double atol = AbsoluteTolerance, GraphOptimization reference = GraphOptimization.All)
    {
        using IInferenceSession ours = Backend.Parse(backend).CreateSession(model, new InferenceOptions { Threads = threads });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = threads, GraphOptimization = reference });
        Dictionary<string, TensorBuffer> inputs = RandomInputs(ours, seed);
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(inputs);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(inputs);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double worst = 0;
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.Equal(e.ElementType, a.ElementType);
            Assert.Equal(e.Shape, a.Shape);
            float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
            for (int i = 0; i < ev.Length; i++)
            {
                double err = Math.Abs((double)ev[i] - av[i]);
                worst = Math.Max(worst, err);
                if (!(err <= atol + (rtol * Math.Abs(ev[i]))))
                {
                    Assert.Fail($"{model.Graph.Name}: output '{name}'[{i}] is {av[i]} on {backend} but {ev[i]} on ort-cpu (|Δ| = {err:G3}).");
                }
            }

            int rowLength = (int)e.Shape[^1];
            for (int row = 0; rowLength > 1 && row < ev.Length / rowLength; row++)
            {
                ReadOnlySpan<float> er = ev.AsSpan(row * rowLength, rowLength);
                int top = ArgMax(er);
                float runnerUp = float.NegativeInfinity;
                for (int i = 0; i < er.Length; i++)
                {
                    if (i != top) runnerUp = Math.Max(runnerUp, er[i]);
                }

                // A top-2 tie within the tolerance may flip either way; anything clearer must agree.
                if (er[top] - runnerUp > 2 * (atol + (rtol * Math.Abs(er[top]))))
                {
                    Assert.Equal(top, ArgMax(av.AsSpan(row * rowLength, rowLength)));
                }
            }
        }

        return worst;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best]) best = i;
        }

        return best;
    }
}

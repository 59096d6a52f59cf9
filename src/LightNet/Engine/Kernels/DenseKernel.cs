using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A fully connected layer y[rows, outF] = act(x[rows, inF] · Wᵀ + bias + residual), prepared once (weights copied
/// into aligned memory). One row: a GEMV that streams the weights once, four output features at a time, parallel
/// over output blocks. More rows: the packed GEMM with x packed as A and W read as a transposed B.
/// </summary>
internal sealed unsafe class DenseKernel : IDisposable, IParallelWork
{
    private const int GemvBlock = 16;
    private readonly GemmBuffer _weights;
    private readonly GemmBuffer _bias;
    private readonly Activation _activation;
    private readonly bool _residual;
    private readonly int _threads;
    private readonly Isa _isa;
    private readonly GemmWork _gemm;
    private float* _x, _y, _res;

    private DenseKernel(ReadOnlySpan<float> weights, int outFeatures, int inFeatures, ReadOnlySpan<float> bias, Activation activation, bool residual, Isa isa, int threads)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        _activation = activation;
        _residual = residual;
        _threads = threads;
        _isa = isa;
        _weights = new GemmBuffer((long)outFeatures * inFeatures);
        weights.CopyTo(new Span<float>(_weights.Pointer, outFeatures * inFeatures));
        _bias = new GemmBuffer(outFeatures);
        bias.CopyTo(new Span<float>(_bias.Pointer, outFeatures));
        _gemm = new GemmWork(GemmConfig.For(isa), 1, outFeatures, inFeatures, threads) { Activation = activation };
    }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>The algorithm for <paramref name="rows"/> rows ("gemv-avx2" or "gemm-avx2").</summary>
    public string Algorithm(int rows) => (rows == 1 ? "gemv-" : "gemm-") + IsaSupport.Name(_isa);

    /// <summary>Exact multiply-accumulates for <paramref name="rows"/> rows.</summary>
    public long Macs(int rows) => (long)rows * OutFeatures * InFeatures;

    /// <summary>Prepares a dense layer.</summary>
    /// <exception cref="LightNetException">Invalid sizes, weight or bias length, or thread count.</exception>
    public static DenseKernel Create(ReadOnlySpan<float> weights, int outFeatures, int inFeatures, ReadOnlySpan<float> bias,
        Activation activation, bool residual, Isa isa, int threads)
    {
        if (outFeatures < 1 || inFeatures < 1 || threads < 1)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Gemm: invalid sizes (out {outFeatures}, in {inFeatures}, threads {threads}).");
        }

        if (weights.Length != (long)outFeatures * inFeatures)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Gemm: weights have {weights.Length} values, expected {outFeatures}×{inFeatures}.");
        }

        if (bias.Length != 0 && bias.Length != outFeatures)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Gemm: bias has {bias.Length} values, expected {outFeatures}.");
        }

        return new DenseKernel(weights, outFeatures, inFeatures, bias, activation, residual, isa, threads);
    }

    /// <summary>Per-run scratch bytes for <paramref name="rows"/> rows (all threads), a multiple of 64.</summary>
    public long ScratchBytes(int rows) => rows <= 1 ? 0
        : GemmConfig.Align64(_gemm.Config.PackedASize(rows, InFeatures) * sizeof(float)) + (_gemm.ScratchBytesPerThread * _threads);

    /// <summary>Runs y = act(x·Wᵀ + bias + residual); residual [rows, outF] may alias y, x must not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, int rows, float* y, float* residual, byte* scratch, WorkerPool pool)
    {
        if (pool.Threads > _threads || (residual != null) != _residual || rows < 1)
        {
            throw new InvalidOperationException($"DenseKernel prepared for {_threads} threads (residual: {_residual}) was run with {pool.Threads} threads, {rows} rows (residual: {residual != null}).");
        }

        if (rows == 1)
        {
            _x = x;
            _y = y;
            _res = residual;
            pool.Run(this, (OutFeatures + GemvBlock - 1) / GemvBlock);
            return;
        }

        var cfg = _gemm.Config;
        float* packedA = (float*)scratch;
        GemmWork.PackA(cfg, x, InFeatures, 1, rows, InFeatures, 1f, packedA);
        _gemm.Configure(rows, OutFeatures, InFeatures);
        _gemm.A = packedA;
        _gemm.B = GemmBSource.Dense(_weights.Pointer, InFeatures, true);
        _gemm.C = y;
        _gemm.Ldc = OutFeatures;
        _gemm.ColBias = _bias.Pointer;
        _gemm.Residual = residual;
        _gemm.Ldr = OutFeatures;
        _gemm.Scratch = scratch + GemmConfig.Align64(cfg.PackedASize(rows, InFeatures) * sizeof(float));
        pool.Run(_gemm, _gemm.Items, _gemm.Chunks);
    }

    /// <summary>GEMV over output blocks [begin, end) of <see cref="GemvBlock"/> features.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        // Dots go to a stack block first: the residual may alias y.
        float* dots = stackalloc float[GemvBlock];
        for (int blk = begin; blk < end; blk++)
        {
            int o0 = blk * GemvBlock, count = Math.Min(GemvBlock, OutFeatures - o0);
            int j = 0;
            for (; j + 4 <= count; j += 4)
            {
                Dot4(o0 + j, dots + j);
            }

            for (; j < count; j++)
            {
                dots[j] = Dot(_weights.Pointer + ((long)(o0 + j) * InFeatures));
            }

            for (j = 0; j < count; j++)
            {
                int o = o0 + j;
                float v = dots[j] + _bias.Pointer[o];
                if (_res != null)
                {
                    v += _res[o];
                }

                _y[o] = _activation.Apply(v);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dot4(int o, float* dst)
    {
        int n = InFeatures;
        float* w0 = _weights.Pointer + ((long)o * n), w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        float* x = _x;
        int i = 0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;

        // The weights stream from memory (MobileNetV3's classifier 10 MB, its gates' 1×1 convolutions up to 0.9 MB
        // each), too briefly per row for the hardware prefetcher: the next call's four rows (the 4·n floats after these)
        // are prefetched a line at a time as these are read. Per operator, MobileNetV3 on Zen 3 (AVX2): 240→960 gate
        // 102 → 60 µs, 168→672 53 → 28, classifier 366 / 352 → 305 / 323 µs; the model 1.12–1.13 → 1.08–1.10 of ONNX
        // Runtime's time. (The AVX-512 and Vector128 loops prefetch the same way, not measured there; Arm has no prefetch.)
        float* next = w3 + n;
        if (_isa == Isa.Avx512 && Vector512.IsHardwareAccelerated)
        {
            // Whole 64-byte lines per load: one load per line of the four weight rows streaming from memory.
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 16; i += 16)
            {
                Sse.Prefetch0(next + (4 * i));
                Sse.Prefetch0(next + (4 * i) + 16);
                Sse.Prefetch0(next + (4 * i) + 32);
                Sse.Prefetch0(next + (4 * i) + 48);
                var xv = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xv, a3);
            }

            s0 = Vector512.Sum(a0);
            s1 = Vector512.Sum(a1);
            s2 = Vector512.Sum(a2);
            s3 = Vector512.Sum(a3);
        }
        else if (_isa is Isa.Avx2 or Isa.Avx512)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 8; i += 8)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(next + (4 * i));
                    Sse.Prefetch0(next + (4 * i) + 16);
                }

                var xv = Vector256.Load(x + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + i), xv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + i), xv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + i), xv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + i), xv, a3);
            }

            s0 = Vector256.Sum(a0);
            s1 = Vector256.Sum(a1);
            s2 = Vector256.Sum(a2);
            s3 = Vector256.Sum(a3);
        }
        else if (_isa == Isa.Vector128)
        {
            Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 4; i += 4)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(next + (4 * i));
                }

                var xv = Vector128.Load(x + i);
                a0 += Vector128.Load(w0 + i) * xv;
                a1 += Vector128.Load(w1 + i) * xv;
                a2 += Vector128.Load(w2 + i) * xv;
                a3 += Vector128.Load(w3 + i) * xv;
            }

            s0 = Vector128.Sum(a0);
            s1 = Vector128.Sum(a1);
            s2 = Vector128.Sum(a2);
            s3 = Vector128.Sum(a3);
        }

        for (; i < n; i++)
        {
            float xi = x[i];
            s0 += w0[i] * xi;
            s1 += w1[i] * xi;
            s2 += w2[i] * xi;
            s3 += w3[i] * xi;
        }

        dst[0] = s0;
        dst[1] = s1;
        dst[2] = s2;
        dst[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Dot(float* w)
    {
        float s = 0f;
        for (int i = 0; i < InFeatures; i++)
        {
            s += w[i] * _x[i];
        }

        return s;
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        _weights.Dispose();
        _bias.Dispose();
    }
}

using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A depthwise convolution and the 1×1 convolution that is its only reader (MobileNet's depthwise → projection, and the
/// depthwise → 1×1 pair of every MobileNetV1 block), run band by band on planar tensors: each thread computes a band of
/// output rows of every channel of the depthwise layer into its own buffer (kept in L2), then the 1×1 GEMM of that band
/// from the buffer straight into the output's rows. The depthwise output never goes to memory, and the GEMM packs its
/// B panels from L2 instead of from a map several times the size of L2. Bias and activation of both layers, and a
/// residual of the 1×1 one, are fused as in the separate kernels; the depthwise values are the same bits, the 1×1 sums
/// may differ in the last place where a band's last column panel takes another of the GEMM's tail kernels.
/// </summary>
internal sealed unsafe class ConvDepthwisePointwise : IParallelWork, IDisposable
{
    private readonly ConvDepthwise _depthwise;
    private readonly GemmBuffer _dwBias;
    private readonly GemmBuffer _packed;
    private readonly GemmBuffer _pwBias;
    private readonly GemmWork[] _gemms; // one single-threaded GEMM per thread: each band is one thread's
    private readonly Conv2dShape _dw;
    private readonly int _m, _k, _ow, _threads;
    private readonly long _bufferBytes, _dwScratchBytes;
    private float* _input, _output, _residual;
    private byte* _scratch;

    /// <summary>
    /// Bytes of one band's depthwise output (all channels): small enough to stay in a 512 KiB L2 beside the GEMM's
    /// packed panels and the next band's input rows.
    /// </summary>
    internal const long BandBufferBytes = 128 * 1024;

    private ConvDepthwisePointwise(in Conv2dShape dw, ReadOnlySpan<float> dwWeights, ReadOnlySpan<float> dwBias, Activation dwActivation,
        in Conv2dShape pw, ReadOnlySpan<float> pwWeights, ReadOnlySpan<float> pwBias, Activation pwActivation, Isa isa, int threads)
    {
        _dw = dw;
        _m = pw.OutChannels;
        _k = pw.InChannels;
        _ow = dw.OutWidth;
        _threads = threads;
        _dwBias = new GemmBuffer(dw.OutChannels); // zeroed: an empty bias (validated: empty or one per channel) leaves it so
        dwBias.CopyTo(new Span<float>(_dwBias.Pointer, dw.OutChannels));
        long rowBytes = (long)dw.OutChannels * dw.OutWidth * sizeof(float);
        int bandRows = (int)Math.Clamp(BandBufferBytes / rowBytes, 2, dw.OutHeight);
        _depthwise = new ConvDepthwise(dw, dwWeights, _dwBias.Pointer, dwActivation, false, isa, default, bandRows);
        _bufferBytes = GemmConfig.Align64((long)_depthwise.MaxBandRows * dw.OutWidth * dw.OutChannels * sizeof(float));
        _dwScratchBytes = GemmConfig.Align64(_depthwise.ScratchBytesPerThread);

        var cfg = GemmConfig.For(isa, _m);
        _packed = new GemmBuffer(cfg.PackedASize(_m, _k));
        fixed (float* w = pwWeights)
        {
            GemmWork.PackA(cfg, w, _k, 1, _m, _k, 1f, _packed.Pointer);
        }

        _pwBias = new GemmBuffer(_m);
        pwBias.CopyTo(new Span<float>(_pwBias.Pointer, _m));
        _gemms = new GemmWork[threads];
        for (int t = 0; t < threads; t++)
        {
            _gemms[t] = new GemmWork(cfg, _m, _depthwise.MaxBandRows * _ow, _k, 1) { Activation = pwActivation };
        }

        Algorithm = $"{_depthwise.Algorithm}+gemm-1x1-{IsaSupport.Name(isa)}";
        Macs = dw.Macs + pw.Macs;
    }

    /// <summary>The two kernels' names, joined by '+' ("depthwise-3x3-blocked-avx2+gemm-1x1-avx2").</summary>
    public string Algorithm { get; }

    /// <summary>Multiply-accumulates of one image, both layers.</summary>
    public long Macs { get; }

    /// <summary>Per-thread scratch: the depthwise kernel's, the band buffer and the GEMM's packed panels.</summary>
    public long ScratchBytesPerThread => _dwScratchBytes + _bufferBytes + GemmConfig.Align64(_gemms[0].ScratchBytesPerThread);

    /// <summary>Scratch for all threads, a multiple of 64 bytes.</summary>
    public long ScratchBytes => ScratchBytesPerThread * _threads;

    /// <summary>
    /// The least depthwise output (bytes, one image) a plan fuses: twice a 512 KiB L2. MobileNetV2 per operator, one
    /// thread, AMD EPYC Zen 1 (pair fused against the two kernels): 112×112×32 1.63 → 1.25 ms, 56×56×96 1.57 → 1.34,
    /// 56×56×144 1.63 → 1.39; but 28×28×144–192 (0.45–0.6 MB) 0.50 → 0.53, and 14×14 and 7×7 up to 2× slower, the
    /// bands then re-reading the 1×1 layer's weights (0.2–0.6 MB) once each.
    /// </summary>
    internal const long MinDepthwiseOutputBytes = 768 * 1024;

    /// <summary>
    /// Whether the pair runs fused on <paramref name="isa"/>: a depthwise layer with a clamp or hard activation the store
    /// fuses and no residual, on the channel tiles or the direct rows (<see cref="ConvDepthwise.Bands"/>), with at least
    /// two output rows and <see cref="MinDepthwiseOutputBytes"/> of output, and a 1×1 convolution of its whole output.
    /// </summary>
    public static bool Supports(in Conv2dShape dw, Activation dwActivation, in Conv2dShape pw, Isa isa)
    {
        if (!dw.IsDepthwise || !pw.IsPointwise || pw.Groups != 1 || pw.InChannels != dw.OutChannels || pw.InHeight != dw.OutHeight
            || pw.InWidth != dw.OutWidth || dw.OutHeight < 2 || isa == Isa.Scalar || !FusedActivation.TryCreate(dwActivation, out _)
            || (long)dw.OutChannels * dw.OutHeight * dw.OutWidth * sizeof(float) < MinDepthwiseOutputBytes)
        {
            return false;
        }

        return ConvDepthwise.DirectRowsFit(dw, IsaSupport.VectorLanes(isa)) || ConvDepthwise.TakesTiles(dw, isa);
    }

    /// <summary>Prepares the pair; throws where <see cref="Supports"/> does not hold or the weights do not fit the shapes.</summary>
    /// <exception cref="LightNetException">An unsupported pair, or weights or biases of the wrong length.</exception>
    public static ConvDepthwisePointwise Create(in Conv2dShape dw, ReadOnlySpan<float> dwWeights, ReadOnlySpan<float> dwBias, Activation dwActivation,
        in Conv2dShape pw, ReadOnlySpan<float> pwWeights, ReadOnlySpan<float> pwBias, Activation pwActivation, Isa isa, int threads)
    {
        dw.ValidateParameters("Conv", dwWeights.Length, (long)dw.OutChannels * dw.KernelHeight * dw.KernelWidth, dwBias.Length, threads);
        pw.ValidateParameters("Conv", pwWeights.Length, (long)pw.OutChannels * pw.InChannels, pwBias.Length, threads);
        if (!Supports(dw, dwActivation, pw, isa))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: no fused depthwise → 1×1 kernel on {IsaSupport.Name(isa)} for {dw} ({dwActivation.Kind}) then {pw}.");
        }

        var kernel = new ConvDepthwisePointwise(dw, dwWeights, dwBias, dwActivation, pw, pwWeights, pwBias, pwActivation, isa, threads);
        if (kernel._depthwise.Bands == 0)
        {
            kernel.Dispose();
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Conv: the depthwise layer {dw} computes no bands.");
        }

        return kernel;
    }

    /// <summary>
    /// Runs one image: output[M, OH, OW] = act₂(W₂ · act₁(depthwise(input)) + bias₂ + residual). <paramref name="residual"/>
    /// may alias <paramref name="output"/>; the input must not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        if (pool.Threads > _threads)
        {
            throw new InvalidOperationException($"ConvDepthwisePointwise prepared for {_threads} threads was run with {pool.Threads}.");
        }

        _input = input;
        _output = output;
        _residual = residual;
        _scratch = scratch;
        pool.Run(this, _depthwise.Bands);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        byte* mine = _scratch + (threadIndex * ScratchBytesPerThread);
        float* buffer = (float*)(mine + _dwScratchBytes);
        GemmWork gemm = _gemms[threadIndex];
        long outPlane = (long)_dw.OutHeight * _ow;
        for (int band = begin; band < end; band++)
        {
            (int first, int rows) = _depthwise.Band(band);
            int pixels = rows * _ow;
            _depthwise.ComputeBand(_input, buffer, pixels, band, mine);

            long at = (long)first * _ow;
            gemm.Configure(_m, pixels, _k);
            gemm.A = _packed.Pointer;
            gemm.B = GemmBSource.Dense(buffer, pixels, false);
            gemm.C = _output + at;
            gemm.Ldc = (nint)outPlane;
            gemm.RowBias = _pwBias.Pointer;
            gemm.Residual = _residual != null ? _residual + at : null;
            gemm.Ldr = (nint)outPlane;
            gemm.Scratch = mine + _dwScratchBytes + _bufferBytes;
            gemm.Execute(0, gemm.Items, 0);
        }
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        _depthwise.Dispose();
        _packed.Dispose();
        _pwBias.Dispose();
        _dwBias.Dispose();
    }
}

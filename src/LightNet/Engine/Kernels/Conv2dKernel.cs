using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>
/// The static shape of one 2-D convolution of one image (NCHW). Pad bottom/right are implied by
/// <see cref="OutHeight"/>/<see cref="OutWidth"/>.
/// </summary>
internal readonly record struct Conv2dShape(
    int InChannels, int InHeight, int InWidth, int OutChannels, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth,
    int PadTop, int PadLeft, int Groups)
{
    /// <summary>Multiply-accumulates of one image.</summary>
    public long Macs => (long)OutChannels * OutHeight * OutWidth * (InChannels / Math.Max(Groups, 1)) * KernelHeight * KernelWidth;

    /// <summary>Whether this is a depthwise convolution with channel multiplier 1.</summary>
    public bool IsDepthwise => Groups > 1 && Groups == InChannels && Groups == OutChannels;

    /// <summary>Whether this is a 1×1, stride-1, unpadded convolution whose output grid equals its input grid.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
        && PadTop == 0 && PadLeft == 0 && OutHeight == InHeight && OutWidth == InWidth;

    /// <summary>
    /// The output columns [Lo, Hi) whose input column ox·StrideWidth + kx·DilationWidth − PadLeft lies inside the input
    /// for kernel column <paramref name="kx"/>: the ones an im2col row copies; the rest are padding.
    /// </summary>
    public (int Lo, int Hi) InsideColumns(int kx)
    {
        int offset = (kx * DilationWidth) - PadLeft;
        int lo = Math.Clamp((-offset + StrideWidth - 1) / StrideWidth, 0, OutWidth);
        return (lo, Math.Clamp((InWidth - offset + StrideWidth - 1) / StrideWidth, lo, OutWidth));
    }

    /// <summary>Validates the shape, the weight count (<paramref name="expectedWeights"/>), the bias and the thread count.</summary>
    /// <exception cref="LightNetException">Any of them is wrong.</exception>
    public void ValidateParameters(string op, int weights, long expectedWeights, int bias, int threads)
    {
        Validate(op);
        if (weights != expectedWeights)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"{op}: weights have {weights} values, the shape {this} needs {expectedWeights}.");
        }

        if (bias != 0 && bias != OutChannels)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"{op}: bias has {bias} values, expected {OutChannels}.");
        }

        if (threads < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{op}: thread count must be positive (got {threads}).");
        }
    }

    /// <summary>Throws when a dimension is out of range or the channels do not divide into the groups.</summary>
    /// <exception cref="LightNetException">The shape is invalid (<see cref="ErrorCode.InvalidShape"/>).</exception>
    public void Validate(string op)
    {
        bool ok = InChannels > 0 && InHeight > 0 && InWidth > 0 && OutChannels > 0 && OutHeight > 0 && OutWidth > 0
            && KernelHeight > 0 && KernelWidth > 0 && StrideHeight > 0 && StrideWidth > 0 && DilationHeight > 0
            && DilationWidth > 0 && PadTop >= 0 && PadLeft >= 0 && Groups > 0
            && InChannels % Groups == 0 && OutChannels % Groups == 0;
        if (!ok)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"{op}: invalid shape {this}.");
        }
    }
}

/// <summary>Which algorithm a dense convolution uses: chosen by shape, or forced (kernel benchmarks and tests).</summary>
internal enum ConvAlgorithm
{
    /// <summary>By shape (<see cref="Conv2dKernel"/>'s rules).</summary>
    Auto,

    /// <summary>Implicit im2col + GEMM (or the 1×1 GEMM).</summary>
    Im2Col,

    /// <summary>Winograd F(4×4, 3×3) (<see cref="Winograd3x3"/>); only for shapes it supports.</summary>
    Winograd,

    /// <summary>Winograd F(2×2, 3×3) (<see cref="Winograd3x3"/> with 2×2 tiles); only for shapes it supports.</summary>
    Winograd2x2,

    /// <summary>im2col and the channel-blocked 1×1 kernel (<see cref="ConvIm2ColBlocked"/>); AVX-512 and AVX2, one group.</summary>
    Im2ColBlocked,

    /// <summary>The channel-blocked 1×1 kernel reading the taps from a padded blocked input (<see cref="ConvIm2ColBlocked"/>, direct); AVX-512 and AVX2, one group.</summary>
    DirectBlocked,

    /// <summary>The direct kernel of few-channel stems on phase-split planes (<see cref="ConvStemDirect"/>); AVX2, planar, shapes it supports.</summary>
    StemDirect,
}

/// <summary>
/// A 2-D convolution prepared once (weights prepacked for the GEMM micro-kernel of the chosen ISA):
/// 1×1 stride 1 → GEMM on the input directly (a GEMV, <see cref="DenseKernel"/>, on a 1×1 map); depthwise →
/// <see cref="ConvDepthwise"/>; dense 3×3 stride 1 on a large enough map → Winograd F(4×4, 3×3)
/// (<see cref="Winograd3x3"/>, rule in <see cref="PrefersWinograd"/>); whole channel blocks on AVX-512/AVX2 → the
/// channel-blocked kernels of <see cref="ConvIm2ColBlocked"/>, direct on wide rows (<see cref="PrefersDirectBlocked"/>)
/// or through a blocked im2col on small maps (<see cref="PrefersIm2ColBlocked"/>); few-channel stems on planar AVX2
/// plans → <see cref="ConvStemDirect"/> (<see cref="ConvStemDirect.Prefers"/>); otherwise implicit
/// im2col packed straight into the GEMM's B panels, one GEMM per group. Bias, residual and activation are fused
/// into the store.
/// </summary>
internal sealed unsafe class Conv2dKernel : IDisposable
{
    private readonly Conv2dShape _shape;
    private readonly bool _residual;
    private readonly int _threads;
    private readonly GemmBuffer? _packed;
    private readonly GemmBuffer _bias;
    private readonly GemmWork? _gemm;
    private readonly ConvDepthwise? _depthwise;
    private readonly DenseKernel? _gemv;
    private readonly Winograd3x3? _winograd;
    private readonly ConvPointwiseBlocked? _pointwiseBlocked;
    private readonly ConvIm2ColBlocked? _im2colBlocked;
    private readonly ConvStemDirect? _stem;
    private readonly long _packedGroupStride;

    private Conv2dKernel(in Conv2dShape shape, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation, bool residual, Isa isa, int threads,
        ConvAlgorithm algorithm, ConvLayout layout)
    {
        _shape = shape;
        _residual = residual;
        _threads = threads;
        Macs = shape.Macs;
        _bias = new GemmBuffer(shape.OutChannels);
        bias.CopyTo(new Span<float>(_bias.Pointer, shape.OutChannels));
        bool pointwiseBlocked = shape.IsPointwise && !shape.IsDepthwise && shape.Groups == 1 && layout.OutputBlocked;
        // A forced blocked kernel takes a blocked layout where Auto would not plan one (AVX2 on 16 registers: tests, benchmarks).
        bool denseBlocked = layout.AnyBlocked && (TakesBlocked(shape, activation, isa, layout.InputBlocked)
            || (algorithm is ConvAlgorithm.Im2ColBlocked or ConvAlgorithm.DirectBlocked && !shape.IsPointwise && ConvIm2ColBlocked.Supports(shape, activation, ConvLayout.LanesFor(isa))));
        if (layout.AnyBlocked && (layout.Lanes != ConvLayout.LanesFor(isa) || !(shape.IsDepthwise || pointwiseBlocked || denseBlocked)))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: no {(layout.InputBlocked ? "blocked" : "planar")}-to-{(layout.OutputBlocked ? "blocked" : "planar")} kernel with {layout.Lanes} lanes on {IsaSupport.Name(isa)} for {shape}.");
        }

        if (pointwiseBlocked)
        {
            _pointwiseBlocked = new ConvPointwiseBlocked(shape, weights, bias, activation, layout.Lanes, threads, planarInput: !layout.InputBlocked);
            Algorithm = _pointwiseBlocked.Algorithm;
            return;
        }

        if (shape.IsDepthwise)
        {
            _depthwise = new ConvDepthwise(shape, weights, _bias.Pointer, activation, residual, isa, layout, threads: threads);
            Algorithm = _depthwise.Algorithm;
            ScratchBytes = _depthwise.ScratchBytesPerThread * threads;
            return;
        }

        if (shape.IsPointwise && shape.Groups == 1 && shape.OutHeight * shape.OutWidth == 1)
        {
            // A 1×1 convolution of a 1×1 map (squeeze-and-excitation) is a matrix-vector product: the GEMV streams the
            // weights once instead of packing a one-column B panel and computing a tile 32 columns wide.
            _gemv = DenseKernel.Create(weights, shape.OutChannels, shape.InChannels, bias, activation, residual, isa, threads);
            Algorithm = _gemv.Algorithm(1);
            ScratchBytes = _gemv.ScratchBytes(1);
            return;
        }

        if (!layout.AnyBlocked && (algorithm == ConvAlgorithm.StemDirect || (algorithm == ConvAlgorithm.Auto && ConvStemDirect.Prefers(shape, activation, residual, isa))))
        {
            _stem = new ConvStemDirect(shape, weights, _bias.Pointer, activation, residual);
            Algorithm = _stem.Algorithm;
            ScratchBytes = _stem.ScratchBytes;
            return;
        }

        int winogradTile = algorithm switch
        {
            ConvAlgorithm.Winograd => 4,
            ConvAlgorithm.Winograd2x2 => 2,
            ConvAlgorithm.Auto => PreferredWinogradTile(shape, isa),
            _ => 0,
        };
        if (!denseBlocked && winogradTile != 0)
        {
            _winograd = Winograd3x3.Create(shape, weights, _bias.Pointer, activation, isa, threads, winogradTile);
            Algorithm = _winograd.Algorithm;
            ScratchBytes = _winograd.ScratchBytes;
            return;
        }

        bool direct = algorithm == ConvAlgorithm.DirectBlocked || (algorithm is ConvAlgorithm.Auto && PrefersDirectBlocked(shape, activation, isa));
        if (direct || denseBlocked || algorithm == ConvAlgorithm.Im2ColBlocked || (algorithm == ConvAlgorithm.Auto && PrefersIm2ColBlocked(shape, activation, isa)))
        {
            _im2colBlocked = new ConvIm2ColBlocked(shape, weights, bias, activation, ConvLayout.LanesFor(isa), threads, direct, residual, layout);
            Algorithm = _im2colBlocked.Algorithm;
            ScratchBytes = _im2colBlocked.ScratchBytes;
            return;
        }

        int g = shape.Groups;
        int m = shape.OutChannels / g;
        var cfg = GemmConfig.For(isa, m);
        int k = shape.InChannels / g * shape.KernelHeight * shape.KernelWidth;
        int n = shape.OutHeight * shape.OutWidth;
        _packedGroupStride = cfg.PackedASize(m, k);
        _packed = new GemmBuffer(_packedGroupStride * g);
        fixed (float* w = weights)
        {
            for (int gi = 0; gi < g; gi++)
            {
                GemmWork.PackA(cfg, w + ((long)gi * m * k), k, 1, m, k, 1f, _packed.Pointer + (gi * _packedGroupStride));
            }
        }

        _gemm = new GemmWork(cfg, m, n, k, threads) { Activation = activation };
        if (!shape.IsPointwise)
        {
            _gemm.PrepareIm2Col(shape);
        }

        ScratchBytes = _gemm.ScratchBytesPerThread * threads;
        Algorithm = (shape.IsPointwise ? "gemm-1x1" : "im2col-gemm") + (g > 1 ? "-grouped" : string.Empty) + "-" + IsaSupport.Name(isa);
    }

    /// <summary>The algorithm chosen ("gemm-1x1-avx2", "im2col-gemm-avx2", "depthwise-3x3-avx2", ...).</summary>
    public string Algorithm { get; }

    /// <summary>The GEMM of the im2col and 1×1 algorithms (null for the others): for tests and kernel checks that force its paths.</summary>
    internal GemmWork? Gemm => _gemm;

    /// <summary>The depthwise kernel, where this convolution is a depthwise one (tests).</summary>
    internal ConvDepthwise? Depthwise => _depthwise;

    /// <summary>The Winograd kernel, where this convolution runs by Winograd (tests).</summary>
    internal Winograd3x3? Winograd => _winograd;

    /// <summary>Per-run scratch for all threads, a multiple of 64 bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>Exact multiply-accumulates of one image.</summary>
    public long Macs { get; }

    /// <summary>
    /// Prepares a convolution; <paramref name="algorithm"/> forces one for a dense convolution (benchmarks, tests);
    /// <paramref name="layout"/> says which sides are channel-blocked (depthwise: any; pointwise: a blocked output, the input either).
    /// </summary>
    /// <exception cref="LightNetException">Invalid shape, weight or bias length, or thread count; a forced algorithm that does not fit the shape; a layout no kernel takes.</exception>
    public static Conv2dKernel Create(in Conv2dShape shape, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Activation activation, bool residual, Isa isa, int threads, ConvAlgorithm algorithm = ConvAlgorithm.Auto, ConvLayout layout = default)
    {
        shape.Validate("Conv");
        long expected = (long)shape.OutChannels * (shape.InChannels / shape.Groups) * shape.KernelHeight * shape.KernelWidth;
        shape.ValidateParameters("Conv", weights.Length, expected, bias.Length, threads);
        return new Conv2dKernel(shape, weights, bias, activation, residual, isa, threads, algorithm, layout);
    }

    /// <summary>
    /// Whether <see cref="ConvAlgorithm.Auto"/> picks Winograd for <paramref name="s"/> on <paramref name="isa"/>: a shape
    /// <see cref="Winograd3x3.Supports"/>, with enough channels and tiles that the 4× fewer multiplications pay for
    /// the transforms and the zero-padded GEMM columns — outputs of 14×14 and more, on AVX2 13×13 too, where
    /// im2col's 8-wide GEMM gains less, and on AVX-512 only 56×56 and more, where the direct blocked kernel is ahead
    /// below (ResNet-18's 14×14 256→256: Winograd 1.4× its time on Zen 5, the 36 transformed weight matrices, 9 MiB,
    /// being read for 16 tiles; at 28×28 the two kernels are within 5 % of each other on one thread, but the direct one
    /// keeps the blocked layout through layer 2 and its 1×1 downsample: ResNet-18 at 2 threads 1.21 → 1.14 of ONNX
    /// Runtime's time, medians of 5 alternating pairs); at least 32 channels out, and in: 64 on AVX-512 (SqueezeNet's
    /// 27×27 32→128 layer: Winograd 1.3–1.5× the direct kernels' time on Zen 5, where the transforms cost as much as a
    /// K = 32 GEMM saves), 16 on AVX2, 32 elsewhere. On AVX2 (Zen 3, kernel check, one thread) Winograd against the planar
    /// im2col GEMM: ResNet-18's 56×56, 28×28 and 14×14 layers 2.0–2.2× faster, SqueezeNet's 27×27 32→128 1.18×, 13×13
    /// 64→256 1.24× and 55×55 16→64 1.09× (739 against 806 µs; the whole model 1.04–1.06 → 1.01–1.04 of ONNX Runtime's
    /// time at one thread, 1.13–1.14 → 1.11–1.12 at two, alternating pairs), 7×7 512→512 1.7× slower (measured,
    /// docs/performance.md).
    /// </summary>
    /// <remarks>F(4×4) by the rule above, or F(2×2) on small AVX2 maps (<see cref="PreferredWinogradTile"/>).</remarks>
    public static bool PrefersWinograd(in Conv2dShape s, Isa isa) => PreferredWinogradTile(s, isa) != 0;

    /// <summary>
    /// The Winograd tile <see cref="ConvAlgorithm.Auto"/> takes for <paramref name="s"/> on <paramref name="isa"/>: 4 for
    /// F(4×4, 3×3) (the rule above); 2 for F(2×2, 3×3) on AVX2 maps of 7×7 to 9×9 outputs with at least 64 channels in
    /// and out, where F(4×4) leaves too few tiles for the GEMM (a 7×7 map: 4 tiles) and 2×2 tiles make 16 of them, one
    /// full column panel. ResNet-18's 7×7 512→512, kernel check on a Zen 1 EPYC: im2col 7295 µs, F(4×4) 7092, F(2×2)
    /// 5193 on one thread (3971 / 3989 / 2925 on two); DenseNet-121's 7×7 128→32 200 against 191 (no gain, hence the 64
    /// channels out). 10×10 to 12×12 maps were not measured and keep im2col, as do AVX2 plans on 32 vector registers
    /// (AVX2 code on an AVX-512 CPU), where the channel-blocked im2col takes these maps; 0 for none.
    /// </summary>
    public static int PreferredWinogradTile(in Conv2dShape s, Isa isa)
    {
        if (!Winograd3x3.Supports(s))
        {
            return 0;
        }

        int pixels = s.OutHeight * s.OutWidth;
        if (s.InChannels >= (isa switch { Isa.Avx512 => 64, Isa.Avx2 => 16, _ => 32 }) && s.OutChannels >= 32
            && pixels >= (isa switch { Isa.Avx2 => 169, Isa.Avx512 => 3136, _ => 196 }))
        {
            return 4;
        }

        return isa == Isa.Avx2 && !ConvLayout.BlocksDenseConvolutions(isa) && s.InChannels >= 64 && s.OutChannels >= 64
            && s.OutHeight is >= 7 and <= 9 && s.OutWidth is >= 7 and <= 9 ? 2 : 0;
    }

    /// <summary>
    /// Whether <see cref="ConvAlgorithm.Auto"/> picks <see cref="ConvIm2ColBlocked"/>: a shape it supports (one group,
    /// whole channel blocks, a register-form activation) that is not a 1×1 stride-1 one, on AVX-512 or AVX2 where it plans
    /// blocked (<see cref="ConvLayout.BlocksDenseConvolutions"/>: not on 16 vector registers), with at most
    /// <see cref="Im2ColBlockedMaxPixels"/> output pixels, where the planar GEMM's pixel-wide tiles run part empty, and
    /// not one Winograd or the direct kernel (<see cref="PrefersDirectBlocked"/>) takes.
    /// </summary>
    public static bool PrefersIm2ColBlocked(in Conv2dShape s, in Activation activation, Isa isa) =>
        isa is Isa.Avx512 or Isa.Avx2 && ConvLayout.BlocksDenseConvolutions(isa) && !s.IsPointwise && ConvIm2ColBlocked.Supports(s, activation, ConvLayout.LanesFor(isa))
        && s.OutHeight * s.OutWidth <= Im2ColBlockedMaxPixels && !PrefersWinograd(s, isa) && !PrefersDirectBlocked(s, activation, isa);

    /// <summary>
    /// The largest output map (pixels) <see cref="PrefersIm2ColBlocked"/> takes: 28×28. Kernel check on Zen 5, one
    /// thread, AVX-512: 7×7 (ResNet-18 layer 4) 2.1× faster than the planar im2col GEMM, 13×13 1.17×, 27×27 1.07×;
    /// at 14×14 and above Winograd is faster still where it applies (docs/performance.md).
    /// </summary>
    internal const int Im2ColBlockedMaxPixels = 784;

    /// <summary>
    /// Whether <see cref="ConvAlgorithm.Auto"/> picks the direct channel-blocked kernel: on AVX-512, a shape
    /// <see cref="ConvIm2ColBlocked"/> supports, not 1×1 stride 1 and not one Winograd takes, whatever the map: its
    /// 6-pixel tiles run on across output rows, so rows of 14 or 7 leave no part-empty tile at each row's end.
    /// Kernel check on Zen 5, one thread: SqueezeNet 55×55 16→64 1.05–1.15× and 27×27 32→128 1.1× faster than the
    /// best other kernel; ResNet-18's 14×14 256→256 1.06–1.4× faster than im2col and Winograd, 7×7 512→512 1.05×, the
    /// stride-2 layers 1.02–1.3×, SqueezeNet's 13×13 64→256 1.1×. On AVX2 (8 lanes, 4 × 3 tiles) the planar GEMM stays
    /// ahead (docs/performance.md). On the Vector128 level (4 lanes: Arm64, WebAssembly) every map too: kernel check on
    /// Zen 5 with <c>isa=vector128</c>, one thread, against the planar im2col GEMM: the stems (3 input channels, planar
    /// taps) 1.7–2.2× faster, ResNet-18's 7×7 and stride-2 layers 1.15–1.25×; only where the 4×4 transposes have
    /// instructions (SSE, NEON; not WebAssembly, where the input would move one float at a time).
    /// </summary>
    public static bool PrefersDirectBlocked(in Conv2dShape s, in Activation activation, Isa isa) =>
        (isa == Isa.Avx512 || (isa == Isa.Vector128 && VectorTranspose.CanTranspose4))
        && !s.IsPointwise && ConvIm2ColBlocked.SupportsDirect(s, activation, ConvLayout.LanesFor(isa)) && !PrefersWinograd(s, isa);

    /// <summary>
    /// Whether a dense (not 1×1 stride 1, not depthwise) convolution runs on channel-blocked tensors on
    /// <paramref name="isa"/> (<see cref="BlockedLayout"/>): the kernel <see cref="ConvAlgorithm.Auto"/> picks is one of
    /// <see cref="ConvIm2ColBlocked"/>'s, whose output may be blocked, and whose input may be when
    /// <paramref name="inputBlocked"/> (whole blocks of input channels).
    /// </summary>
    public static bool TakesBlocked(in Conv2dShape s, in Activation activation, Isa isa, bool inputBlocked) =>
        (PrefersDirectBlocked(s, activation, isa) || PrefersIm2ColBlocked(s, activation, isa))
        && (!inputBlocked || ConvIm2ColBlocked.Supports(s, activation, ConvLayout.LanesFor(isa)));

    /// <summary>
    /// Runs one image: output[Cout,OH,OW] = act(conv(input[Cin,H,W]) + bias + residual). <paramref name="residual"/>
    /// may alias <paramref name="output"/>; the input must not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        if (pool.Threads > _threads || (residual != null) != _residual)
        {
            throw new InvalidOperationException($"Conv2dKernel prepared for {_threads} threads (residual: {_residual}) was run with {pool.Threads} (residual: {residual != null}).");
        }

        if (_depthwise != null)
        {
            _depthwise.Run(input, output, residual, scratch, pool);
            return;
        }

        if (_pointwiseBlocked != null)
        {
            _pointwiseBlocked.Run(input, output, residual, pool);
            return;
        }

        if (_gemv != null)
        {
            _gemv.Run(input, 1, output, residual, scratch, pool);
            return;
        }

        if (_winograd != null)
        {
            _winograd.Run(input, output, residual, scratch, pool);
            return;
        }

        if (_im2colBlocked != null)
        {
            _im2colBlocked.Run(input, output, residual, scratch, pool);
            return;
        }

        if (_stem != null)
        {
            _stem.Run(input, output, residual, scratch, pool);
            return;
        }

        var s = _shape;
        var gemm = _gemm!;
        long inGroup = (long)(s.InChannels / s.Groups) * s.InHeight * s.InWidth;
        long outGroup = (long)gemm.M * gemm.N;
        for (int g = 0; g < s.Groups; g++)
        {
            float* x = input + (g * inGroup);
            gemm.A = _packed!.Pointer + (g * _packedGroupStride);
            gemm.B = s.IsPointwise ? GemmBSource.Dense(x, gemm.N, false) : GemmBSource.Conv(x, s);
            gemm.C = output + (g * outGroup);
            gemm.Ldc = gemm.N;
            gemm.RowBias = _bias.Pointer + (g * gemm.M);
            gemm.Residual = residual != null ? residual + (g * outGroup) : null;
            gemm.Ldr = gemm.N;
            gemm.Scratch = scratch;
            pool.Run(gemm, gemm.Items, gemm.Chunks);
        }
    }

    /// <summary>Frees the prepacked weights.</summary>
    public void Dispose()
    {
        _packed?.Dispose();
        _depthwise?.Dispose();
        _pointwiseBlocked?.Dispose();
        _gemv?.Dispose();
        _winograd?.Dispose();
        _im2colBlocked?.Dispose();
        _stem?.Dispose();
        _bias.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A dense convolution of few input channels — a network's stem (3 channels, 3×3 or 7×7, stride 2) — on the AVX2 level
/// without im2col. Each run first splits every input channel by stride phase (<see cref="StridePhases"/>, the padding
/// written in as zeros), so the 16 consecutive outputs of a row read, for every (channel, tap), 16 consecutive values
/// of one phase plane; the 6×16 GEMM micro-kernel then reads them where they lie, one offset per k
/// (<see cref="GemmMicroKernels.Avx2x6x16Offsets"/>), instead of from B panels packed by an im2col (a quarter to a third
/// of the planar GEMM's time on these layers: with 3 input channels the GEMM is shallow, K = 27 or 147, so there is
/// little arithmetic to pay for the packing). Each 6-row panel of the weights runs over a whole output row before the
/// next panel, so its stores are 6 long runs and the row's input values stay in L1/L2 for all panels. Kernel check (Zen 3,
/// 1 thread, 3 runs, time against the planar im2col GEMM): ResNet-18's 7×7 stem 0.81, MobileNetV2's 3×3 0.83,
/// MobileNetV3's 0.69, SqueezeNet's 0.89, AlexNet's 11×11 stride 4 0.74. A row that is not whole tiles (SqueezeNet's 111, AlexNet's 55)
/// ends with a tile that overlaps the one before and computes a few outputs again (the same values), so such rows take
/// no residual (it would be added twice). Bias, residual and a clamp or hard activation are fused into the store; the
/// threads share whole output rows.
/// </summary>
internal sealed unsafe class ConvStemDirect : IParallelWork, IDisposable
{
    /// <summary>The most input channels this kernel takes (a stem's image channels).</summary>
    public const int MaxInChannels = 4;

    /// <summary>Outputs of a row per tile (two 8-lane vectors); output rows must be at least one tile wide.</summary>
    public const int Tile = 16;

    private const int Rows = 6; // the micro-kernel's rows (output channels) per panel

    private readonly Conv2dShape _s;
    private readonly StridePhases _phases;
    private readonly GemmBuffer _a; // the weights in 6-row panels, k-major (GemmWork.PackA)
    private readonly float* _bias;
    private readonly int[] _offsets; // per k = (channel, tap): the channel's phase planes + the tap's offset in them
    private readonly FusedActivation _act;
    private readonly int _k, _panels;
    private readonly long _planeFloats;

    // Per-run arguments.
    private float* _x, _y, _res, _planes;
    private bool _filling;

    /// <param name="s">The geometry (validated by the caller; <see cref="Supports"/> holds).</param>
    /// <param name="weights">[Cout, Cin·kh·kw].</param>
    /// <param name="bias">Cout floats that outlive the kernel.</param>
    /// <param name="activation">A clamp or hard activation (<see cref="FusedActivation"/>).</param>
    /// <param name="residual">Whether runs add a residual.</param>
    /// <exception cref="LightNetException">The shape, activation or residual is not one <see cref="Supports"/> accepts, or the CPU lacks AVX2/FMA.</exception>
    public ConvStemDirect(in Conv2dShape s, ReadOnlySpan<float> weights, float* bias, Activation activation, bool residual)
    {
        if (!Supports(s, activation, residual) || !FusedActivation.TryCreate(activation, out _act))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: the direct stem kernel takes one group, at most {MaxInChannels} input channels, output rows at least {Tile} wide (a multiple of {Tile} with a residual), a clamp or hard activation and AVX2 with FMA; got {s}, {activation.Kind}, residual: {residual}.");
        }

        _s = s;
        _bias = bias;
        _phases = new StridePhases(s);
        _planeFloats = _phases.PlaneElements;
        int taps = s.KernelHeight * s.KernelWidth;
        _k = s.InChannels * taps;
        _panels = (s.OutChannels + Rows - 1) / Rows;
        var cfg = GemmConfig.For(Isa.Avx2);
        _a = new GemmBuffer(cfg.PackedASize(s.OutChannels, _k));
        fixed (float* w = weights)
        {
            GemmWork.PackA(cfg, w, _k, 1, s.OutChannels, _k, 1f, _a.Pointer);
        }

        // One more than K: the micro-kernel computes the next row's address after the last (never read).
        _offsets = GC.AllocateArray<int>(_k + 1, pinned: true);
        for (int k = 0; k < _k; k++)
        {
            _offsets[k] = (int)((k / taps * _planeFloats) + _phases.TapOffsets[k % taps]);
        }

        ScratchBytes = GemmConfig.Align64(s.InChannels * _planeFloats * sizeof(float));
    }

    /// <summary>The kernel's name in profiles.</summary>
    public string Algorithm => "direct-stem-avx2";

    /// <summary>Per-run scratch (the phase planes, shared by the threads), a multiple of 64 bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>
    /// Whether this kernel computes <paramref name="s"/> with <paramref name="activation"/> on this CPU: AVX2 and FMA,
    /// one group, at most <see cref="MaxInChannels"/> input channels, not 1×1, output rows at least one <see cref="Tile"/>
    /// wide (a tile never spans two rows) and, with a <paramref name="residual"/>, whole tiles, a clamp or hard activation.
    /// </summary>
    public static bool Supports(in Conv2dShape s, Activation activation, bool residual) =>
        Avx2.IsSupported && Fma.IsSupported && s.Groups == 1 && s.InChannels <= MaxInChannels && !s.IsPointwise
        && s.OutWidth >= Tile && (!residual || s.OutWidth % Tile == 0) && FusedActivation.TryCreate(activation, out _);

    /// <summary>
    /// Whether <see cref="ConvAlgorithm.Auto"/> picks this kernel: a shape it <see cref="Supports"/> on the AVX2 level of a
    /// CPU with 16 vector registers, where dense convolutions stay planar (<see cref="ConvLayout.BlocksDenseConvolutions"/>; with 32 registers the
    /// channel-blocked direct kernels take stems); measured in the class summary.
    /// </summary>
    public static bool Prefers(in Conv2dShape s, Activation activation, bool residual, Isa isa) =>
        isa == Isa.Avx2 && !ConvLayout.BlocksDenseConvolutions(isa) && Supports(s, activation, residual);

    /// <summary>output = act(conv(input) + bias + residual), all NCHW; the residual may alias the output, the input must not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        _x = input;
        _y = output;
        _res = residual;
        _planes = (float*)scratch;
        _filling = true;
        pool.Run(this, _s.InChannels);
        _filling = false;
        pool.Run(this, _s.OutHeight);
    }

    /// <summary>Splits input channels [begin, end) by phase, or computes output rows [begin, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_filling)
        {
            long inPlane = (long)_s.InHeight * _s.InWidth;
            for (int c = begin; c < end; c++)
            {
                _phases.Fill(_x + (c * inPlane), _planes + (c * _planeFloats));
            }

            return;
        }

        int ow = _s.OutWidth, m = _s.OutChannels;
        fixed (int* offsets = _offsets)
        {
            for (int oy = begin; oy < end; oy++)
            {
                // A 6-row panel of the weights over the whole output row, then the next: each panel writes 6 runs of
                // the row (tile by tile, every output channel's row, the stores went to 16–64 rows 50 KB apart, which
                // share L1 sets) and the row's input values stay in L1/L2 for all the panels.
                for (int p = 0; p < _panels; p++)
                {
                    int row0 = p * Rows, rows = Math.Min(Rows, m - row0);

                    // The row's whole tiles as one run, then, where the row is not whole tiles, a last tile ending at
                    // the last output (overlapping).
                    RowTiles(row0, rows, offsets, oy, 0, ow / Tile);
                    if (ow % Tile != 0)
                    {
                        RowTiles(row0, rows, offsets, oy, ow - Tile, 1);
                    }
                }
            }
        }
    }

    // count tiles of output row oy from column ox, for output channels [row0, row0 + rows) (one panel of the weights).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RowTiles(int row0, int rows, int* offsets, int oy, int ox, int count)
    {
        int ow = _s.OutWidth;
        long n = (long)_s.OutHeight * ow, at = (row0 * n) + ((long)oy * ow) + ox;
        GemmMicroKernels.Avx2x6x16Offsets(_k, _a.Pointer + ((long)row0 * _k), _planes + ((long)oy * _phases.PhaseWidth) + ox, offsets, _y + at, (nint)n,
            _bias + row0, _res != null ? _res + at : null, (nint)n, _act, rows, count);
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose() => _a.Dispose();
}

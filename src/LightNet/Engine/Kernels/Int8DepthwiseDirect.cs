using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized depthwise convolution on pixel-major codes, channels in the lanes: the image is copied into a padded
/// pixel-major buffer (<see cref="PixelMajorCodes.PaddedRows"/>: each pixel's channels rounded up to whole blocks of 16
/// (AVX-512) or 8 (AVX2), the border the input zero point), then each tile of 8 output pixels × one channel block sums
/// its taps straight from that buffer — the codes zero-extended to int32, converted to float and multiplied into
/// 8 running registers by the tap's weights (<c>vpmovzxbd</c>, <c>vcvtdq2ps</c>, <c>vfmadd</c>: no transposes, no float
/// tile), starting from bias − zero·Σw, so the sums are bias + Σ(x − zero)·w — exactly, since every partial sum is an
/// integer below 2²⁴ (<see cref="Fits"/>) — and each pixel's block is requantized from its register (the
/// <see cref="Requantizer"/> formula) and stored: pixel-major, or through a pixel-major buffer transposed into NCHW.
/// A 3×3 layer (stride 1 or 2, no dilation) takes tiles of 8 pixels along one output row: each input row's 10 (or 17)
/// pixels the tile reads are converted once and held in registers for the row's 3 taps (the general tile converts a
/// pixel once per tap that reads it: 2.4× the conversions at stride 1). With 16 registers (AVX2) some are spilled and it
/// still wins: kernel timings on Zen 5 with AVX-512 off, stride 1 1.3–1.6× faster, stride 2 about equal. Work items
/// are runs of pixel tiles, every channel block of a tile computed before the next tile (<see cref="Execute"/>).
/// </summary>
internal sealed unsafe class Int8DepthwiseDirect : IInt8Convolution
{
    /// <summary>Output pixels per tile (8 running registers: enough to cover the FMA latency on two pipes).</summary>
    public const int PixelTile = 8;

    private readonly Conv2dShape _s;
    private readonly int _lanes, _blocks, _stride, _paddedHeight, _paddedWidth, _tiles, _chunks;
    private readonly int _rowTiles; // with row tiles (3×3, stride 1 or 2): tiles per output row; else 0
    private readonly float[] _weights; // [block][tap][lanes]
    private readonly float[] _start;   // per padded channel: bias − zero·Σw
    private readonly float[] _scale;
    private readonly int _outputZero, _min, _max;
    private readonly int[] _pixelOffsets, _tapOffsets;
    private readonly bool _outputPixelMajor;
    private readonly PixelMajorCodes.Passes _passes;
    private byte* _padded, _pixelMajor;

    /// <param name="s">The geometry (depthwise, channel multiplier 1).</param>
    /// <param name="weights">[C, kh·kw] zero-point-centred integer weights.</param>
    /// <param name="bias">Per channel int32 bias.</param>
    /// <param name="scale">Per channel multiplier.</param>
    /// <param name="inputZero">The input zero point.</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code.</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="isa"><see cref="Isa.Avx512"/> (16 lanes) or <see cref="Isa.Avx2"/> (8 lanes, with FMA).</param>
    /// <param name="threads">Worker threads (for the work split).</param>
    /// <param name="inputPixelMajor">The input is pixel-major ([H][W][C]) instead of NCHW.</param>
    /// <param name="outputPixelMajor">Write the output pixel-major instead of NCHW.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Int8DepthwiseDirect(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Isa isa, int threads, bool inputPixelMajor, bool outputPixelMajor)
    {
        if (!Fits(s, weights, bias, isa))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Int8DepthwiseDirect: {s} on {IsaSupport.Name(isa)} is not a depthwise convolution with exact float sums this machine runs.");
        }

        _s = s;
        _lanes = isa == Isa.Avx512 ? 16 : 8;
        _blocks = (s.OutChannels + _lanes - 1) / _lanes;
        _stride = _blocks * _lanes;
        _outputZero = outputZero;
        _min = min;
        _max = max;
        _outputPixelMajor = outputPixelMajor;
        int taps = s.KernelHeight * s.KernelWidth;
        _weights = GC.AllocateArray<float>(_blocks * taps * _lanes, pinned: true);
        _start = new float[_stride];
        _scale = new float[_stride];
        for (int c = 0; c < s.OutChannels; c++)
        {
            int sum = 0;
            for (int t = 0; t < taps; t++)
            {
                short w = weights[(c * taps) + t];
                sum += w;
                _weights[(((c / _lanes * taps) + t) * _lanes) + (c % _lanes)] = w;
            }

            _start[c] = bias[c] - (inputZero * sum);
            _scale[c] = scale[c];
        }

        (_paddedHeight, _paddedWidth) = PixelMajorCodes.PaddedSize(s);
        (_tapOffsets, _pixelOffsets) = PixelMajorCodes.Offsets(s, _paddedWidth, _stride, PixelTile);
        bool rows = s.KernelHeight == 3 && s.KernelWidth == 3 && s.DilationHeight == 1 && s.DilationWidth == 1
            && s.StrideWidth is 1 or 2;
        _rowTiles = rows ? (s.OutWidth + PixelTile - 1) / PixelTile : 0;
        _tiles = rows ? s.OutHeight * _rowTiles : _pixelOffsets.Length / PixelTile;
        _chunks = PixelMajorCodes.TileRuns(threads, 1, _tiles, 2);
        _passes = new PixelMajorCodes.Passes(new PixelMajorCodes.PaddedRows(s, _paddedWidth, _stride, false, (byte)inputZero, inputPixelMajor),
            _paddedHeight, _stride, s.OutChannels, s.OutHeight * s.OutWidth);
        Algorithm = "int8-depthwise-direct-" + IsaSupport.Name(isa) + QuantizedLayout.Suffix(inputPixelMajor, outputPixelMajor);
    }

    /// <summary>The algorithm, for profiles.</summary>
    public string Algorithm { get; }

    /// <inheritdoc/>
    public long Macs => _s.Macs;

    // The padded copy, and with row tiles the slack a row's last tile reads past the last row (its pixels beyond the row
    // are computed, never stored).
    private long PaddedBytes => MemoryPlan.Align(((long)_paddedHeight * _paddedWidth * _stride)
        + (_rowTiles > 0 ? (long)(PixelTile - 1) * _s.StrideWidth * _stride : 0));

    /// <summary>Scratch bytes of one run: the padded copy, and the pixel-major result when the output is NCHW.</summary>
    public long ScratchBytes => PaddedBytes + (_outputPixelMajor ? 0 : MemoryPlan.Align((long)_tiles * PixelTile * _stride));

    /// <summary>
    /// Whether this kernel runs <paramref name="s"/> on <paramref name="isa"/> here: depthwise, AVX-512 or AVX2 with FMA,
    /// and float sums that stay exact: every partial sum, bias − zero·Σw included, below 2²⁴ (2·taps·255·max|w| + max|bias|).
    /// </summary>
    public static bool Fits(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, Isa isa) =>
        s.IsDepthwise && (isa == Isa.Avx512 ? Avx512F.IsSupported : isa == Isa.Avx2 && Avx2.IsSupported && Fma.IsSupported)
        && Int8Depthwise.SumsExactInFloat(s, weights, 2, bias);

    /// <summary>Convolves one image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _padded = scratch;
        _pixelMajor = _outputPixelMajor ? y : scratch + PaddedBytes;
        _passes.CopyIn(pool, x, scratch);
        pool.Run(this, _chunks);
        if (!_outputPixelMajor)
        {
            _passes.ToPlanar(pool, _pixelMajor, y);
        }
    }

    /// <summary>
    /// Computes work items [begin, end): runs of pixel tiles, each tile for every channel block in turn, so the input
    /// lines a tile's window reads (one pixel's channels are one or two cache lines) are used for all their channels
    /// while in L1. Block by block over the whole map instead, a 112×112×96 input (1.2 MB, past a Zen 3 core's L2)
    /// was read from L3 once per 8-channel block, 12 times: MobileNetV2's stride-2 96-channel layer took 2.5× ONNX
    /// Runtime's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Execute(int begin, int end, int threadIndex)
    {
        int taps = _tapOffsets.Length, pixels = _s.OutHeight * _s.OutWidth;
        byte* part = stackalloc byte[PixelTile * 16];
        fixed (float* w0 = _weights, start = _start, scale = _scale)
        fixed (int* pixelOffsets = _pixelOffsets, tapOffsets = _tapOffsets)
        {
            long rowBytes = (long)_paddedWidth * _stride, pixelStep = (long)_s.StrideWidth * _stride;
            long outStride = _outputPixelMajor ? _s.OutChannels : _stride;
            for (int chunk = begin; chunk < end; chunk++)
            {
                int t0 = (int)((long)chunk * _tiles / _chunks), t1 = (int)((long)(chunk + 1) * _tiles / _chunks);
                for (int tile = t0; tile < t1; tile++)
                {
                    // Row tiles: 8 pixels from (oy, ox) along one row; else 8 pixels numbered across rows.
                    int oy = _rowTiles > 0 ? tile / _rowTiles : 0, ox = _rowTiles > 0 ? (tile - (oy * _rowTiles)) * PixelTile : 0;
                    int first = _rowTiles > 0 ? (oy * _s.OutWidth) + ox : tile * PixelTile;
                    int count = Math.Min(PixelTile, _rowTiles > 0 ? _s.OutWidth - ox : pixels - first);
                    byte* window = _padded + (oy * _s.StrideHeight * rowBytes) + (ox * pixelStep);
                    for (int block = 0; block < _blocks; block++)
                    {
                        int c0 = block * _lanes;
                        float* w = w0 + ((long)block * taps * _lanes);
                        int channels = _outputPixelMajor ? Math.Min(_lanes, _s.OutChannels - c0) : _lanes;
                        var e = new Epilogue(scale + c0, _outputZero, _min, _max);
                        byte* y = _pixelMajor + ((long)first * outStride) + c0;

                        // A partial block's codes go through a small buffer (no call or branch in the tile).
                        byte* to = channels == _lanes ? y : part;
                        long toStride = channels == _lanes ? outStride : 16;
                        if (_rowTiles > 0)
                        {
                            byte* x = window + c0;
                            if (_lanes == 16 && _s.StrideWidth == 1)
                            {
                                RowTile(x, rowBytes, _stride, w, Lanes512.Load(start + c0), e, to, toStride, count);
                            }
                            else if (_lanes == 16)
                            {
                                RowTileStride2(x, rowBytes, _stride, w, Lanes512.Load(start + c0), e, to, toStride, count);
                            }
                            else if (_s.StrideWidth == 1)
                            {
                                RowTile(x, rowBytes, _stride, w, Lanes256.Load(start + c0), e, to, toStride, count);
                            }
                            else
                            {
                                RowTileStride2(x, rowBytes, _stride, w, Lanes256.Load(start + c0), e, to, toStride, count);
                            }
                        }
                        else if (_lanes == 16)
                        {
                            Tile(_padded + c0, pixelOffsets + first, tapOffsets, taps, w, Lanes512.Load(start + c0), e, to, toStride, count);
                        }
                        else
                        {
                            Tile(_padded + c0, pixelOffsets + first, tapOffsets, taps, w, Lanes256.Load(start + c0), e, to, toStride, count);
                        }

                        for (int j = 0; to == part && j < count; j++)
                        {
                            Buffer.MemoryCopy(part + (j * 16), y + (j * outStride), channels, channels);
                        }
                    }
                }
            }
        }
    }

    // 8 pixels × one block of TV.Count channels over every tap; requantized into Count codes per pixel at y + j·stride.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TV>(byte* x, int* pixelOffsets, int* tapOffsets, int taps, float* w, TV start, in Epilogue e, byte* y, long stride, int count)
        where TV : struct, ILanes<TV>
    {
        TV a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start;
        byte* p0 = x + pixelOffsets[0], p1 = x + pixelOffsets[1], p2 = x + pixelOffsets[2], p3 = x + pixelOffsets[3];
        byte* p4 = x + pixelOffsets[4], p5 = x + pixelOffsets[5], p6 = x + pixelOffsets[6], p7 = x + pixelOffsets[7];
        for (int t = 0; t < taps; t++, w += TV.Count)
        {
            nint o = tapOffsets[t];
            TV wt = TV.Load(w);
            a0 = TV.MultiplyAdd(TV.FromCodes(p0 + o), wt, a0);
            a1 = TV.MultiplyAdd(TV.FromCodes(p1 + o), wt, a1);
            a2 = TV.MultiplyAdd(TV.FromCodes(p2 + o), wt, a2);
            a3 = TV.MultiplyAdd(TV.FromCodes(p3 + o), wt, a3);
            a4 = TV.MultiplyAdd(TV.FromCodes(p4 + o), wt, a4);
            a5 = TV.MultiplyAdd(TV.FromCodes(p5 + o), wt, a5);
            a6 = TV.MultiplyAdd(TV.FromCodes(p6 + o), wt, a6);
            a7 = TV.MultiplyAdd(TV.FromCodes(p7 + o), wt, a7);
        }

        Store(e, a0, a1, a2, a3, a4, a5, a6, a7, y, stride, count);
    }

    // 8 pixels along one output row × TV.Count channels of a 3×3 stride-1 layer: each of the 3 input rows' 10 pixels
    // converted once, then its 3 taps; x is the window corner of the first pixel, pixels p bytes apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile<TV>(byte* x, long row, long p, float* w, TV start, in Epilogue e, byte* y, long stride, int count)
        where TV : struct, ILanes<TV>
    {
        TV a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start;
        Row(x, w);
        Row(x + row, w + (3 * TV.Count));
        Row(x + (2 * row), w + (6 * TV.Count));
        Store(e, a0, a1, a2, a3, a4, a5, a6, a7, y, stride, count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Row(byte* r, float* w)
        {
            TV w0 = TV.Load(w), w1 = TV.Load(w + TV.Count), w2 = TV.Load(w + (2 * TV.Count));
            TV x0 = TV.FromCodes(r), x1 = TV.FromCodes(r + p), x2 = TV.FromCodes(r + (2 * p)), x3 = TV.FromCodes(r + (3 * p));
            TV x4 = TV.FromCodes(r + (4 * p)), x5 = TV.FromCodes(r + (5 * p)), x6 = TV.FromCodes(r + (6 * p));
            TV x7 = TV.FromCodes(r + (7 * p)), x8 = TV.FromCodes(r + (8 * p)), x9 = TV.FromCodes(r + (9 * p));
            a0 = TV.MultiplyAdd(x2, w2, TV.MultiplyAdd(x1, w1, TV.MultiplyAdd(x0, w0, a0)));
            a1 = TV.MultiplyAdd(x3, w2, TV.MultiplyAdd(x2, w1, TV.MultiplyAdd(x1, w0, a1)));
            a2 = TV.MultiplyAdd(x4, w2, TV.MultiplyAdd(x3, w1, TV.MultiplyAdd(x2, w0, a2)));
            a3 = TV.MultiplyAdd(x5, w2, TV.MultiplyAdd(x4, w1, TV.MultiplyAdd(x3, w0, a3)));
            a4 = TV.MultiplyAdd(x6, w2, TV.MultiplyAdd(x5, w1, TV.MultiplyAdd(x4, w0, a4)));
            a5 = TV.MultiplyAdd(x7, w2, TV.MultiplyAdd(x6, w1, TV.MultiplyAdd(x5, w0, a5)));
            a6 = TV.MultiplyAdd(x8, w2, TV.MultiplyAdd(x7, w1, TV.MultiplyAdd(x6, w0, a6)));
            a7 = TV.MultiplyAdd(x9, w2, TV.MultiplyAdd(x8, w1, TV.MultiplyAdd(x7, w0, a7)));
        }
    }

    // The stride-2 form of RowTile: 17 input pixels a row (pixel j reads 2j, 2j + 1, 2j + 2); p is one input pixel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTileStride2<TV>(byte* x, long row, long p, float* w, TV start, in Epilogue e, byte* y, long stride, int count)
        where TV : struct, ILanes<TV>
    {
        TV a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start;
        Row(x, w);
        Row(x + row, w + (3 * TV.Count));
        Row(x + (2 * row), w + (6 * TV.Count));
        Store(e, a0, a1, a2, a3, a4, a5, a6, a7, y, stride, count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Row(byte* r, float* w)
        {
            TV w0 = TV.Load(w), w1 = TV.Load(w + TV.Count), w2 = TV.Load(w + (2 * TV.Count));
            TV x0 = TV.FromCodes(r), x1 = TV.FromCodes(r + p), x2 = TV.FromCodes(r + (2 * p)), x3 = TV.FromCodes(r + (3 * p));
            TV x4 = TV.FromCodes(r + (4 * p)), x5 = TV.FromCodes(r + (5 * p)), x6 = TV.FromCodes(r + (6 * p));
            TV x7 = TV.FromCodes(r + (7 * p)), x8 = TV.FromCodes(r + (8 * p));
            a0 = TV.MultiplyAdd(x2, w2, TV.MultiplyAdd(x1, w1, TV.MultiplyAdd(x0, w0, a0)));
            a1 = TV.MultiplyAdd(x4, w2, TV.MultiplyAdd(x3, w1, TV.MultiplyAdd(x2, w0, a1)));
            a2 = TV.MultiplyAdd(x6, w2, TV.MultiplyAdd(x5, w1, TV.MultiplyAdd(x4, w0, a2)));
            a3 = TV.MultiplyAdd(x8, w2, TV.MultiplyAdd(x7, w1, TV.MultiplyAdd(x6, w0, a3)));
            // Pixels 9-16 in the registers of 0-7 (8 is still needed).
            x0 = TV.FromCodes(r + (9 * p));
            x1 = TV.FromCodes(r + (10 * p));
            x2 = TV.FromCodes(r + (11 * p));
            x3 = TV.FromCodes(r + (12 * p));
            x4 = TV.FromCodes(r + (13 * p));
            x5 = TV.FromCodes(r + (14 * p));
            x6 = TV.FromCodes(r + (15 * p));
            x7 = TV.FromCodes(r + (16 * p));
            a4 = TV.MultiplyAdd(x1, w2, TV.MultiplyAdd(x0, w1, TV.MultiplyAdd(x8, w0, a4)));
            a5 = TV.MultiplyAdd(x3, w2, TV.MultiplyAdd(x2, w1, TV.MultiplyAdd(x1, w0, a5)));
            a6 = TV.MultiplyAdd(x5, w2, TV.MultiplyAdd(x4, w1, TV.MultiplyAdd(x3, w0, a6)));
            a7 = TV.MultiplyAdd(x7, w2, TV.MultiplyAdd(x6, w1, TV.MultiplyAdd(x5, w0, a7)));
        }
    }

    // Requantizes the tile's first `count` pixels into codes at y + j·stride.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(in Epilogue e, TV a0, TV a1, TV a2, TV a3, TV a4, TV a5, TV a6, TV a7, byte* y, long stride, int count)
        where TV : struct, ILanes<TV>
    {
        e.Store(a0, y);
        if (count > 1) e.Store(a1, y + stride);
        if (count > 2) e.Store(a2, y + (2 * stride));
        if (count > 3) e.Store(a3, y + (3 * stride));
        if (count > 4) e.Store(a4, y + (4 * stride));
        if (count > 5) e.Store(a5, y + (5 * stride));
        if (count > 6) e.Store(a6, y + (6 * stride));
        if (count > 7) e.Store(a7, y + (7 * stride));
    }

    /// <summary>One block's requantization of the exact float sums (the bias included) by the <see cref="Requantizer"/> formula.</summary>
    private readonly struct Epilogue(float* scale, int zero, int min, int max)
    {
        private readonly float* _scale = scale;
        private readonly int _zero = zero, _min = min, _max = max;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store<TV>(TV sum, byte* y)
            where TV : struct, ILanes<TV> => sum.StoreCodes(_scale, _zero, _min, _max, y);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Depthwise convolution (groups = Cin = Cout), parallel over channels. Each channel is first copied into a zero-padded
/// plane split by stride phase in both directions: padded element (y, x) lands in sub-plane (y mod sh, x mod sw) at row
/// y / sh, column x / sw, each sub-plane pw = ⌈paddedWidth / sw⌉ floats wide. Output (oy, ox) then reads, for every tap,
/// sub-plane element (oy + a, ox + b) — so all output rows of a channel are one contiguous run of (OH-1)·pw + OW values
/// (pw - OW unused between rows) and the inner loop is a plain vector FMA, whatever the stride, dilation or width.
/// 3×3 has an unrolled path with the nine weights held in registers.
/// Maps up to <see cref="BlockedMaxWidth"/> wide (MobileNet's 56×56 and smaller) take a channel-blocked path instead,
/// the layout ONNX Runtime's NCHWc kernels use (<see cref="DepthwiseTiles"/>): a block of V channels (V = the vector width) is
/// transposed into a zero-padded [row][column][V] tile, every output pixel is one vector FMA per tap with the taps' V
/// weights as a vector, and the block is transposed back with bias and activation fused. Rows of 7 to 56 values fill
/// 16-wide vectors badly or leave a remainder, and each channel's plane copy costs as much as its arithmetic; across
/// channels every lane is used, and along a row each input vector is loaded once for every output that reads it.
/// Wide rows of a 3×3 kernel are computed two at a time (row oy + 1 reuses the plane rows row oy loaded), and on AVX-512
/// a 3×3 stride-2 kernel reads an unsplit padded plane, splitting even and odd columns with two-source permutes.
/// On 8 lanes a 3×3 stride-1 kernel with one column of padding each side copies no plane at all: each output row pair
/// reads its four input rows where they lie, only the first and last vector of a row going through 16-float edge copies;
/// from <see cref="DirectRowsOverTilesFromWidth"/> columns on (56×56 maps too) it takes those direct rows before the tiles.
/// </summary>
internal sealed unsafe class ConvDepthwise : IParallelWork, IDisposable
{
    private readonly Conv2dShape _s;
    private readonly GemmBuffer _weights;
    private readonly float* _bias;
    private readonly Activation _activation;
    private readonly int _width; // vector width: 16, 8, 4 or 1
    private readonly StridePhases _phases; // the plane split by stride phase, and each tap's offset in it
    private readonly DepthwiseTiles? _blocked; // the channel-blocked path; null: per-channel path
    private float* _input, _output, _residual;
    private byte* _scratch;
    private bool _runBlocked;
    private readonly bool _rowPairs; // 3×3 stride 1 or 2, no dilation, 8 or 16 lanes: wide rows are computed two at a time
    private readonly bool _evenOdd; // 3×3 stride 2, no dilation, AVX-512, rows of 16+ outputs: an unsplit padded plane, taps split by permutes
    private readonly ConvLayout _layout; // a channel-blocked input or output: always the blocked path
    private readonly bool _directRows; // 3×3 stride 1, one column of padding each side, 8 lanes: read the input rows where they lie
    private readonly int[]? _bandStarts; // ComputeBand's bands: band b is output rows [_bandStarts[b], _bandStarts[b + 1]); null: not banded

    /// <summary>
    /// Output rows at most this wide take the channel-blocked path (measured: see docs/performance.md): 56 with 8 or 16
    /// lanes (MobileNet's 56×56 and smaller maps; 112-wide rows run faster per channel, which has a two-row kernel on
    /// those widths). On 4 lanes every width where SSE or NEON has the 4×4 transposes
    /// (<see cref="VectorTranspose.CanTranspose4"/>): kernel check (Zen 5, <c>isa=vector128</c>) 2–2.5× faster than the
    /// per-channel path at 56² and 112²; without them (WebAssembly) the 4-lane path transposes one float at a time, so
    /// there it stops at 28 for stride 1 and 14 otherwise.
    /// </summary>
    public static int BlockedMaxWidth(Isa isa, int stride) => isa switch
    {
        Isa.Avx512 or Isa.Avx2 => 56,
        Isa.Vector128 when VectorTranspose.CanTranspose4 => int.MaxValue,
        Isa.Vector128 => stride == 1 ? 28 : 14,
        _ => 0,
    };

    /// <summary>
    /// The least output width from which a planar 3×3 stride-1 layer that the direct rows take (8 lanes, one column of
    /// padding each side) runs on them rather than on the channel tiles, though it is within
    /// <see cref="BlockedMaxWidth"/>: the tiles transpose every input and output pixel, the direct rows read the rows
    /// where they lie. Kernel check on a Zen 1 EPYC, one thread: MobileNetV2's 56² × 144 537–548 µs on the direct rows
    /// against 594–631 on the tiles; 28² × 192 270–280 against 200–206, so 28-wide maps stay on the tiles.
    /// </summary>
    public const int DirectRowsOverTilesFromWidth = 29;

    /// <summary>
    /// Whether the direct rows can compute <paramref name="s"/> on <paramref name="lanes"/> lanes: 8 lanes, an undilated
    /// 3×3 stride-1 kernel with one column of padding each side (output as wide as the input), rows of at least 16
    /// outputs and at least two of them.
    /// </summary>
    public static bool DirectRowsFit(in Conv2dShape s, int lanes) =>
        lanes == 8 && s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideHeight == 1 && s.StrideWidth == 1 && s.DilationHeight == 1 && s.DilationWidth == 1
        && s.PadLeft == 1 && s.OutWidth == s.InWidth && s.OutWidth >= 16 && s.OutHeight >= 2;

    /// <summary>
    /// Whether a planar layer of <paramref name="s"/> with a bias and fusable activation (no residual) runs on the channel
    /// tiles on <paramref name="isa"/>: within <see cref="BlockedMaxWidth"/>, unless the direct rows fit from
    /// <see cref="DirectRowsOverTilesFromWidth"/> columns on.
    /// </summary>
    public static bool TakesTiles(in Conv2dShape s, Isa isa) =>
        s.OutWidth <= BlockedMaxWidth(isa, Math.Max(s.StrideHeight, s.StrideWidth))
        && !(DirectRowsFit(s, IsaSupport.VectorLanes(isa)) && s.OutWidth >= DirectRowsOverTilesFromWidth);

    public ConvDepthwise(in Conv2dShape s, ReadOnlySpan<float> weights, float* bias, Activation activation, bool residual, Isa isa, ConvLayout layout = default,
        int bandRows = 0, int threads = 1)
    {
        _layout = layout;
        _s = s;
        _bias = bias;
        _activation = activation;
        _width = IsaSupport.VectorLanes(isa);
        int taps = s.KernelHeight * s.KernelWidth;
        _weights = new GemmBuffer((long)s.OutChannels * taps);
        weights.CopyTo(new Span<float>(_weights.Pointer, s.OutChannels * taps));
        _phases = new StridePhases(s);
        _rowPairs = _width >= 8 && s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideHeight == s.StrideWidth
            && s.StrideHeight <= 2 && s.DilationHeight == 1 && s.DilationWidth == 1;
        _evenOdd = _width == 16 && Avx512F.IsSupported && s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideHeight == 2 && s.StrideWidth == 2
            && s.DilationHeight == 1 && s.DilationWidth == 1 && s.OutWidth >= 16;
        _directRows = DirectRowsFit(s, _width);

        // The blocked path fuses only what the store can (bias and a clamp or hard activation, no residual).
        // With a channel-blocked input or output, whatever the width: the tiles are what converts between the layouts.
        bool fusable = !residual && FusedActivation.TryCreate(activation, out _);
        if (layout.AnyBlocked && (!fusable || layout.Lanes != _width))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: a depthwise convolution on blocked tensors takes no residual, a clamp or hard activation and {_width} lanes (got {activation.Kind}, residual: {residual}, {layout.Lanes} lanes).");
        }

        if (fusable && (layout.AnyBlocked || TakesTiles(s, isa)))
        {
            _blocked = new DepthwiseTiles(s, weights, bias, _width, bandRows: bandRows, threads: layout.InputBlocked ? threads : 1);
        }

        // Bands of output rows for ComputeBand: the tiles' own, or for direct rows bands of an even number of rows (the
        // row-pair kernel recomputes a row of an odd band and cannot compute a single row alone), the last one taking
        // the rest.
        if (fusable && !layout.AnyBlocked && (_blocked != null || _directRows))
        {
            int bands = _blocked?.Bands ?? 0, rows = _blocked?.BandRows ?? 0;
            if (_blocked == null)
            {
                int pairRows = Math.Max(2, (bandRows > 0 ? bandRows : s.OutHeight) & ~1);
                bands = Math.Max(1, s.OutHeight / pairRows);
                rows = bands > 1 ? pairRows : s.OutHeight;
            }

            _bandStarts = new int[bands + 1];
            for (int b = 0; b < bands; b++)
            {
                _bandStarts[b] = b * rows;
            }

            _bandStarts[bands] = s.OutHeight;
        }

        Algorithm = (s.KernelHeight == 3 && s.KernelWidth == 3 ? "depthwise-3x3" : "depthwise")
            + (layout.AnyBlocked ? "-" + ConvLayout.KernelSuffix(_width) : (_blocked != null ? "-blocked-" : "-") + IsaSupport.Name(isa));
    }

    public string Algorithm { get; }

    /// <summary>The channel tiles, where they compute this convolution (tests).</summary>
    internal DepthwiseTiles? Tiles => _blocked;

    /// <summary>
    /// Bands of output rows <see cref="ComputeBand"/> computes one at a time (0: it cannot: a residual, an activation
    /// the store does not fuse, a blocked side, or a path other than the channel tiles and direct rows).
    /// </summary>
    public int Bands => _bandStarts is null ? 0 : _bandStarts.Length - 1;

    /// <summary>Output rows [first, first + count) of band <paramref name="band"/>.</summary>
    public (int First, int Count) Band(int band) => (_bandStarts![band], _bandStarts[band + 1] - _bandStarts[band]);

    /// <summary>The most output rows of any band.</summary>
    public int MaxBandRows => _bandStarts is null ? 0 : Enumerable.Range(0, Bands).Max(b => Band(b).Count);

    /// <summary>
    /// One thread computes band <paramref name="band"/>'s output rows of every channel from the whole planar
    /// <paramref name="input"/>, bias and activation fused: channel c's rows go to dst + c·<paramref name="channelStride"/>,
    /// row by row (the band's first row first). <paramref name="scratch"/> is this thread's
    /// <see cref="ScratchBytesPerThread"/> bytes. Only where <see cref="Bands"/> is not 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ComputeBand(float* input, float* dst, long channelStride, int band, byte* scratch)
    {
        FusedActivation.TryCreate(_activation, out var act);
        (int first, int rows) = Band(band);
        if (_blocked != null)
        {
            // The tiles' store writes output pixel p of channel c at output + c·outPixels + p: shifted by the band's first
            // pixel, that is the band buffer.
            var io = new FloatPlanes(input, dst - ((long)first * _s.OutWidth), (long)_s.InHeight * _s.InWidth, channelStride, _width, false, false);
            (int begin, int end, int step) = _blocked.BandItems(band);
            _blocked.Run(io, scratch, begin, end, act, step);
            return;
        }

        float* zero = (float*)scratch;
        new Span<float>(zero, DirectZeroFloats).Clear();
        long plane = (long)_s.InHeight * _s.InWidth;
        for (int c = 0; c < _s.OutChannels; c++)
        {
            DirectRowsChannel(input + (c * plane), dst + (c * channelStride), c, first, first + rows, zero, act);
        }
    }

    public long ScratchBytesPerThread => Math.Max(ChannelPlaneBytes + GemmConfig.Align64(FlatLength * (long)sizeof(float)), _blocked?.ScratchBytes ?? 0);

    // The stride-2 path's padded plane [PaddedHeight][EvenOddPitch]: one column past the padded width, which the last
    // vector's shifted load reads (a zero that no output uses).
    private int EvenOddPitch => _phases.PaddedWidth + 1;

    private long EvenOddPlaneFloats => _evenOdd ? (long)_phases.PaddedHeight * EvenOddPitch : 0;

    // The per-channel paths' plane: the phase-split one, the stride-2 path's unsplit one or the direct-rows path's zero
    // row and edge copies, whichever is larger (a direct-rows layer with a residual takes the phase-split plane).
    private long ChannelPlaneFloats => Math.Max(Math.Max(PlaneFloats, EvenOddPlaneFloats), DirectRowsFloats);

    // The direct-rows path's scratch: a zero row (DirectZeroFloats, read from one float before it) and the four rows'
    // left and right edge copies (8 × 16 floats).
    private int DirectZeroFloats => _s.InWidth + 24;

    private long DirectRowsFloats => _directRows ? DirectZeroFloats + (8 * 16) : 0;

    private long ChannelPlaneBytes => GemmConfig.Align64(ChannelPlaneFloats * sizeof(float));

    // The outputs of all rows as one run over the plane: (OH-1)·pw + OW values, pw - OW of them unused between rows.
    private int FlatLength => _phases.RunLength;

    private long PlaneFloats => _phases.PlaneElements;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        _input = input;
        _output = output;
        _residual = residual;
        _scratch = scratch;
        _runBlocked = _blocked != null && residual == null;
        pool.Run(this, _runBlocked ? _blocked!.Items : _s.OutChannels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        byte* mine = _scratch + (threadIndex * ScratchBytesPerThread);
        if (_runBlocked)
        {
            FusedActivation.TryCreate(_activation, out var blockAct);
            var io = new FloatPlanes(_input, _output, (long)_s.InHeight * _s.InWidth, (long)_s.OutHeight * _s.OutWidth, _width, _layout.InputBlocked, _layout.OutputBlocked);
            _blocked!.Run(io, mine, begin, end, blockAct);
            return;
        }

        float* plane = (float*)mine;
        float* flat = (float*)(mine + ChannelPlaneBytes);
        long inPlane = (long)_s.InHeight * _s.InWidth;
        long outPlane = (long)_s.OutHeight * _s.OutWidth;
        int ow = _s.OutWidth, pw = _phases.PhaseWidth, length = FlatLength;

        // Bias and a clamp or hard activation (None, ReLU, Clip, HardSigmoid, HardSwish) are applied in registers
        // before the store; with a residual or another activation, a second pass over the output does it. Rows at
        // least two vectors wide are computed straight into the output; narrower ones (14, 7) as one run over the
        // plane, then copied row by row.
        bool fused = FusedActivation.TryCreate(_activation, out var act) && _residual == null;
        if (!fused)
        {
            act = FusedActivation.None;
        }

        if (fused && _directRows)
        {
            // No plane: only the zero row (the edge copies are written whole before they are read).
            new Span<float>(plane, DirectZeroFloats).Clear();
            ExecuteDirectRows(begin, end, plane, act);
            return;
        }

        // Sub-plane rows past the padded height are never filled; unused output columns read them, so keep them zero
        // (the values are dropped, but stale bits could be denormals, which are slow).
        new Span<float>(plane, (int)ChannelPlaneFloats).Clear();

        bool direct = fused && ow >= 2 * _width;
        if (fused && _evenOdd)
        {
            ExecuteEvenOdd(begin, end, plane, act);
            return;
        }

        for (int c = begin; c < end; c++)
        {
            _phases.Fill(_input + (c * inPlane), plane);
            float* o = _output + (c * outPlane);
            float* wts = _weights.Pointer + ((long)c * _phases.TapOffsets.Length);
            float bias = fused ? _bias[c] : 0f;
            if (direct)
            {
                int oy = 0;
                if (_rowPairs)
                {
                    for (; oy + 1 < _s.OutHeight; oy += 2)
                    {
                        ComputeRowPair3x3(plane + ((long)oy * pw), wts, pw, o + ((long)oy * ow), ow, bias, act);
                    }
                }

                for (; oy < _s.OutHeight; oy++)
                {
                    ComputeSpan(plane + ((long)oy * pw), wts, o + ((long)oy * ow), ow, bias, act);
                }

                continue;
            }

            ComputeSpan(plane, wts, flat, length, bias, act);
            if (fused)
            {
                for (int oy = 0; oy < _s.OutHeight; oy++)
                {
                    new ReadOnlySpan<float>(flat + ((long)oy * pw), ow).CopyTo(new Span<float>(o + ((long)oy * ow), ow));
                }

                continue;
            }

            // Each row's OW values, with bias and residual (which may alias the output: read before written) and the activation.
            float* res = _residual != null ? _residual + (c * outPlane) : null;
            for (int oy = 0; oy < _s.OutHeight; oy++)
            {
                GemmEpilogue.CombineActivate(flat + ((long)oy * pw), o + ((long)oy * ow), ow, _bias[c], null, res == null ? null : res + ((long)oy * ow), 1f, _activation);
            }
        }
    }

    // 3×3 stride 2 on AVX-512, channels [begin, end): each channel's rows are copied into a zero-padded plane (no
    // phase split), and for 16 outputs of a row each of the three input rows gives its three taps' vectors by two-source
    // permutes of four loads (even columns, odd columns, even columns one further) — the input is read and written
    // once instead of being split into four phase planes first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteEvenOdd(int begin, int end, float* plane, in FusedActivation act)
    {
        int pitch = EvenOddPitch, ow = _s.OutWidth, w = _s.InWidth;
        int rows = Math.Min(_s.InHeight, _phases.PaddedHeight - _s.PadTop), cols = Math.Min(w, _phases.PaddedWidth - _s.PadLeft);
        long inPlane = (long)_s.InHeight * w, outPlane = (long)_s.OutHeight * ow;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        for (int c = begin; c < end; c++)
        {
            float* src = _input + (c * inPlane);
            for (int iy = 0; iy < rows; iy++)
            {
                new ReadOnlySpan<float>(src + ((long)iy * w), cols).CopyTo(new Span<float>(plane + ((long)(iy + _s.PadTop) * pitch) + _s.PadLeft, cols));
            }

            float* wts = _weights.Pointer + ((long)c * 9);
            var w0 = Vector512.Create(wts[0]); var w1 = Vector512.Create(wts[1]); var w2 = Vector512.Create(wts[2]);
            var w3 = Vector512.Create(wts[3]); var w4 = Vector512.Create(wts[4]); var w5 = Vector512.Create(wts[5]);
            var w6 = Vector512.Create(wts[6]); var w7 = Vector512.Create(wts[7]); var w8 = Vector512.Create(wts[8]);
            var b = Vector512.Create(_bias[c]);
            float* o = _output + (c * outPlane);
            for (int oy = 0; oy < _s.OutHeight; oy++)
            {
                float* r0 = plane + ((long)(2 * oy) * pitch);
                float* orow = o + ((long)oy * ow);
                for (int x = 0; ; x += 16)
                {
                    // The last vector ends at the last output (it recomputes a few: same values).
                    int ox = Math.Min(x, ow - 16);
                    float* q = r0 + (2 * ox);
                    var acc = EvenOddRow(q, w0, w1, w2, even, odd, b);
                    acc = EvenOddRow(q + pitch, w3, w4, w5, even, odd, acc);
                    acc = EvenOddRow(q + (2 * pitch), w6, w7, w8, even, odd, acc);
                    act.Apply(acc).Store(orow + ox);
                    if (ox + 16 >= ow)
                    {
                        break;
                    }
                }
            }
        }
    }

    // 3×3 stride 1 with one column of zero padding each side on 8 lanes, channels [begin, end): no plane copy. Output
    // rows are computed two at a time from the four input rows they read, taken where they lie (a row of padding is a
    // zero row); the interior vectors read each row at x − 1, x, x + 1, and the first and last vector of a row (which
    // read the padding columns) read 16-float copies of the rows' ends with the zero put in. An odd last row is
    // computed with the row before it (recomputing that one: same values).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteDirectRows(int begin, int end, float* scratch, in FusedActivation act)
    {
        long plane = (long)_s.InHeight * _s.InWidth, outPlane = (long)_s.OutHeight * _s.OutWidth;
        for (int c = begin; c < end; c++)
        {
            DirectRowsChannel(_input + (c * plane), _output + (c * outPlane), c, 0, _s.OutHeight, scratch, act);
        }
    }

    // Channel c's output rows [oy0, oy1) (at least two) from its plane src, row oy at o + (oy − oy0)·OW; scratch holds
    // the zero row (cleared by the caller) and the edge copies.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DirectRowsChannel(float* src, float* o, int c, int oy0, int oy1, float* scratch, in FusedActivation act)
    {
        int w = _s.InWidth, h = _s.InHeight, ow = _s.OutWidth;
        float* zero = scratch + 8; // zero[-1 .. w + 15] are zero
        float* left = scratch + DirectZeroFloats, right = left + (4 * 16);
        float** rows = stackalloc float*[4];
        float* wts = _weights.Pointer + ((long)c * 9);
        float bias = _bias[c];
        for (int oy = oy0; ; oy += 2)
        {
            oy = Math.Min(oy, oy1 - 2);
            for (int r = 0; r < 4; r++)
            {
                int iy = oy - _s.PadTop + r;
                float* row = (uint)iy < (uint)h ? src + ((long)iy * w) : zero;
                rows[r] = row - 1;

                // Columns −1 .. 14 and w − 9 .. w (the zero past the end at 9).
                float* l = left + (r * 16), rt = right + (r * 16);
                l[0] = 0f;
                Vector256.Load(row).Store(l + 1);
                l[9] = row[8];
                Vector256.Load(row + w - 9).Store(rt);
                rt[8] = row[w - 1];
                rt[9] = 0f;
            }

            float* d0 = o + ((long)(oy - oy0) * ow), d1 = d0 + ow;
            RowPairRows3x3V256(left, left + 16, left + 32, left + 48, wts, bias, d0, d1, 0, 8, act);
            RowPairRows3x3V256(rows[0], rows[1], rows[2], rows[3], wts, bias, d0, d1, 8, w - 8, act);
            RowPairRows3x3V256(right, right + 16, right + 32, right + 48, wts, bias, d0 + (ow - 8), d1 + (ow - 8), 0, 8, act);
            if (oy + 2 >= oy1)
            {
                break;
            }
        }
    }

    // Outputs [from, to) of two rows by 8-wide vectors, from x < to on: row 0 (d0) from input rows r0..r2, row 1 (d1)
    // from r1..r3, output x reading r[x], r[x + 1], r[x + 2]. Each output's nine taps are three row sums of three
    // (three short FMA chains added, not one of nine: that one is latency-bound). The rows both outputs read are loaded
    // once for each, as the multiply-adds' memory operands: held in registers and shared, every multiply-add that read
    // one of them needed a register copy first (the JIT's FMA form overwrites a source), six copies a step, and the
    // loop ran 5 % slower (kernel check, MobileNetV2's 112² × 32 on a Zen 1 EPYC: 442–461 → 418–430 µs).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPairRows3x3V256(float* r0, float* r1, float* r2, float* r3, float* wts, float bias, float* d0, float* d1, int from, int to, in FusedActivation act)
    {
        var w0 = Vector256.Create(wts[0]); var w1 = Vector256.Create(wts[1]); var w2 = Vector256.Create(wts[2]);
        var w3 = Vector256.Create(wts[3]); var w4 = Vector256.Create(wts[4]); var w5 = Vector256.Create(wts[5]);
        var w6 = Vector256.Create(wts[6]); var w7 = Vector256.Create(wts[7]); var w8 = Vector256.Create(wts[8]);
        var b = Vector256.Create(bias);
        for (int x = from; x < to; x += 8)
        {
            var a = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + x + 2), w2, Vector256.FusedMultiplyAdd(Vector256.Load(r0 + x + 1), w1, Vector256.FusedMultiplyAdd(Vector256.Load(r0 + x), w0, b)));
            a += Vector256.FusedMultiplyAdd(Vector256.Load(r1 + x + 2), w5, Vector256.FusedMultiplyAdd(Vector256.Load(r1 + x + 1), w4, Vector256.Load(r1 + x) * w3));
            var c = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + x + 2), w2, Vector256.FusedMultiplyAdd(Vector256.Load(r1 + x + 1), w1, Vector256.FusedMultiplyAdd(Vector256.Load(r1 + x), w0, b)));
            a += Vector256.FusedMultiplyAdd(Vector256.Load(r2 + x + 2), w8, Vector256.FusedMultiplyAdd(Vector256.Load(r2 + x + 1), w7, Vector256.Load(r2 + x) * w6));
            c += Vector256.FusedMultiplyAdd(Vector256.Load(r2 + x + 2), w5, Vector256.FusedMultiplyAdd(Vector256.Load(r2 + x + 1), w4, Vector256.Load(r2 + x) * w3));
            act.Apply(a).Store(d0 + x);
            c += Vector256.FusedMultiplyAdd(Vector256.Load(r3 + x + 2), w8, Vector256.FusedMultiplyAdd(Vector256.Load(r3 + x + 1), w7, Vector256.Load(r3 + x) * w6));
            act.Apply(c).Store(d1 + x);
        }
    }

    // acc + k0·q[0, 2, .., 30] + k1·q[1, 3, .., 31] + k2·q[2, 4, .., 32]: one input row's three taps for 16 outputs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> EvenOddRow(float* q, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2,
        Vector512<int> even, Vector512<int> odd, Vector512<float> acc)
    {
        Vector512<float> a = Vector512.Load(q), a16 = Vector512.Load(q + 16);
        acc = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(a, even, a16), k0, acc);
        acc = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(a, odd, a16), k1, acc);
        return Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(Vector512.Load(q + 2), even, Vector512.Load(q + 18)), k2, acc);
    }

    // Output rows oy and oy + 1 (dst and dst + ow) of an undilated 3×3 kernel of stride 1 or 2, p at plane row oy. In
    // the phase plane row oy + 1 reads what row oy reads one phase row down, so the taps of row oy + 1 that row oy
    // also reads are loaded once: its first six taps are row oy's last six at stride 1 (12 loads for two vectors of
    // outputs instead of 18), its first three at stride 2 (15); the two rows' sums are independent FMA chains.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeRowPair3x3(float* p, float* wts, int pw, float* dst, int ow, float bias, in FusedActivation act)
    {
        bool stride1 = _s.StrideHeight == 1;
        fixed (int* offs = _phases.TapOffsets)
        {
            if (_width == 16)
            {
                int x = RowPair3x3V512(p, wts, offs, pw, stride1, dst, ow, ow, bias, act);
                if (ow - x >= 8)
                {
                    x += RowPair3x3V256(p + x, wts, offs, pw, stride1, dst + x, ow, 8, bias, act);
                }

                if (x < ow)
                {
                    // The tail as one more full vector ending at the last element (it recomputes a few: same values).
                    _ = RowPair3x3V512(p + (ow - 16), wts, offs, pw, stride1, dst + (ow - 16), ow, 16, bias, act);
                }
            }
            else
            {
                int x = RowPair3x3V256(p, wts, offs, pw, stride1, dst, ow, ow, bias, act);
                if (x < ow)
                {
                    _ = RowPair3x3V256(p + (ow - 8), wts, offs, pw, stride1, dst + (ow - 8), ow, 8, bias, act);
                }
            }
        }
    }

    // The first `length` outputs of rows (dst, dst + ow) by 16-wide vectors; returns how many were computed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowPair3x3V512(float* p, float* wts, int* offs, int pw, bool stride1, float* dst, int ow, int length, float bias, in FusedActivation act)
    {
        var w0 = Vector512.Create(wts[0]); var w1 = Vector512.Create(wts[1]); var w2 = Vector512.Create(wts[2]);
        var w3 = Vector512.Create(wts[3]); var w4 = Vector512.Create(wts[4]); var w5 = Vector512.Create(wts[5]);
        var w6 = Vector512.Create(wts[6]); var w7 = Vector512.Create(wts[7]); var w8 = Vector512.Create(wts[8]);
        var b = Vector512.Create(bias);
        float* p0 = p + offs[0]; float* p1 = p + offs[1]; float* p2 = p + offs[2];
        float* p3 = p + offs[3]; float* p4 = p + offs[4]; float* p5 = p + offs[5];
        float* p6 = p + offs[6]; float* p7 = p + offs[7]; float* p8 = p + offs[8];
        int x = 0;
        for (; x <= length - 16; x += 16)
        {
            // Row by row of the plane, so few loaded vectors are live at once (AVX2 has 16 registers).
            var v0 = Vector512.Load(p0 + x); var v1 = Vector512.Load(p1 + x); var v2 = Vector512.Load(p2 + x);
            var a = Vector512.FusedMultiplyAdd(v2, w2, Vector512.FusedMultiplyAdd(v1, w1, Vector512.FusedMultiplyAdd(v0, w0, b)));
            var v3 = Vector512.Load(p3 + x); var v4 = Vector512.Load(p4 + x); var v5 = Vector512.Load(p5 + x);
            a = Vector512.FusedMultiplyAdd(v5, w5, Vector512.FusedMultiplyAdd(v4, w4, Vector512.FusedMultiplyAdd(v3, w3, a)));
            var c = stride1 ? Vector512.FusedMultiplyAdd(v5, w2, Vector512.FusedMultiplyAdd(v4, w1, Vector512.FusedMultiplyAdd(v3, w0, b))) : b;
            var v6 = Vector512.Load(p6 + x); var v7 = Vector512.Load(p7 + x); var v8 = Vector512.Load(p8 + x);
            a = Vector512.FusedMultiplyAdd(v8, w8, Vector512.FusedMultiplyAdd(v7, w7, Vector512.FusedMultiplyAdd(v6, w6, a)));
            if (stride1)
            {
                c = Vector512.FusedMultiplyAdd(v8, w5, Vector512.FusedMultiplyAdd(v7, w4, Vector512.FusedMultiplyAdd(v6, w3, c)));
            }
            else
            {
                c = Vector512.FusedMultiplyAdd(v8, w2, Vector512.FusedMultiplyAdd(v7, w1, Vector512.FusedMultiplyAdd(v6, w0, c)));
                c = Vector512.FusedMultiplyAdd(Vector512.Load(p3 + pw + x), w3, c);
                c = Vector512.FusedMultiplyAdd(Vector512.Load(p4 + pw + x), w4, c);
                c = Vector512.FusedMultiplyAdd(Vector512.Load(p5 + pw + x), w5, c);
            }

            act.Apply(a).Store(dst + x);
            c = Vector512.FusedMultiplyAdd(Vector512.Load(p6 + pw + x), w6, c);
            c = Vector512.FusedMultiplyAdd(Vector512.Load(p7 + pw + x), w7, c);
            c = Vector512.FusedMultiplyAdd(Vector512.Load(p8 + pw + x), w8, c);
            act.Apply(c).Store(dst + ow + x);
        }

        return x;
    }

    // The 8-wide twin of RowPair3x3V512.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowPair3x3V256(float* p, float* wts, int* offs, int pw, bool stride1, float* dst, int ow, int length, float bias, in FusedActivation act)
    {
        var w0 = Vector256.Create(wts[0]); var w1 = Vector256.Create(wts[1]); var w2 = Vector256.Create(wts[2]);
        var w3 = Vector256.Create(wts[3]); var w4 = Vector256.Create(wts[4]); var w5 = Vector256.Create(wts[5]);
        var w6 = Vector256.Create(wts[6]); var w7 = Vector256.Create(wts[7]); var w8 = Vector256.Create(wts[8]);
        var b = Vector256.Create(bias);
        float* p0 = p + offs[0]; float* p1 = p + offs[1]; float* p2 = p + offs[2];
        float* p3 = p + offs[3]; float* p4 = p + offs[4]; float* p5 = p + offs[5];
        float* p6 = p + offs[6]; float* p7 = p + offs[7]; float* p8 = p + offs[8];
        int x = 0;
        for (; x <= length - 8; x += 8)
        {
            // Each output's nine taps as three row sums added at the end (three FMA chains of three instead of one of
            // nine: a nine-long chain is latency-bound); row by row of the plane, so few loaded vectors are live at once
            // (AVX2 has 16 registers).
            var a = Vector256.FusedMultiplyAdd(Vector256.Load(p2 + x), w2, Vector256.FusedMultiplyAdd(Vector256.Load(p1 + x), w1, Vector256.FusedMultiplyAdd(Vector256.Load(p0 + x), w0, b)));
            var v3 = Vector256.Load(p3 + x); var v4 = Vector256.Load(p4 + x); var v5 = Vector256.Load(p5 + x);
            a += Vector256.FusedMultiplyAdd(v5, w5, Vector256.FusedMultiplyAdd(v4, w4, v3 * w3));
            Vector256<float> c;
            if (stride1)
            {
                c = Vector256.FusedMultiplyAdd(v5, w2, Vector256.FusedMultiplyAdd(v4, w1, Vector256.FusedMultiplyAdd(v3, w0, b)));
                var v6 = Vector256.Load(p6 + x); var v7 = Vector256.Load(p7 + x); var v8 = Vector256.Load(p8 + x);
                a += Vector256.FusedMultiplyAdd(v8, w8, Vector256.FusedMultiplyAdd(v7, w7, v6 * w6));
                c += Vector256.FusedMultiplyAdd(v8, w5, Vector256.FusedMultiplyAdd(v7, w4, v6 * w3));
            }
            else
            {
                var v6 = Vector256.Load(p6 + x); var v7 = Vector256.Load(p7 + x); var v8 = Vector256.Load(p8 + x);
                a += Vector256.FusedMultiplyAdd(v8, w8, Vector256.FusedMultiplyAdd(v7, w7, v6 * w6));
                c = Vector256.FusedMultiplyAdd(v8, w2, Vector256.FusedMultiplyAdd(v7, w1, Vector256.FusedMultiplyAdd(v6, w0, b)));
                c += Vector256.FusedMultiplyAdd(Vector256.Load(p5 + pw + x), w5, Vector256.FusedMultiplyAdd(Vector256.Load(p4 + pw + x), w4, Vector256.Load(p3 + pw + x) * w3));
            }

            act.Apply(a).Store(dst + x);
            c += Vector256.FusedMultiplyAdd(Vector256.Load(p8 + pw + x), w8, Vector256.FusedMultiplyAdd(Vector256.Load(p7 + pw + x), w7, Vector256.Load(p6 + pw + x) * w6));
            act.Apply(c).Store(dst + ow + x);
        }

        return x;
    }

    // dst[x] = act(bias + Σ_t wts[t]·basep[offs[t] + x]) for x in [0, length).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeSpan(float* basep, float* wts, float* dst, int length, float bias, in FusedActivation act)
    {
        int taps = _phases.TapOffsets.Length;
        bool three = taps == 9 && _s.KernelHeight == 3;
        fixed (int* offs = _phases.TapOffsets)
        {
            int x = 0;
            if (_width == 16 && length >= 16)
            {
                x = three ? Row3x3V512(basep, wts, offs, dst, length, bias, act) : RowV512(basep, wts, offs, taps, dst, length, bias, act);
                if (length - x >= 8)
                {
                    // Half a vector left (rows of 56, 24, ...): one 256-bit step instead of recomputing 8 values.
                    x += three ? Row3x3V256(basep + x, wts, offs, dst + x, 8, bias, act) : RowV256(basep + x, wts, offs, taps, dst + x, 8, bias, act);
                }

                if (x < length)
                {
                    // The tail as one more full vector ending at the last element (it recomputes a few: same values).
                    int t0 = length - 16;
                    _ = three ? Row3x3V512(basep + t0, wts, offs, dst + t0, 16, bias, act) : RowV512(basep + t0, wts, offs, taps, dst + t0, 16, bias, act);
                    x = length;
                }
            }
            else if (_width >= 8 && length >= 8)
            {
                x = three ? Row3x3V256(basep, wts, offs, dst, length, bias, act) : RowV256(basep, wts, offs, taps, dst, length, bias, act);
                if (x < length)
                {
                    int t0 = length - 8;
                    _ = three ? Row3x3V256(basep + t0, wts, offs, dst + t0, 8, bias, act) : RowV256(basep + t0, wts, offs, taps, dst + t0, 8, bias, act);
                    x = length;
                }
            }
            else if (_width == 4)
            {
                for (; x <= length - 4; x += 4)
                {
                    var acc = Vector128.Create(bias);
                    for (int t = 0; t < taps; t++)
                    {
                        acc += Vector128.Create(wts[t]) * Vector128.Load(basep + offs[t] + x);
                    }

                    act.Apply(acc).Store(dst + x);
                }
            }

            for (; x < length; x++)
            {
                float acc = bias;
                for (int t = 0; t < taps; t++)
                {
                    acc += wts[t] * basep[offs[t] + x];
                }

                dst[x] = act.Apply(acc);
            }
        }
    }

    // Any kernel size: blocks of four vectors with the taps outer, so each weight is broadcast once per block and four
    // independent FMA chains are in flight; then single vectors. Returns the first output not computed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowV512(float* p, float* wts, int* offs, int taps, float* dst, int length, float bias, in FusedActivation act)
    {
        var b = Vector512.Create(bias);
        int x = 0;
        for (; x <= length - 64; x += 64)
        {
            Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b;
            for (int t = 0; t < taps; t++)
            {
                var wv = Vector512.Create(wts[t]);
                float* q = p + offs[t] + x;
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q), wv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 16), wv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 32), wv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 48), wv, a3);
            }

            act.Apply(a0).Store(dst + x);
            act.Apply(a1).Store(dst + x + 16);
            act.Apply(a2).Store(dst + x + 32);
            act.Apply(a3).Store(dst + x + 48);
        }

        for (; x <= length - 16; x += 16)
        {
            var acc = b;
            for (int t = 0; t < taps; t++)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(p + offs[t] + x), Vector512.Create(wts[t]), acc);
            }

            act.Apply(acc).Store(dst + x);
        }

        return x;
    }

    // The 8-wide twin of RowV512.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowV256(float* p, float* wts, int* offs, int taps, float* dst, int length, float bias, in FusedActivation act)
    {
        var b = Vector256.Create(bias);
        int x = 0;
        for (; x <= length - 32; x += 32)
        {
            Vector256<float> a0 = b, a1 = b, a2 = b, a3 = b;
            for (int t = 0; t < taps; t++)
            {
                var wv = Vector256.Create(wts[t]);
                float* q = p + offs[t] + x;
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q), wv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q + 8), wv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q + 16), wv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q + 24), wv, a3);
            }

            act.Apply(a0).Store(dst + x);
            act.Apply(a1).Store(dst + x + 8);
            act.Apply(a2).Store(dst + x + 16);
            act.Apply(a3).Store(dst + x + 24);
        }

        for (; x <= length - 8; x += 8)
        {
            var acc = b;
            for (int t = 0; t < taps; t++)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(p + offs[t] + x), Vector256.Create(wts[t]), acc);
            }

            act.Apply(acc).Store(dst + x);
        }

        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Row3x3V256(float* p, float* wts, int* offs, float* orow, int ow, float bias, in FusedActivation act)
    {
        var w0 = Vector256.Create(wts[0]); var w1 = Vector256.Create(wts[1]); var w2 = Vector256.Create(wts[2]);
        var w3 = Vector256.Create(wts[3]); var w4 = Vector256.Create(wts[4]); var w5 = Vector256.Create(wts[5]);
        var w6 = Vector256.Create(wts[6]); var w7 = Vector256.Create(wts[7]); var w8 = Vector256.Create(wts[8]);
        var b = Vector256.Create(bias);
        float* p0 = p + offs[0]; float* p1 = p + offs[1]; float* p2 = p + offs[2];
        float* p3 = p + offs[3]; float* p4 = p + offs[4]; float* p5 = p + offs[5];
        float* p6 = p + offs[6]; float* p7 = p + offs[7]; float* p8 = p + offs[8];
        int x = 0;
        for (; x <= ow - 8; x += 8)
        {
            var acc = Vector256.FusedMultiplyAdd(Vector256.Load(p0 + x), w0, b);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p1 + x), w1, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p2 + x), w2, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p3 + x), w3, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p4 + x), w4, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p5 + x), w5, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p6 + x), w6, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p7 + x), w7, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(p8 + x), w8, acc);
            act.Apply(acc).Store(orow + x);
        }

        return x;
    }

    // The AVX-512 twin of Row3x3V256 (generic Vector512 code, emulated where the hardware lacks it).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Row3x3V512(float* p, float* wts, int* offs, float* orow, int ow, float bias, in FusedActivation act)
    {
        var w0 = Vector512.Create(wts[0]); var w1 = Vector512.Create(wts[1]); var w2 = Vector512.Create(wts[2]);
        var w3 = Vector512.Create(wts[3]); var w4 = Vector512.Create(wts[4]); var w5 = Vector512.Create(wts[5]);
        var w6 = Vector512.Create(wts[6]); var w7 = Vector512.Create(wts[7]); var w8 = Vector512.Create(wts[8]);
        var b = Vector512.Create(bias);
        float* p0 = p + offs[0]; float* p1 = p + offs[1]; float* p2 = p + offs[2];
        float* p3 = p + offs[3]; float* p4 = p + offs[4]; float* p5 = p + offs[5];
        float* p6 = p + offs[6]; float* p7 = p + offs[7]; float* p8 = p + offs[8];
        int x = 0;
        for (; x <= ow - 16; x += 16)
        {
            var acc = Vector512.FusedMultiplyAdd(Vector512.Load(p0 + x), w0, b);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p1 + x), w1, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p2 + x), w2, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p3 + x), w3, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p4 + x), w4, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p5 + x), w5, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p6 + x), w6, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p7 + x), w7, acc);
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(p8 + x), w8, acc);
            act.Apply(acc).Store(orow + x);
        }

        return x;
    }

    public void Dispose()
    {
        _weights.Dispose();
        _blocked?.Dispose();
    }

    // Float channels in and out of the blocked path's tiles: planar planes (transposed) or channel blocks (copied).
    internal readonly struct FloatPlanes(float* input, float* output, long inPixels, long outPixels, int v, bool inputBlocked, bool outputBlocked) : ITileIO
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int c0, int n, int p0, int count, float* tile, int* pixelOffsets, byte* scratch)
        {
            if (inputBlocked)
            {
                float* src = input + (c0 * inPixels) + ((long)p0 * v);
                if (v == 16)
                {
                    BlockToTile<Lanes512>(src, count, tile, pixelOffsets);
                }
                else if (v == 8)
                {
                    BlockToTile<Lanes256>(src, count, tile, pixelOffsets);
                }
                else
                {
                    BlockToTile<Lanes128>(src, count, tile, pixelOffsets);
                }

                return;
            }

            DepthwiseTiles.ChannelsToTile(input + (c0 * inPixels) + p0, count, inPixels, n, v, tile, pixelOffsets);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* DirectInput(int c0) => inputBlocked ? input + (c0 * inPixels) : null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* DirectOutput(int c0, int p0) => outputBlocked ? output + (c0 * outPixels) + ((long)p0 * v) : null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(float* outTile, int c0, int n, int p0, int count, byte* scratch)
        {
            if (outputBlocked)
            {
                // The tile's lanes past n are the zero channels of the last block (zero weights and bias).
                float* dst = output + (c0 * outPixels) + ((long)p0 * v);
                if (v == 16)
                {
                    TileToBlock<Lanes512>(outTile, (long)count * v, dst);
                }
                else if (v == 8)
                {
                    TileToBlock<Lanes256>(outTile, (long)count * v, dst);
                }
                else
                {
                    TileToBlock<Lanes128>(outTile, (long)count * v, dst);
                }

                return;
            }

            DepthwiseTiles.TileToChannels(outTile, count, outPixels, n, v, output + (c0 * outPixels) + p0);
        }

        // A block's pixels [pixel][v] → the tile, pixel p at tile + pixelOffsets[p]: four loads, then four stores (a
        // store followed by a load whose address matches it modulo 4 KiB stalls; in-process A/B on Zen 4: the blocked
        // depthwise layers 1.09 → 1.02 of the planar path's time on AVX2, 0.99 → 0.96 on AVX-512), vector by vector
        // (one Buffer.MemoryCopy per input row measured 1.3–2× slower).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void BlockToTile<TV>(float* src, int pixels, float* tile, int* pixelOffsets)
            where TV : struct, ILanes<TV>
        {
            int v = TV.Count, p = 0;
            for (; p + 4 <= pixels; p += 4, src += 4 * v)
            {
                TV a = TV.Load(src), b = TV.Load(src + v), c = TV.Load(src + (2 * v)), d = TV.Load(src + (3 * v));
                a.Store(tile + pixelOffsets[p]);
                b.Store(tile + pixelOffsets[p + 1]);
                c.Store(tile + pixelOffsets[p + 2]);
                d.Store(tile + pixelOffsets[p + 3]);
            }

            for (; p < pixels; p++, src += v)
            {
                TV.Load(src).Store(tile + pixelOffsets[p]);
            }
        }

        // The output tile [pixel][v] → the block's pixels, four vectors loaded, then stored.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void TileToBlock<TV>(float* outTile, long floats, float* dst)
            where TV : struct, ILanes<TV>
        {
            int v = TV.Count;
            long i = 0;
            for (; i + (4 * v) <= floats; i += 4 * v)
            {
                TV a = TV.Load(outTile + i), b = TV.Load(outTile + i + v), c = TV.Load(outTile + i + (2 * v)), d = TV.Load(outTile + i + (3 * v));
                a.Store(dst + i);
                b.Store(dst + i + v);
                c.Store(dst + i + (2 * v));
                d.Store(dst + i + (3 * v));
            }

            for (; i < floats; i += v)
            {
                TV.Load(outTile + i).Store(dst + i);
            }
        }
    }
}

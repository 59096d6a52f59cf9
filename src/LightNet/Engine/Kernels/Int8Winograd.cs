using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized 3×3 stride-1 convolution by Winograd F(2×2, 3×3) in exact integer arithmetic, on AVX-512BW or AVX2: each
/// 2×2 block of output pixels takes 16 products per input × output channel instead of the direct form's 36.
/// <para>
/// The exactness: the input transform Bᵀ·d·B of a 4×4 patch of uint8 codes is a sum of at most four codes with signs
/// (|v| ≤ 1020, int16); the weight transform is taken with 2·G instead of G (no halves: (2G)·g·(2G)ᵀ = 4·G·g·Gᵀ, at most
/// 9·|w| ≤ 2295, int16), so the products summed over the input channels with <c>vpmaddwd</c> (channel pairs) give
/// 4× the convolution's integer sums after Aᵀ·M·A. The intermediate int32 sums may wrap, but every step is a ring
/// operation modulo 2³², so the result is exact whenever the true 4× sum fits in an int32 (<see cref="Supports"/> bounds
/// it from the weights); shifted right by 2, requantized like the direct kernel's (the bias, zero-point correction
/// included, added before the scale). The codes are ONNX Runtime's, bit for bit.
/// </para>
/// <para>
/// The run: the input is copied into a padded pixel-major buffer (<see cref="PixelMajorCodes.PaddedRows"/>, the border
/// and the channels beyond the input's the zero point: their weights are zero). A work item is a run of two register
/// blocks of tiles × a group of output channel blocks: the tiles' 16 transformed positions go into a per-thread buffer
/// [position][tile][channel] (int16), then for each output block and position a register block sums the input channels
/// (on AVX-512 6 tiles × 32 channels: 12 int32 registers, 2 weight loads and 6 broadcasts per 12 <c>vpmaddwd</c>; on
/// AVX2's 16 registers 4 tiles × 16 channels) into [position][tile][channels] int32, whose output transform, shift and
/// requantization write 2×2 pixels of pixel-major codes. A group's transformed weights (16 positions × Cin × the block's
/// channels × 2 bytes a block) stay in L2 across its runs; the next position's slice is prefetched.
/// </para>
/// </summary>
internal sealed unsafe class Int8Winograd : IInt8Convolution
{
    /// <summary>Register blocks of tiles per work item (they share each weight slice while it is in L1).</summary>
    private const int RunBlocks = 2;

    /// <summary>Transformed positions of a tile (4×4).</summary>
    private const int Positions = 16;

    /// <summary>Transformed weight bytes of a group of output blocks (they stay in L2 while a thread runs the group's tiles).</summary>
    private const int GroupWeightBytes = 512 * 1024;

    private readonly Conv2dShape _s;
    private readonly short[] _u;   // [block][position][input channel pair][block's oc][2] int16: (2G)·g·(2G)ᵀ
    private readonly int[] _bias;  // per padded output channel, zero-point correction included
    private readonly float[] _scale;
    private readonly int _outputZero, _min, _max;
    private readonly int _inPixel, _pairs, _blocks, _tilesX, _tiles, _tileBlocks, _runs, _groups, _groupBlocks;
    private readonly int _paddedHeight, _paddedWidth, _threads;
    private readonly bool _outputPixelMajor;
    private readonly bool _wide; // 512-bit registers (else 256)
    private readonly int _tileBlock, _channelBlock, _runTiles, _step; // tiles and output channels of a register block; input channels a transform step
    private readonly PixelMajorCodes.Passes _passes;
    private byte* _padded, _pixelMajor, _work;

    /// <param name="s">The geometry: 3×3, stride 1, dilation 1, one group (<see cref="Supports"/>).</param>
    /// <param name="weights">[Cout, Cin·9] zero-point-centred integer weights.</param>
    /// <param name="bias">Per output channel int32 bias (at input scale × weight scale).</param>
    /// <param name="scale">Per output channel multiplier input_scale·weight_scale/output_scale.</param>
    /// <param name="inputZero">The input zero point (uint8 domain).</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code (a fused ReLU raises it to the zero point).</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="isa"><see cref="Isa.Avx512"/> (AVX-512BW, 512-bit registers) or <see cref="Isa.Avx2"/>.</param>
    /// <param name="threads">Worker threads (for the scratch size and the work split).</param>
    /// <param name="inputPixelMajor">The input is pixel-major ([H][W][C] codes, <see cref="QuantizedLayout"/>) instead of NCHW.</param>
    /// <param name="outputPixelMajor">Write the output pixel-major instead of NCHW.</param>
    public Int8Winograd(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Isa isa, int threads, bool inputPixelMajor = false, bool outputPixelMajor = false)
    {
        if (!Supports(s, weights, isa))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Int8Winograd: {s} at {isa} is not a 3×3 stride-1 convolution this machine runs by integer Winograd (AVX-512BW or AVX2, sums within int32).");
        }

        _wide = isa == Isa.Avx512;
        (_tileBlock, _channelBlock, _step) = _wide ? (6, 32, 32) : (4, 16, 16);
        _runTiles = _tileBlock * RunBlocks;

        _s = s;
        _outputZero = outputZero;
        _min = min;
        _max = max;
        _threads = threads;
        _outputPixelMajor = outputPixelMajor;
        _inPixel = (s.InChannels + _step - 1) / _step * _step;
        _pairs = _inPixel / 2;
        _blocks = (s.OutChannels + _channelBlock - 1) / _channelBlock;
        int tilesY = (s.OutHeight + 1) / 2;
        _tilesX = (s.OutWidth + 1) / 2;
        _tiles = tilesY * _tilesX;
        _tileBlocks = (_tiles + _tileBlock - 1) / _tileBlock;
        _runs = (_tileBlocks + RunBlocks - 1) / RunBlocks;
        _paddedHeight = (2 * tilesY) + 2;
        _paddedWidth = (2 * _tilesX) + 2;

        long blockBytes = (long)Positions * _pairs * _channelBlock * 2 * sizeof(short);
        int groups = (int)(((_blocks * blockBytes) + GroupWeightBytes - 1) / GroupWeightBytes);
        groups = Math.Clamp(Math.Max(groups, ((threads * 4) + _runs - 1) / _runs), 1, _blocks); // enough items for the threads
        _groupBlocks = (_blocks + groups - 1) / groups;
        _groups = (_blocks + _groupBlocks - 1) / _groupBlocks;

        _u = GC.AllocateArray<short>(_blocks * Positions * _pairs * _channelBlock * 2, pinned: true);
        _bias = new int[_blocks * _channelBlock];
        _scale = new float[_blocks * _channelBlock];
        Span<int> t = stackalloc int[12];
        for (int o = 0; o < s.OutChannels; o++)
        {
            int sum = 0;
            for (int c = 0; c < s.InChannels; c++)
            {
                ReadOnlySpan<short> g = weights.Slice(((o * s.InChannels) + c) * 9, 9);
                for (int kx = 0; kx < 3; kx++)
                {
                    // (2G)·g along the kernel rows: 2·g0, g0 + g1 + g2, g0 − g1 + g2, 2·g2.
                    int g0 = g[kx], g1 = g[3 + kx], g2 = g[6 + kx];
                    sum += g0 + g1 + g2;
                    t[kx] = 2 * g0;
                    t[3 + kx] = g0 + g1 + g2;
                    t[6 + kx] = g0 - g1 + g2;
                    t[9 + kx] = 2 * g2;
                }

                for (int i = 0; i < 4; i++)
                {
                    int h0 = t[3 * i], h1 = t[(3 * i) + 1], h2 = t[(3 * i) + 2];
                    Put(o, c, 4 * i, 2 * h0);
                    Put(o, c, (4 * i) + 1, h0 + h1 + h2);
                    Put(o, c, (4 * i) + 2, h0 - h1 + h2);
                    Put(o, c, (4 * i) + 3, 2 * h2);
                }
            }

            _bias[o] = bias[o] - (inputZero * sum);
            _scale[o] = scale[o];
        }

        _passes = new PixelMajorCodes.Passes(new PixelMajorCodes.PaddedRows(s, _paddedWidth, _inPixel, false, (byte)inputZero, inputPixelMajor),
            _paddedHeight, s.OutChannels, s.OutChannels, s.OutHeight * s.OutWidth);
        Algorithm = (_wide ? "int8-winograd-avx512" : "int8-winograd-avx2") + QuantizedLayout.Suffix(inputPixelMajor, outputPixelMajor);

        void Put(int o, int c, int position, int value) =>
            _u[((((((o / _channelBlock * Positions) + position) * _pairs) + (c / 2)) * _channelBlock) + (o % _channelBlock)) * 2 + (c % 2)] = (short)value;
    }

    /// <inheritdoc/>
    public string Algorithm { get; }

    /// <inheritdoc/>
    public long Macs => _s.Macs;

    private long PaddedBytes => MemoryPlan.Align((long)_paddedHeight * _paddedWidth * _inPixel);

    private long OutputBytes => _outputPixelMajor ? 0 : MemoryPlan.Align((long)_s.OutHeight * _s.OutWidth * _s.OutChannels);

    // A thread's transformed tiles [position][tile][channel] int16, then its sums [position][tile][block's channels] int32.
    private long TransformedBytes => MemoryPlan.Align((long)Positions * _runTiles * _inPixel * sizeof(short));

    private long WorkBytes => TransformedBytes + MemoryPlan.Align(Positions * _runTiles * _channelBlock * sizeof(int));

    /// <inheritdoc/>
    public long ScratchBytes => PaddedBytes + OutputBytes + (WorkBytes * _threads);

    /// <summary>
    /// Whether this kernel runs <paramref name="s"/> with <paramref name="weights"/> at <paramref name="isa"/> here: a
    /// dense 3×3 convolution of stride 1 and dilation 1 whose padding keeps the taps within two pixels of the image, on the
    /// AVX-512 level of a CPU with AVX-512BW or the AVX2 level, and 4× its largest possible sum within an int32
    /// (9·Cin·255·max|w|·4).
    /// </summary>
    public static bool Supports(in Conv2dShape s, ReadOnlySpan<short> weights, Isa isa)
    {
        bool lanes = isa switch { Isa.Avx512 => Avx512BW.IsSupported, Isa.Avx2 => Avx2.IsSupported, _ => false };
        if (!lanes || s.Groups != 1 || s.KernelHeight != 3 || s.KernelWidth != 3
            || s.StrideHeight != 1 || s.StrideWidth != 1 || s.DilationHeight != 1 || s.DilationWidth != 1
            || s.PadTop is < 0 or > 2 || s.PadLeft is < 0 or > 2 || weights.Length != s.OutChannels * s.InChannels * 9)
        {
            return false;
        }

        int largest = 0;
        foreach (short w in weights)
        {
            largest = Math.Max(largest, Math.Abs((int)w));
        }

        return 4L * 9 * s.InChannels * byte.MaxValue * largest < int.MaxValue;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _padded = scratch;
        _pixelMajor = _outputPixelMajor ? y : scratch + PaddedBytes;
        _work = scratch + PaddedBytes + OutputBytes;
        _passes.CopyIn(pool, x, _padded);
        pool.Run(this, _groups * _runs);
        if (!_outputPixelMajor)
        {
            _passes.ToPlanar(pool, _pixelMajor, y);
        }
    }

    /// <summary>Computes work items [begin, end): (group of output blocks, run of tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        short* v = (short*)(_work + (threadIndex * WorkBytes));
        int* m = (int*)((byte*)v + TransformedBytes);
        long positionStride = (long)_runTiles * _inPixel; // shorts
        int tileBlock = _tileBlock, channelBlock = _channelBlock;
        fixed (short* u0 = _u)
        fixed (int* bias = _bias)
        fixed (float* scale = _scale)
        {
            for (int item = begin; item < end; item++)
            {
                int group = item / _runs, run = item - (group * _runs);
                int firstBlock = run * RunBlocks, blocks = Math.Min(RunBlocks, _tileBlocks - firstBlock);
                int first = firstBlock * tileBlock, count = Math.Min(blocks * tileBlock, _tiles - first);
                for (int slot = 0; slot < blocks * tileBlock; slot++)
                {
                    // Slots past the last tile repeat it: computed, not stored.
                    int tile = Math.Min(first + slot, _tiles - 1);
                    if (_wide)
                    {
                        InputTransform(tile, v + ((long)slot * _inPixel), positionStride);
                    }
                    else
                    {
                        InputTransform256(tile, v + ((long)slot * _inPixel), positionStride);
                    }
                }

                int b1 = Math.Min(_blocks, (group + 1) * _groupBlocks);
                for (int b = group * _groupBlocks; b < b1; b++)
                {
                    short* u = u0 + ((long)b * Positions * _pairs * channelBlock * 2);
                    for (int p = 0; p < Positions; p++, u += _pairs * channelBlock * 2)
                    {
                        for (int r = 0; r < blocks; r++)
                        {
                            short* vr = v + (p * positionStride) + ((long)r * tileBlock * _inPixel);
                            int* mr = m + (((p * _runTiles) + (r * tileBlock)) * channelBlock);
                            if (_wide)
                            {
                                Multiply(vr, _inPixel, u, _pairs, mr);
                            }
                            else
                            {
                                Multiply256(vr, _inPixel, u, _pairs, mr);
                            }
                        }
                    }

                    for (int slot = 0; slot < count; slot++)
                    {
                        if (_wide)
                        {
                            OutputTransform(first + slot, m + (slot * channelBlock), b, bias, scale);
                        }
                        else
                        {
                            OutputTransform256(first + slot, m + (slot * channelBlock), b, bias, scale);
                        }
                    }
                }
            }
        }
    }

    // Bᵀ·d·B of the tile's 4×4 input patch for every 32 input channels, as int16: position 4i + j at v + (4i + j)·stride.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputTransform(int tile, short* v, long stride)
    {
        int ty = tile / _tilesX, tx = tile - (ty * _tilesX);
        long pixel = _inPixel, row = (long)_paddedWidth * _inPixel;
        byte* d = _padded + ((((long)2 * ty * _paddedWidth) + (2 * tx)) * _inPixel);
        for (int c = 0; c < _inPixel; c += 32, d += 32, v += 32)
        {
            // Bᵀ·d, a column at a time: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
            Column(d, row, out Vector512<short> t00, out Vector512<short> t10, out Vector512<short> t20, out Vector512<short> t30);
            Column(d + pixel, row, out Vector512<short> t01, out Vector512<short> t11, out Vector512<short> t21, out Vector512<short> t31);
            Column(d + (2 * pixel), row, out Vector512<short> t02, out Vector512<short> t12, out Vector512<short> t22, out Vector512<short> t32);
            Column(d + (3 * pixel), row, out Vector512<short> t03, out Vector512<short> t13, out Vector512<short> t23, out Vector512<short> t33);

            // ·B, a row at a time.
            Row(v, stride, t00, t01, t02, t03);
            Row(v + (4 * stride), stride, t10, t11, t12, t13);
            Row(v + (8 * stride), stride, t20, t21, t22, t23);
            Row(v + (12 * stride), stride, t30, t31, t32, t33);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Column(byte* d, long row, out Vector512<short> t0, out Vector512<short> t1, out Vector512<short> t2, out Vector512<short> t3)
        {
            Vector512<short> d0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(d));
            Vector512<short> d1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(d + row));
            Vector512<short> d2 = Avx512BW.ConvertToVector512Int16(Vector256.Load(d + (2 * row)));
            Vector512<short> d3 = Avx512BW.ConvertToVector512Int16(Vector256.Load(d + (3 * row)));
            t0 = d0 - d2;
            t1 = d1 + d2;
            t2 = d2 - d1;
            t3 = d1 - d3;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Row(short* v, long stride, Vector512<short> t0, Vector512<short> t1, Vector512<short> t2, Vector512<short> t3)
        {
            (t0 - t2).Store(v);
            (t1 + t2).Store(v + stride);
            (t2 - t1).Store(v + (2 * stride));
            (t1 - t3).Store(v + (3 * stride));
        }
    }

    // One position's products of 6 tiles (input channels tileStride shorts apart) × 32 output channels, summed over the
    // input channel pairs into m[tile][32] (12 registers; 2 weight loads and 6 broadcasts per 12 vpmaddwd).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply(short* v, long tileStride, short* u, int pairs, int* m)
    {
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        int* v0 = (int*)v, v1 = (int*)(v + tileStride), v2 = (int*)(v + (2 * tileStride));
        int* v3 = (int*)(v + (3 * tileStride)), v4 = (int*)(v + (4 * tileStride)), v5 = (int*)(v + (5 * tileStride));
        nint ahead = (nint)pairs * 64; // the next position's slice (the next block's first after the last)
        for (nint k = 0; k < pairs; k++, u += 64)
        {
            Sse.Prefetch0(u + ahead);
            Sse.Prefetch0(u + ahead + 32);
            Vector512<short> wa = Vector512.Load(u), wb = Vector512.Load(u + 32);
            Vector512<short> x = Vector512.Create(v0[k]).AsInt16();
            a0 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b0 += Avx512BW.MultiplyAddAdjacent(x, wb);
            x = Vector512.Create(v1[k]).AsInt16();
            a1 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b1 += Avx512BW.MultiplyAddAdjacent(x, wb);
            x = Vector512.Create(v2[k]).AsInt16();
            a2 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b2 += Avx512BW.MultiplyAddAdjacent(x, wb);
            x = Vector512.Create(v3[k]).AsInt16();
            a3 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b3 += Avx512BW.MultiplyAddAdjacent(x, wb);
            x = Vector512.Create(v4[k]).AsInt16();
            a4 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b4 += Avx512BW.MultiplyAddAdjacent(x, wb);
            x = Vector512.Create(v5[k]).AsInt16();
            a5 += Avx512BW.MultiplyAddAdjacent(x, wa);
            b5 += Avx512BW.MultiplyAddAdjacent(x, wb);
        }

        a0.Store(m);
        b0.Store(m + 16);
        a1.Store(m + 32);
        b1.Store(m + 48);
        a2.Store(m + 64);
        b2.Store(m + 80);
        a3.Store(m + 96);
        b3.Store(m + 112);
        a4.Store(m + 128);
        b4.Store(m + 144);
        a5.Store(m + 160);
        b5.Store(m + 176);
    }

    // Aᵀ·M·A of one tile's sums for output block b (16 positions 12·32 ints apart), divided by 4 (exact), and
    // requantized into its 2×2 output pixels inside the map.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OutputTransform(int tile, int* m, int b, int* bias, float* scale)
    {
        int ty = tile / _tilesX, tx = tile - (ty * _tilesX);
        int oy = 2 * ty, ox = 2 * tx;
        int cout = _s.OutChannels, width = _s.OutWidth;
        bool right = ox + 1 < width, below = oy + 1 < _s.OutHeight;
        const int stride = 6 * RunBlocks * 32; // the 512-bit form's run of tiles × its block's channels
        Vector512<int> zero = Vector512.Create(_outputZero), lo = Vector512.Create(_min), hi = Vector512.Create(_max);
        for (int h = 0; h < 32; h += 16)
        {
            int ch = (b * 32) + h;
            if (ch >= cout)
            {
                break;
            }

            // Along each row i: s0 = m_i0 + m_i1 + m_i2, s1 = m_i1 − m_i2 − m_i3 (position 4i + j at m + h + (4i + j)·stride).
            int* q = m + h;
            Vector512<int> a = Vector512.Load(q), c = Vector512.Load(q + stride), d = Vector512.Load(q + (2 * stride)), e = Vector512.Load(q + (3 * stride));
            Vector512<int> s00 = a + c + d, s01 = c - d - e;
            a = Vector512.Load(q + (4 * stride));
            c = Vector512.Load(q + (5 * stride));
            d = Vector512.Load(q + (6 * stride));
            e = Vector512.Load(q + (7 * stride));
            Vector512<int> s10 = a + c + d, s11 = c - d - e;
            a = Vector512.Load(q + (8 * stride));
            c = Vector512.Load(q + (9 * stride));
            d = Vector512.Load(q + (10 * stride));
            e = Vector512.Load(q + (11 * stride));
            Vector512<int> s20 = a + c + d, s21 = c - d - e;
            a = Vector512.Load(q + (12 * stride));
            c = Vector512.Load(q + (13 * stride));
            d = Vector512.Load(q + (14 * stride));
            e = Vector512.Load(q + (15 * stride));
            Vector512<int> s30 = a + c + d, s31 = c - d - e;

            Vector512<int> bv = Vector512.Load(bias + ch);
            Vector512<float> sv = Vector512.Load(scale + ch);
            int channels = Math.Min(16, cout - ch);
            byte* y = _pixelMajor + ((((long)oy * width) + ox) * cout) + ch;
            Store(Codes(s00 + s10 + s20, bv, sv, zero, lo, hi), y, channels);
            if (right)
            {
                Store(Codes(s01 + s11 + s21, bv, sv, zero, lo, hi), y + cout, channels);
            }

            if (below)
            {
                Store(Codes(s10 - s20 - s30, bv, sv, zero, lo, hi), y + ((long)width * cout), channels);
                if (right)
                {
                    Store(Codes(s11 - s21 - s31, bv, sv, zero, lo, hi), y + (((long)width + 1) * cout), channels);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector128<byte> Codes(Vector512<int> four, Vector512<int> bias, Vector512<float> scale, Vector512<int> zero, Vector512<int> lo, Vector512<int> hi) =>
            Avx512F.ConvertToVector128Byte(Requantizer.Codes(Vector512.ShiftRightArithmetic(four, 2), bias, scale, zero, lo, hi));

        // 16 codes, or the first `channels` of them (a masked store: a call here would spill the transform's registers).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(Vector128<byte> codes, byte* to, int channels)
        {
            if (channels == 16)
            {
                codes.Store(to);
            }
            else
            {
                StoreFirst(codes, to, channels);
            }
        }
    }
    // The AVX2 form of InputTransform, 16 channels a step and a column j of positions at a time (d·B along each patch
    // row, then Bᵀ down the column), so that few of the 16 registers are live.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputTransform256(int tile, short* v, long stride)
    {
        int ty = tile / _tilesX, tx = tile - (ty * _tilesX);
        long pixel = _inPixel, row = (long)_paddedWidth * _inPixel;
        byte* d = _padded + ((((long)2 * ty * _paddedWidth) + (2 * tx)) * _inPixel);
        for (int c = 0; c < _inPixel; c += 16, d += 16, v += 16)
        {
            Column(d, row, pixel, 0, v, stride);
            Column(d, row, pixel, 1, v + stride, stride);
            Column(d, row, pixel, 2, v + (2 * stride), stride);
            Column(d, row, pixel, 3, v + (3 * stride), stride);
        }

        // Positions (i, j) for i = 0..3 at v + 4i·stride: Bᵀ of the rows' (d·B)_j.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Column(byte* d, long row, long pixel, int j, short* v, long stride)
        {
            Vector256<short> e0 = RowTimesB(d, pixel, j), e1 = RowTimesB(d + row, pixel, j);
            Vector256<short> e2 = RowTimesB(d + (2 * row), pixel, j), e3 = RowTimesB(d + (3 * row), pixel, j);
            (e0 - e2).Store(v);
            (e1 + e2).Store(v + (4 * stride));
            (e2 - e1).Store(v + (8 * stride));
            (e1 - e3).Store(v + (12 * stride));
        }

        // (d·B)_j of one patch row: x0 − x2, x1 + x2, x2 − x1, x1 − x3.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<short> RowTimesB(byte* r, long pixel, int j) => j switch
        {
            0 => Widen(r) - Widen(r + (2 * pixel)),
            1 => Widen(r + pixel) + Widen(r + (2 * pixel)),
            2 => Widen(r + (2 * pixel)) - Widen(r + pixel),
            _ => Widen(r + pixel) - Widen(r + (3 * pixel)),
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<short> Widen(byte* p) => Avx2.ConvertToVector256Int16(Vector128.Load(p));
    }

    // The AVX2 form of Multiply: 4 tiles × 16 output channels (8 int32 registers, 2 weight loads and 4 broadcasts per 8
    // vpmaddwd), into m[tile][16].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply256(short* v, long tileStride, short* u, int pairs, int* m)
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<int> b0 = default, b1 = default, b2 = default, b3 = default;
        int* v0 = (int*)v, v1 = (int*)(v + tileStride), v2 = (int*)(v + (2 * tileStride)), v3 = (int*)(v + (3 * tileStride));
        nint ahead = (nint)pairs * 32; // the next position's slice
        for (nint k = 0; k < pairs; k++, u += 32)
        {
            Sse.Prefetch0(u + ahead);
            Vector256<short> wa = Vector256.Load(u), wb = Vector256.Load(u + 16);
            Vector256<short> x = Vector256.Create(v0[k]).AsInt16();
            a0 += Avx2.MultiplyAddAdjacent(x, wa);
            b0 += Avx2.MultiplyAddAdjacent(x, wb);
            x = Vector256.Create(v1[k]).AsInt16();
            a1 += Avx2.MultiplyAddAdjacent(x, wa);
            b1 += Avx2.MultiplyAddAdjacent(x, wb);
            x = Vector256.Create(v2[k]).AsInt16();
            a2 += Avx2.MultiplyAddAdjacent(x, wa);
            b2 += Avx2.MultiplyAddAdjacent(x, wb);
            x = Vector256.Create(v3[k]).AsInt16();
            a3 += Avx2.MultiplyAddAdjacent(x, wa);
            b3 += Avx2.MultiplyAddAdjacent(x, wb);
        }

        a0.Store(m);
        b0.Store(m + 8);
        a1.Store(m + 16);
        b1.Store(m + 24);
        a2.Store(m + 32);
        b2.Store(m + 40);
        a3.Store(m + 48);
        b3.Store(m + 56);
    }

    // The AVX2 form of OutputTransform: block b of 16 channels in two halves of 8 (positions 8·16 ints apart), the top
    // pixels stored before the last row of sums is loaded.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OutputTransform256(int tile, int* m, int b, int* bias, float* scale)
    {
        int ty = tile / _tilesX, tx = tile - (ty * _tilesX);
        int oy = 2 * ty, ox = 2 * tx;
        int cout = _s.OutChannels, width = _s.OutWidth;
        bool right = ox + 1 < width, below = oy + 1 < _s.OutHeight;
        const int stride = 4 * RunBlocks * 16;
        Vector256<int> zero = Vector256.Create(_outputZero), lo = Vector256.Create(_min), hi = Vector256.Create(_max);
        for (int h = 0; h < 16; h += 8)
        {
            int ch = (b * 16) + h;
            if (ch >= cout)
            {
                break;
            }

            int* q = m + h;
            Vector256<int> a = Vector256.Load(q), c = Vector256.Load(q + stride), d = Vector256.Load(q + (2 * stride)), e = Vector256.Load(q + (3 * stride));
            Vector256<int> s00 = a + c + d, s01 = c - d - e;
            a = Vector256.Load(q + (4 * stride));
            c = Vector256.Load(q + (5 * stride));
            d = Vector256.Load(q + (6 * stride));
            e = Vector256.Load(q + (7 * stride));
            Vector256<int> s10 = a + c + d, s11 = c - d - e;
            a = Vector256.Load(q + (8 * stride));
            c = Vector256.Load(q + (9 * stride));
            d = Vector256.Load(q + (10 * stride));
            e = Vector256.Load(q + (11 * stride));
            Vector256<int> s20 = a + c + d, s21 = c - d - e;

            Vector256<int> bv = Vector256.Load(bias + ch);
            Vector256<float> sv = Vector256.Load(scale + ch);
            int channels = Math.Min(8, cout - ch);
            byte* y = _pixelMajor + ((((long)oy * width) + ox) * cout) + ch;
            Store(Codes(s00 + s10 + s20, bv, sv, zero, lo, hi), y, channels);
            if (right)
            {
                Store(Codes(s01 + s11 + s21, bv, sv, zero, lo, hi), y + cout, channels);
            }

            if (below)
            {
                a = Vector256.Load(q + (12 * stride));
                c = Vector256.Load(q + (13 * stride));
                d = Vector256.Load(q + (14 * stride));
                e = Vector256.Load(q + (15 * stride));
                Store(Codes(s10 - s20 - (a + c + d), bv, sv, zero, lo, hi), y + ((long)width * cout), channels);
                if (right)
                {
                    Store(Codes(s11 - s21 - (c - d - e), bv, sv, zero, lo, hi), y + (((long)width + 1) * cout), channels);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector128<byte> Codes(Vector256<int> four, Vector256<int> bias, Vector256<float> scale, Vector256<int> zero, Vector256<int> lo, Vector256<int> hi)
        {
            Vector256<int> q = Requantizer.Codes(Vector256.ShiftRightArithmetic(four, 2), bias, scale, zero, lo, hi);
            Vector128<short> s = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
            return Sse2.PackUnsignedSaturate(s, s);
        }

        // 8 codes, or the first `channels` of them (a masked store, no call).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(Vector128<byte> codes, byte* to, int channels)
        {
            if (channels == 8)
            {
                *(ulong*)to = codes.AsUInt64().ToScalar();
            }
            else
            {
                StoreFirst(codes, to, channels);
            }
        }
    }

    // The first `channels` of 16 codes, by a masked store (no call: the transforms' registers stay put).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFirst(Vector128<byte> codes, byte* to, int channels) =>
        Sse2.MaskMove(codes, Vector128.LessThan(Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector128.Create((byte)channels)), to);
}

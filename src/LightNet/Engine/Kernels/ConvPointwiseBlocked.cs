using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A 1×1, stride-1 convolution on channel-blocked tensors (<see cref="ConvLayout"/>): input [Kb][P][V] (or planar
/// [K][P], broadcast from there just as well), output and residual [Cb][P][V]. A tile is 6 pixels × F output blocks
/// (F ≤ 4) where there are 32 vector registers (16 lanes; 4 lanes on Arm64), 6 × F ≤ 2 where there are 16 (SSE), 4 × 3
/// with 6 × 2 for the last four blocks on AVX2's 16, and 4 × F ≤ 3 on 8 lanes of a CPU with 32 registers (AVX2 code on
/// an AVX-512 CPU); the 8-lane tiles are written on Vector256 itself (Tile256): for each input channel, F weight vectors and one broadcast of each
/// pixel's value, pixels·F multiply-adds, the accumulators started from the bias; residual and a clamp or hard
/// activation applied in registers and each pixel's block stored as one vector. Nothing is packed at run time: the
/// input is read where it lies (a pixel's channels of a block are one cache line on 16 lanes) and the weights were
/// laid out per group of F blocks, [K][F·V], when the kernel was built. Compared with the planar GEMM this drops the B
/// packing, the zero-padded column tiles of small maps (7×7 = 49 pixels is 8 tiles of 6 and one pixel) and the
/// partial-tile copies of the K blocking; the threads share (group, pixel range) items.
/// </summary>
internal sealed unsafe class ConvPointwiseBlocked : IParallelWork, IDisposable
{
    private readonly int _v, _k, _kBlocks, _cBlocks, _groups, _pixels, _chunks, _chunkPixels, _kChunkBlocks;
    private readonly int[] _groupFirst, _groupBlocks, _groupRows; // per group: first output block, blocks (F), pixels per tile
    private readonly GemmBuffer _weights; // per group g: [Kb·V][F_g·V]
    private readonly GemmBuffer _bias; // [Cb·V]
    private readonly GemmBuffer _zeros; // [F·V]: the bias of every K chunk after the first
    private readonly long[] _groupOffsets;
    private readonly FusedActivation _act;
    private readonly bool _planarInput; // input [K][P] (NCHW) instead of blocked
    private readonly DirectInput? _direct; // input blocks read where a direct convolution's taps find them
    private float* _x, _y, _residual;

    /// <summary>
    /// Prepares <paramref name="s"/> (a pointwise convolution, <see cref="Conv2dShape.IsPointwise"/>, one group) for
    /// <paramref name="v"/>-lane blocks (16, 8 or 4): <paramref name="weights"/> [Cout][Cin], <paramref name="bias"/>
    /// [Cout] or empty, <paramref name="activation"/> with a register form. With <paramref name="kChunk"/> &gt; 0 the
    /// input channels are summed in chunks of that many (rounded up to whole blocks), every pixel tile of a chunk before
    /// the next: a long K (an im2col of 512 channels × 9 taps) then reads a weight panel small enough to stay in the
    /// cache instead of streaming megabytes per tile. The partial sums wait in the output: a later chunk starts from a
    /// zero bias and takes them as its residual (the first chunk takes the real residual), and only the last one
    /// applies the activation.
    /// With <paramref name="direct"/> the kernel is a direct convolution's: K block kb of the pixel that starts an output
    /// row's run is read at input + <see cref="DirectInput.Offsets"/>[kb] (a tap of a channel block of a padded,
    /// blocked input), or K row k at input + Offsets[k] (a tap of a channel of a padded planar input, with
    /// <see cref="DirectInput.PerRow"/>), the pixels of a row <see cref="DirectInput.PixelStep"/> floats apart; tiles are
    /// numbered across rows, and a tile that runs on into the next row reads each pixel at its own step.
    /// </summary>
    /// <exception cref="LightNetException">The shape is not pointwise, the lanes are not 16, 8 or 4, or the activation has no register form.</exception>
    public ConvPointwiseBlocked(in Conv2dShape s, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation, int v, int threads, bool planarInput = false, int kChunk = 0,
        DirectInput? direct = null)
    {
        _planarInput = planarInput;
        _direct = direct;
        if ((direct != null && (planarInput || direct.Offsets.Length != (direct.PerRow ? s.InChannels : (s.InChannels + v - 1) / v) || s.OutWidth != direct.OutWidth)) || !s.IsPointwise || s.Groups != 1 || v is not (16 or 8 or 4) || !FusedActivation.TryCreate(activation, out _act))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: the channel-blocked 1×1 kernel takes a one-group 1×1 stride-1 convolution with a clamp or hard activation on 16, 8 or 4 lanes (got {s}, {activation.Kind}, {v} lanes).");
        }

        _v = v;
        // 6 pixels × 4 blocks (24 accumulators) where there are 32 vector registers (AVX-512, Arm64; AVX2's 8 lanes on
        // an AVX-512 CPU keep 4 × 3, measured there), 6 × 2 where there are 16 (AVX2, SSE): 12 accumulators, 2 weight
        // vectors and a broadcast. (A 4 × 3 tile needs all 16: through the lane struct the JIT spilled one accumulator
        // to the stack, a store-to-load round trip in every multiply-add chain, 38–43 % of FMA peak on Zen 3; on
        // Vector256 itself, Tile256, it fits, below.)
        (int rows, int fMax) = v != 16 && !ConvLayout.WideRegisterFile ? (6, 2) : v == 8 ? (4, 3) : (6, 4);
        _kBlocks = (s.InChannels + v - 1) / v;
        _kChunkBlocks = kChunk > 0 ? Math.Clamp((kChunk + v - 1) / v, 1, _kBlocks) : _kBlocks;
        _cBlocks = (s.OutChannels + v - 1) / v;

        // On 16 registers and 8 lanes, groups of 4 pixels × 3 blocks (12 accumulators, 3 weight vectors and a broadcast:
        // all 16, no spill now that the tile is written on Vector256), the last 4 blocks as two 6 × 2 groups (a lone
        // block's 6 × 1 tile takes a broadcast per multiply-add). Kernel check, Zen 1, against 6 × 2 throughout:
        // MobileNetV2's 144→24 75 → 88 % of peak, 24→144 71 → 76 %, 16→96 53 → 56 %, 960→160 87–90 → 91–94 %,
        // MobileNetV3's 16→64 63–65 → 68 %, the direct 3×3 kernels within ±2 % (docs/performance.md).
        var groups = new List<(int Blocks, int Rows)>();
        bool threes = v == 8 && fMax == 2;
        for (int left = _cBlocks; left > 0;)
        {
            (int f, int r) = threes && left >= 3 && left != 4 ? (3, 4) : (Math.Min(fMax, left), rows);
            groups.Add((f, r));
            left -= f;
        }

        _groups = groups.Count;
        _groupBlocks = groups.Select(g => g.Blocks).ToArray();
        _groupRows = groups.Select(g => g.Rows).ToArray();
        _groupFirst = new int[_groups];
        for (int g = 1; g < _groups; g++)
        {
            _groupFirst[g] = _groupFirst[g - 1] + _groupBlocks[g - 1];
        }

        int maxBlocks = _groupBlocks.Max();
        _zeros = new GemmBuffer((long)maxBlocks * v);
        new Span<float>(_zeros.Pointer, maxBlocks * v).Clear();
        _pixels = s.OutHeight * s.OutWidth;
        int k = s.InChannels, kp = _kBlocks * v;
        _k = k;
        _groupOffsets = new long[_groups];
        _weights = new GemmBuffer((long)kp * _cBlocks * v);
        _bias = new GemmBuffer((long)_cBlocks * v);
        bias.CopyTo(new Span<float>(_bias.Pointer, bias.Length));
        long offset = 0;
        for (int g = 0; g < _groups; g++)
        {
            _groupOffsets[g] = offset;
            int f = _groupBlocks[g], width = f * v;
            float* dst = _weights.Pointer + offset;
            for (int col = 0; col < width; col++)
            {
                int co = (_groupFirst[g] * v) + col;
                if (co >= s.OutChannels)
                {
                    break;
                }

                for (int ci = 0; ci < k; ci++)
                {
                    dst[((long)ci * width) + col] = weights[(co * k) + ci];
                }
            }

            offset += (long)kp * width;
        }

        // One item per group with one thread; with more, each group's pixels are cut into ranges of whole tiles so
        // that there are at least four items per thread.
        int unit = _groupRows.Distinct().Aggregate(1, (a, r) => a * r / Gcd(a, r)); // whole tiles of every group's height
        int tiles = (_pixels + unit - 1) / unit;
        _chunks = threads == 1 ? 1 : Math.Clamp(((threads * 4) + _groups - 1) / _groups, 1, tiles);
        _chunkPixels = (tiles + _chunks - 1) / _chunks * unit;
        _chunks = (_pixels + _chunkPixels - 1) / _chunkPixels;
    }

    /// <summary>The kernel's name in profiles ("pointwise-nchw16c-avx512"; "pointwise-to-nchw16c-avx512" with a planar input).</summary>
    public string Algorithm => (_planarInput ? "pointwise-to-" : "pointwise-") + ConvLayout.KernelSuffix(_v);

    /// <summary>
    /// Where a direct convolution's K lies in its padded input: for a blocked input, block kb (tap t, input block b) at
    /// <see cref="Offsets"/>[kb] floats from the start, its lanes one float apart; for a planar one
    /// (<see cref="PerRow"/>), row k (channel c, tap t) at Offsets[k]. That is the input under output pixel (0, 0);
    /// output pixel (oy, ox) reads oy·<see cref="RowStep"/> + ox·<see cref="PixelStep"/> floats further on.
    /// </summary>
    /// <param name="Offsets">Per K block, or per K row with <paramref name="PerRow"/>, floats from the input start.</param>
    /// <param name="PerRow">Whether the offsets are per K row (a planar input).</param>
    /// <param name="OutWidth">Output pixels per row.</param>
    /// <param name="RowStep">Floats from one output row's first input pixel to the next row's (stride · padded width, · lanes when blocked).</param>
    /// <param name="PixelStep">Floats from one output pixel's input to the next in a row (stride, · lanes when blocked).</param>
    internal sealed record DirectInput(long[] Offsets, bool PerRow, int OutWidth, long RowStep, int PixelStep);

    /// <summary>
    /// Work items: pixel ranges × groups of output blocks, pixel range outermost, so that a thread's share of the items
    /// (<see cref="WorkerPool"/> home ranges) is a part of the map for every output channel, the part it wrote in the
    /// layer before (2 threads on Zen 3, 5 alternating rounds, rounds where the host slowed ONNX Runtime left out:
    /// SqueezeNet 1.00–1.03 → 0.93–1.00 of ONNX Runtime's time, GoogLeNet 0.84–0.92 → 0.82–0.88).
    /// </summary>
    public int Items => _groups * _chunks;

    /// <summary>
    /// Runs one image: <paramref name="output"/> = act(conv(<paramref name="input"/>) + bias + <paramref name="residual"/>),
    /// all blocked. The residual may alias the output (each element is read before it is written); the input must not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, WorkerPool pool)
    {
        _x = input;
        _y = output;
        _residual = residual;
        pool.Run(this, Items);
        _x = _y = _residual = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        for (int item = begin; item < end; item++)
        {
            int chunk = item / _groups, g = item % _groups;
            int p0 = chunk * _chunkPixels, p1 = Math.Min(_pixels, p0 + _chunkPixels);
            if (_v == 16)
            {
                Layout<Lanes512>(g, p0, p1);
            }
            else if (_v == 8)
            {
                Layout<Lanes256>(g, p0, p1);
            }
            else
            {
                Layout<Lanes128>(g, p0, p1);
            }
        }
    }

    /// <summary>Frees the laid-out weights and biases.</summary>
    public void Dispose()
    {
        _weights.Dispose();
        _bias.Dispose();
        _zeros.Dispose();
    }

        private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    // The input layout, as a type argument: planar, blocked, or a direct convolution's padded input (blocked or planar).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Layout<TV>(int g, int p0, int p1)
        where TV : struct, ILanes<TV>
    {
        if (_planarInput)
        {
            Group<TV, PlanarInput>(g, p0, p1);
        }
        else if (_direct is null)
        {
            Group<TV, BlockedInput>(g, p0, p1);
        }
        else if (_direct.PerRow)
        {
            Group<TV, PaddedPlanarInput>(g, p0, p1);
        }
        else
        {
            Group<TV, PaddedInput>(g, p0, p1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Group<TV, TI>(int g, int p0, int p1)
        where TV : struct, ILanes<TV>
        where TI : struct, IInputLayout
    {
        switch (_groupBlocks[g])
        {
            case 4:
                Pixels<TV, TI, Count4>(g, p0, p1);
                break;
            case 3:
                Pixels<TV, TI, Count3>(g, p0, p1);
                break;
            case 2:
                Pixels<TV, TI, Count2>(g, p0, p1);
                break;
            default:
                Pixels<TV, TI, Count1>(g, p0, p1);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pixels<TV, TI, TF>(int g, int p0, int p1)
        where TV : struct, ILanes<TV>
        where TI : struct, IInputLayout
        where TF : struct, ICount
    {
        int v = TV.Count, rows = _groupRows[g];
        float* w = _weights.Pointer + _groupOffsets[g];
        float* bias = _bias.Pointer + ((long)_groupFirst[g] * v);
        long outOffset = (long)_groupFirst[g] * _pixels * v;
        int ps = TI.Planar ? 1 : TI.Direct ? _direct!.PixelStep : v; // floats from one pixel of the input to the next
        var act = FusedActivation.None;
        fixed (long* kOffsets = _direct?.Offsets)
        {
            for (int kb0 = 0; kb0 < _kBlocks; kb0 += _kChunkBlocks)
            {
                // Chunk 1 starts from the bias and takes the residual; later ones start from zero and take the partial sums.
                int kb1 = Math.Min(_kBlocks, kb0 + _kChunkBlocks);
                var k = new KRange(kb0 == 0 ? bias : _zeros.Pointer, kOffsets, kb0, kb1);
                float* res = kb0 == 0 ? _residual : _y;
                if (kb1 == _kBlocks)
                {
                    act = _act;
                }

                float* y = _y + outOffset;
                res = res == null ? null : res + outOffset;
                if (!TI.Direct)
                {
                    // Consecutive pixels: the whole tiles as one run (a 1×1 layer of depth 16 feels any per-tile work),
                    // then one tile of the rest.
                    int whole = p0 + ((p1 - p0) / rows * rows), count = (whole - p0) / rows;
                    if (rows == 6)
                    {
                        Tiles<TV, TI, TF, Count6>(count, w, k, _x + ((long)p0 * ps), y + ((long)p0 * v), res == null ? null : res + ((long)p0 * v), act);
                    }
                    else
                    {
                        Tiles<TV, TI, TF, Count4>(count, w, k, _x + ((long)p0 * ps), y + ((long)p0 * v), res == null ? null : res + ((long)p0 * v), act);
                    }

                    if (whole < p1)
                    {
                        Tile<TV, TI, TF>(p1 - whole, w, k, _x + ((long)whole * ps), ps, NoSteps, y + ((long)whole * v), res == null ? null : res + ((long)whole * v), act);
                    }

                    continue;
                }

                for (int p = p0; p < p1; p += rows)
                {
                    int n = Math.Min(rows, p1 - p);
                    float* yp = y + ((long)p * v), rp = res == null ? null : res + ((long)p * v);
                    if (v < 16 && (p % _direct!.OutWidth) + n <= _direct.OutWidth)
                    {
                        // Inside one row on 4 or 8 lanes: each pixel's address from ps in the loop (five step registers
                        // left the 4-lane kernel short of general registers: its accumulators spilled around the block
                        // loop, 20 % slower). On 16 lanes the steps measure 3–10 % faster (a block's loop is 4× longer).
                        Tile<TV, TI, TF>(n, w, k, _x + DirectOffset(p), ps, NoSteps, yp, rp, act);
                    }
                    else if (TI.PerRow)
                    {
                        Tile<TV, PaddedPlanarAcrossRows, TF>(n, w, k, _x + DirectOffset(p), ps, DirectSteps(p, n), yp, rp, act);
                    }
                    else
                    {
                        Tile<TV, PaddedAcrossRows, TF>(n, w, k, _x + DirectOffset(p), ps, DirectSteps(p, n), yp, rp, act);
                    }
                }
            }
        }
    }

    // Floats from the direct input's start to the input under output pixel p (tap (0, 0) of its first block).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long DirectOffset(int p)
    {
        int ow = _direct!.OutWidth, oy = p / ow;
        return (oy * _direct.RowStep) + ((long)(p - (oy * ow)) * _direct.PixelStep);
    }

    // A direct tile's pixels p .. p + n - 1 may run past the end of an output row into the next: each pixel's input
    // from the first's (a pixel step apart within a row, a row step less the row's width at a wrap).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PixelSteps DirectSteps(int p, int n)
    {
        long x0 = DirectOffset(p);
        return new PixelSteps(
            n > 1 ? DirectOffset(p + 1) - x0 : 0,
            n > 2 ? DirectOffset(p + 2) - x0 : 0,
            n > 3 ? DirectOffset(p + 3) - x0 : 0,
            n > 4 ? DirectOffset(p + 4) - x0 : 0,
            n > 5 ? DirectOffset(p + 5) - x0 : 0);
    }

    // count whole tiles of TR consecutive pixels (not a direct input). On 8 lanes one call runs them all: the call, its
    // frame and the activation's bounds once per run instead of per tile, where a 1×1 layer of depth 16 does only 16
    // multiply-adds per accumulator between two stores (kernel check, Zen 1: MobileNetV2's 16→96 at 112² 0.86× the time,
    // 24→144 0.90×, 960→160 unchanged; docs/performance.md).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tiles<TV, TI, TF, TR>(int count, float* w, in KRange k, float* x, float* y, float* res, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TI : struct, IInputLayout
        where TF : struct, ICount
        where TR : struct, ICount
    {
        int v = TV.Count, ps = TI.Planar ? 1 : v;
        if (typeof(TV) == typeof(Lanes256) && TF.Count <= 3)
        {
            Tile256<TI, TF, TR>(count, w, k, x, ps, NoSteps, y, res, act);
            return;
        }

        for (int t = 0; t < count; t++)
        {
            long p = (long)t * TR.Count;
            Tile<TV, TI, TF, TR>(w, k, x + (p * ps), ps, NoSteps, y + (p * v), res == null ? null : res + (p * v), act);
        }
    }

    // A tile of n pixels (1 to the tile's rows): the micro-kernel for that count.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tile<TV, TI, TF>(int n, float* w, in KRange k, float* x, int ps, in PixelSteps steps, float* y, float* res, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TI : struct, IInputLayout
        where TF : struct, ICount
    {
        switch (n)
        {
            case 6:
                Tile<TV, TI, TF, Count6>(w, k, x, ps, steps, y, res, act);
                break;
            case 5:
                Tile<TV, TI, TF, Count5>(w, k, x, ps, steps, y, res, act);
                break;
            case 4:
                Tile<TV, TI, TF, Count4>(w, k, x, ps, steps, y, res, act);
                break;
            case 3:
                Tile<TV, TI, TF, Count3>(w, k, x, ps, steps, y, res, act);
                break;
            case 2:
                Tile<TV, TI, TF, Count2>(w, k, x, ps, steps, y, res, act);
                break;
            default:
                Tile<TV, TI, TF, Count1>(w, k, x, ps, steps, y, res, act);
                break;
        }
    }

    // TR pixels × TF blocks: acc[r][f] = bias[f] + Σ_k x[k][r] · w[k][f] over input blocks [kb0, kb1), then +
    // residual, activation, store. Written out for 6 × 4; the JIT drops the rows and blocks past TR and TF (constants
    // of the type arguments).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile<TV, TI, TF, TR>(float* w, in KRange k, float* x, int ps, in PixelSteps steps, float* y, float* res, in FusedActivation activation)
        where TV : struct, ILanes<TV>
        where TI : struct, IInputLayout
        where TF : struct, ICount
        where TR : struct, ICount
    {
        if (typeof(TV) == typeof(Lanes256) && TF.Count <= 3)
        {
            Tile256<TI, TF, TR>(1, w, k, x, ps, steps, y, res, activation);
            return;
        }

        // Input channel k of tile pixel r: blocked x[(k / v)·P·v + r·v + k % v], planar x[k·P + r], direct
        // x[offsets[k / v] + r·ps + k % v], direct planar x[offsets[k] + r·ps] (x at the tile's first pixel); across
        // output rows r·ps becomes the steps' d_r.
        int v = TV.Count, f = TF.Count, r = TR.Count, ws = f * v;
        long d1 = TI.AcrossRows ? steps.D1 : 0, d2 = TI.AcrossRows ? steps.D2 : 0, d3 = TI.AcrossRows ? steps.D3 : 0;
        long d4 = TI.AcrossRows ? steps.D4 : 0, d5 = TI.AcrossRows ? steps.D5 : 0;
        int ls = TI.Planar ? _pixels : 1;
        long plane = (long)_pixels * v;
        float* bias = k.Bias;
        TV b0 = TV.Load(bias), b1 = f > 1 ? TV.Load(bias + v) : default, b2 = f > 2 ? TV.Load(bias + (2 * v)) : default, b3 = f > 3 ? TV.Load(bias + (3 * v)) : default;
        TV a00 = b0, a01 = b1, a02 = b2, a03 = b3;
        TV a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        TV a20 = b0, a21 = b1, a22 = b2, a23 = b3;
        TV a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        TV a40 = b0, a41 = b1, a42 = b2, a43 = b3;
        TV a50 = b0, a51 = b1, a52 = b2, a53 = b3;
        for (int kb = k.First; kb < k.End; kb++)
        {
            float* xb = TI.Direct && !TI.PerRow ? x + k.Offsets[kb] : x + (kb * plane);
            float* wk = w + ((long)kb * v * ws);

            // The last block's padding channels are zero in the input and the weights: not multiplied at all.
            int lanes = Math.Min(v, _k - (kb * v));
            float* xk = xb;
            for (int kl = 0; kl < lanes; kl++, wk += ws, xk += ls)
            {
                if (TI.PerRow)
                {
                    xk = x + k.Offsets[(kb * v) + kl];
                }

                TV w0 = TV.Load(wk);
                TV w1 = f > 1 ? TV.Load(wk + v) : default;
                TV w2 = f > 2 ? TV.Load(wk + (2 * v)) : default;
                TV w3 = f > 3 ? TV.Load(wk + (3 * v)) : default;
                TV s = TV.Broadcast(xk);
                Row(s, w0, w1, w2, w3, f, ref a00, ref a01, ref a02, ref a03);
                if (r > 1)
                {
                    s = TV.Broadcast(xk + (TI.AcrossRows ? d1 : ps));
                    Row(s, w0, w1, w2, w3, f, ref a10, ref a11, ref a12, ref a13);
                }

                if (r > 2)
                {
                    s = TV.Broadcast(xk + (TI.AcrossRows ? d2 : (2 * ps)));
                    Row(s, w0, w1, w2, w3, f, ref a20, ref a21, ref a22, ref a23);
                }

                if (r > 3)
                {
                    s = TV.Broadcast(xk + (TI.AcrossRows ? d3 : (3 * ps)));
                    Row(s, w0, w1, w2, w3, f, ref a30, ref a31, ref a32, ref a33);
                }

                if (r > 4)
                {
                    s = TV.Broadcast(xk + (TI.AcrossRows ? d4 : (4 * ps)));
                    Row(s, w0, w1, w2, w3, f, ref a40, ref a41, ref a42, ref a43);
                }

                if (r > 5)
                {
                    s = TV.Broadcast(xk + (TI.AcrossRows ? d5 : (5 * ps)));
                    Row(s, w0, w1, w2, w3, f, ref a50, ref a51, ref a52, ref a53);
                }
            }
        }

        var act = activation;
        Store(a00, a01, a02, a03, f, y, res, plane, act);
        if (r > 1)
        {
            Store(a10, a11, a12, a13, f, y + v, res == null ? null : res + v, plane, act);
        }

        if (r > 2)
        {
            Store(a20, a21, a22, a23, f, y + (2 * v), res == null ? null : res + (2 * v), plane, act);
        }

        if (r > 3)
        {
            Store(a30, a31, a32, a33, f, y + (3 * v), res == null ? null : res + (3 * v), plane, act);
        }

        if (r > 4)
        {
            Store(a40, a41, a42, a43, f, y + (4 * v), res == null ? null : res + (4 * v), plane, act);
        }

        if (r > 5)
        {
            Store(a50, a51, a52, a53, f, y + (5 * v), res == null ? null : res + (5 * v), plane, act);
        }
    }

    // Tile<TV, TI, TF, TR> on 8 lanes, written on Vector256 itself, for count tiles one after another (TR pixels apart;
    // a direct input's tiles one at a time): through the lane struct the JIT took each row's first multiply-add in its
    // 213 form between two register copies and recomputed every broadcast's address from an int step (11 copies and 10
    // integer instructions per input channel beside 12 multiply-adds).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile256<TI, TF, TR>(int count, float* w, in KRange k, float* x, int pixelStep, in PixelSteps steps, float* y, float* res, in FusedActivation activation)
        where TI : struct, IInputLayout
        where TF : struct, ICount
        where TR : struct, ICount
    {
        const int v = 8;
        int f = TF.Count, r = TR.Count, ws = f * v;
        nint ps = TI.Planar ? 1 : TI.Direct ? pixelStep : v;
        nint d1 = TI.AcrossRows ? (nint)steps.D1 : ps, d2 = TI.AcrossRows ? (nint)steps.D2 : 2 * ps, d3 = TI.AcrossRows ? (nint)steps.D3 : 3 * ps;
        nint d4 = TI.AcrossRows ? (nint)steps.D4 : 4 * ps, d5 = TI.AcrossRows ? (nint)steps.D5 : 5 * ps;
        nint ls = TI.Planar ? _pixels : 1;
        long plane = (long)_pixels * v;
        float* bias = k.Bias;
        var act = activation;
        Vector256<float> lo = Vector256.Create(act.Lo), hi = Vector256.Create(act.Hi);
        nint stepX = r * ps, stepY = r * v;
        for (int t = 0; t < count; t++, x += stepX, y += stepY, res = res == null ? null : res + stepY)
        {
            Vector256<float> b0 = Vector256.Load(bias), b1 = f > 1 ? Vector256.Load(bias + v) : default, b2 = f > 2 ? Vector256.Load(bias + (2 * v)) : default;
            Vector256<float> a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2, a20 = b0, a21 = b1, a22 = b2;
            Vector256<float> a30 = b0, a31 = b1, a32 = b2, a40 = b0, a41 = b1, a42 = b2, a50 = b0, a51 = b1, a52 = b2;
            for (int kb = k.First; kb < k.End; kb++)
            {
                float* xk = TI.Direct && !TI.PerRow ? x + k.Offsets[kb] : x + (kb * plane);
                float* wk = w + ((long)kb * v * ws);
                int lanes = Math.Min(v, _k - (kb * v));
                for (int kl = 0; kl < lanes; kl++, wk += ws, xk += ls)
                {
                    if (TI.PerRow)
                    {
                        xk = x + k.Offsets[(kb * v) + kl];
                    }

                    var w0 = Vector256.Load(wk);
                    var w1 = f > 1 ? Vector256.Load(wk + v) : default;
                    var w2 = f > 2 ? Vector256.Load(wk + (2 * v)) : default;
                    Row256(Vector256.Create(*xk), w0, w1, w2, f, ref a00, ref a01, ref a02);
                    if (r > 1)
                    {
                        Row256(Vector256.Create(xk[d1]), w0, w1, w2, f, ref a10, ref a11, ref a12);
                    }

                    if (r > 2)
                    {
                        Row256(Vector256.Create(xk[d2]), w0, w1, w2, f, ref a20, ref a21, ref a22);
                    }

                    if (r > 3)
                    {
                        Row256(Vector256.Create(xk[d3]), w0, w1, w2, f, ref a30, ref a31, ref a32);
                    }

                    if (r > 4)
                    {
                        Row256(Vector256.Create(xk[d4]), w0, w1, w2, f, ref a40, ref a41, ref a42);
                    }

                    if (r > 5)
                    {
                        Row256(Vector256.Create(xk[d5]), w0, w1, w2, f, ref a50, ref a51, ref a52);
                    }
                }
            }

            Store256(a00, a01, a02, f, y, res, plane, act, lo, hi);
            if (r > 1)
            {
                Store256(a10, a11, a12, f, y + v, res == null ? null : res + v, plane, act, lo, hi);
            }

            if (r > 2)
            {
                Store256(a20, a21, a22, f, y + (2 * v), res == null ? null : res + (2 * v), plane, act, lo, hi);
            }

            if (r > 3)
            {
                Store256(a30, a31, a32, f, y + (3 * v), res == null ? null : res + (3 * v), plane, act, lo, hi);
            }

            if (r > 4)
            {
                Store256(a40, a41, a42, f, y + (4 * v), res == null ? null : res + (4 * v), plane, act, lo, hi);
            }

            if (r > 5)
            {
                Store256(a50, a51, a52, f, y + (5 * v), res == null ? null : res + (5 * v), plane, act, lo, hi);
            }
        }
    }

    // One pixel's broadcast input value times the F ≤ 3 weight vectors, into its accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row256(Vector256<float> s, Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, int f,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2)
    {
        a0 = Vector256.FusedMultiplyAdd(s, w0, a0);
        if (f > 1)
        {
            a1 = Vector256.FusedMultiplyAdd(s, w1, a1);
        }

        if (f > 2)
        {
            a2 = Vector256.FusedMultiplyAdd(s, w2, a2);
        }
    }

    // One pixel's F ≤ 3 blocks of 8 lanes (a plane apart): + residual, activation, store. The activation's form is
    // tested once per pixel, not per vector, and a clamp's bounds come broadcast (lo, hi).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, int f, float* y, float* res, long plane, in FusedActivation act,
        Vector256<float> lo, Vector256<float> hi)
    {
        if (res != null)
        {
            a0 += Vector256.Load(res);
            a1 = f > 1 ? a1 + Vector256.Load(res + plane) : a1;
            a2 = f > 2 ? a2 + Vector256.Load(res + (2 * plane)) : a2;
        }

        if (act.Form == FusedActivationForm.Clamp)
        {
            a0 = FusedActivation.Clamp(a0, lo, hi);
            a1 = f > 1 ? FusedActivation.Clamp(a1, lo, hi) : a1;
            a2 = f > 2 ? FusedActivation.Clamp(a2, lo, hi) : a2;
        }
        else if (act.Form != FusedActivationForm.None)
        {
            a0 = act.Apply(a0);
            a1 = f > 1 ? act.Apply(a1) : a1;
            a2 = f > 2 ? act.Apply(a2) : a2;
        }

        a0.Store(y);
        if (f > 1)
        {
            a1.Store(y + plane);
        }

        if (f > 2)
        {
            a2.Store(y + (2 * plane));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(TV s, TV w0, TV w1, TV w2, TV w3, int f, ref TV a0, ref TV a1, ref TV a2, ref TV a3)
        where TV : struct, ILanes<TV>
    {
        a0 = TV.MultiplyAdd(s, w0, a0);
        if (f > 1)
        {
            a1 = TV.MultiplyAdd(s, w1, a1);
        }

        if (f > 2)
        {
            a2 = TV.MultiplyAdd(s, w2, a2);
        }

        if (f > 3)
        {
            a3 = TV.MultiplyAdd(s, w3, a3);
        }
    }

    // One pixel's F blocks (a plane apart): + residual, activation, store.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(TV a0, TV a1, TV a2, TV a3, int f, float* y, float* res, long plane, in FusedActivation act)
        where TV : struct, ILanes<TV>
    {
        if (res != null)
        {
            a0 += TV.Load(res);
            a1 = f > 1 ? a1 + TV.Load(res + plane) : a1;
            a2 = f > 2 ? a2 + TV.Load(res + (2 * plane)) : a2;
            a3 = f > 3 ? a3 + TV.Load(res + (3 * plane)) : a3;
        }

        a0.Activate(act).Store(y);
        if (f > 1)
        {
            a1.Activate(act).Store(y + plane);
        }

        if (f > 2)
        {
            a2.Activate(act).Store(y + (2 * plane));
        }

        if (f > 3)
        {
            a3.Activate(act).Store(y + (3 * plane));
        }
    }

    /// <summary>
    /// Whether the input is planar, or a direct convolution's padded input, blocked or planar (per-row offsets): a
    /// compile-time choice, as a type argument.
    /// </summary>
    private interface IInputLayout
    {
        static abstract bool Planar { get; }

        static abstract bool Direct { get; }

        static abstract bool PerRow { get; }

        /// <summary>Whether a tile's pixels run past the end of an output row (a direct input: per-pixel steps).</summary>
        static abstract bool AcrossRows { get; }
    }

    // Every member spelled out: the JIT does not fold a static default interface member into a constant (the inner
    // loop's PerRow test became a call per input channel: the direct kernel 5-10 % slower).
    private readonly struct PlanarInput : IInputLayout
    {
        public static bool Planar => true;

        public static bool Direct => false;

        public static bool PerRow => false;

        public static bool AcrossRows => false;
    }

    private readonly struct BlockedInput : IInputLayout
    {
        public static bool Planar => false;

        public static bool Direct => false;

        public static bool PerRow => false;

        public static bool AcrossRows => false;
    }

    private readonly struct PaddedInput : IInputLayout
    {
        public static bool Planar => false;

        public static bool Direct => true;

        public static bool PerRow => false;

        public static bool AcrossRows => false;
    }

    private readonly struct PaddedPlanarInput : IInputLayout
    {
        public static bool Planar => false;

        public static bool Direct => true;

        public static bool PerRow => true;

        public static bool AcrossRows => false;
    }

    private readonly struct PaddedAcrossRows : IInputLayout
    {
        public static bool Planar => false;

        public static bool Direct => true;

        public static bool PerRow => false;

        public static bool AcrossRows => true;
    }

    private readonly struct PaddedPlanarAcrossRows : IInputLayout
    {
        public static bool Planar => false;

        public static bool Direct => true;

        public static bool PerRow => true;

        public static bool AcrossRows => true;
    }

    // The steps of tiles whose pixels are ps floats apart (not read).
    private static readonly PixelSteps NoSteps = default;

    /// <summary>Floats from a tile's first pixel in the input to each of the others (<see cref="D1"/> to the second, ...).</summary>
    private readonly struct PixelSteps(long d1, long d2, long d3, long d4, long d5)
    {
        public long D1 { get; } = d1;

        public long D2 { get; } = d2;

        public long D3 { get; } = d3;

        public long D4 { get; } = d4;

        public long D5 { get; } = d5;
    }

    /// <summary>A chunk of K blocks [First, End): the accumulators' start (bias or zeros) and the direct input's block offsets.</summary>
    private readonly struct KRange(float* bias, long* offsets, int first, int end)
    {
        public float* Bias { get; } = bias;

        public long* Offsets { get; } = offsets;

        public int First { get; } = first;

        public int End { get; } = end;
    }
}

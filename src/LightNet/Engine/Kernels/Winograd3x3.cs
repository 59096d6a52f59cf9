using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A dense (one group) 3×3, stride-1, undilated convolution by Winograd F(4×4, 3×3): each 4×4 block of outputs
/// ("tile") is computed from the 6×6 input patch around it with 36 multiplications per input/output channel pair
/// instead of 144 — or by F(2×2, 3×3) (<see cref="Create"/>'s <c>tile</c> 2): 2×2 outputs from a 4×4 patch, 16
/// multiplications instead of 36, for small maps, where F(4×4)'s few tiles make GEMMs of a few columns (a 7×7 map is 4
/// tiles of 4×4 but 16 of 2×2, one full 16-column panel). The weights are transformed once (U = G·g·Gᵀ, in double)
/// into 36 (16) [Cout × Cin] matrices packed for the GEMM micro-kernel. Per run, the tiles are cut into blocks; each block, on one thread: input transform
/// (V = Bᵀ·d·B) into 36 [Cin × tiles] matrices, 36 GEMMs M = U·V through <see cref="GemmWork"/>, output transform
/// (Y = Aᵀ·M·A) scattered into the output with bias, residual and activation. With fewer blocks than threads (small
/// maps) the threads share each block instead: input channels, then the 36 GEMMs, then output channels; where blocks
/// would leave one thread more tiles than rows of the GEMMs would (49 tiles are blocks of 32 and 17 on 2 threads), each
/// thread takes every tile for a range of output channels (<see cref="SplitsOutputChannels"/>). The
/// transforms run on vectors across the block's tiles (512/256/128 bits or scalar by ISA, multiply and add kept
/// apart, so every width gives the same bits). A block's result does not depend on which thread runs it or how
/// the tiles are cut, so every thread count gives the same output.
/// </summary>
/// <remarks>
/// Transform matrices (interpolation points 0, ±1, ±2, ∞; for F(2×2) 0, ±1, ∞), as in Lavin and Gray, "Fast Algorithms for Convolutional
/// Neural Networks" (2016). The fp32 error is larger than a direct convolution's: the tests bound it by 1e-5 of each
/// output's Σ|w·x| (largest seen: 1.2e-6).
/// </remarks>
internal sealed unsafe class Winograd3x3 : IParallelWork, IDisposable
{

    // The input transform's cost per input channel and tile, in output channels of GEMM work (an estimate that puts the
    // kernel check's row splits on the right side, SplitsRows).
    private const int InputTransformChannels = 16;

    // Floats of V and M per thread a block of tiles may fill (about 512 KiB, half the L2 of a Zen 4 core).
    private const int BlockBudgetFloats = 128 * 1024;

    private static readonly double[,] G4 =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    private static readonly double[,] G2 =
    {
        { 1, 0, 0 },
        { 0.5, 0.5, 0.5 },
        { 0.5, -0.5, 0.5 },
        { 0, 0, 1 },
    };

    private readonly Conv2dShape _s;
    private readonly Isa _isa;
    private readonly Activation _activation;
    private readonly float* _bias;
    private readonly GemmBuffer _u;
    private readonly long _uStride;
    private readonly GemmWork[] _gemms;
    private readonly int _tilesW, _tiles, _blockTiles, _blocks, _stride, _rowStride;

    // Outputs per tile side (4 or 2), input patch side (m + 2) and transformed values per tile (α²).
    private readonly int _m, _alpha, _xi;
    private readonly long _vFloats, _mFloats, _threadBytes;

    // True when blocks are fewer than threads: the threads then share each block stage by stage.
    private readonly bool _staged;

    // True when the threads split the output channels instead (every thread all tiles, a range of rows of the GEMMs).
    private readonly bool _splitRows;
    private readonly int _threads, _mr;

    // Per-run arguments.
    private float* _x, _y, _res;
    private byte* _scratch;
    private Stage _stage;
    private int _t0, _n;

    private enum Stage
    {
        Blocks,
        Rows,
        Input,
        Gemm,
        Output,
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Winograd3x3(in Conv2dShape s, ReadOnlySpan<float> weights, float* bias, Activation activation, Isa isa, int threads, int tile)
    {
        _s = s;
        _m = tile;
        _alpha = tile + 2;
        _xi = _alpha * _alpha;
        int alpha = _alpha, xiCount = _xi;
        var g4 = tile == 4 ? G4 : G2;
        _isa = isa;
        _activation = activation;
        _bias = bias;
        int cin = s.InChannels, cout = s.OutChannels;
        var cfg = GemmConfig.For(isa, cout);
        _tilesW = (s.OutWidth + tile - 1) / tile;
        _tiles = ((s.OutHeight + tile - 1) / tile) * _tilesW;

        // Tiles per block: a multiple of the GEMM's panel width, as many as the budget allows but at least 32 (fewer
        // make GEMMs too short to pay for their set-up), few enough that every thread gets a block.
        int budget = Math.Max(GemmConfig.RoundUp(32, cfg.NR), BlockBudgetFloats / (xiCount * (cin + cout)) / cfg.NR * cfg.NR);
        int tiles = _tiles;
        int BlockTiles(int sharers) => Math.Min(budget, GemmConfig.RoundUp((tiles + sharers - 1) / sharers, cfg.NR));
        _blockTiles = BlockTiles(threads);
        _blocks = (_tiles + _blockTiles - 1) / _blockTiles;
        _staged = _blocks < threads;
        _threads = threads;
        _mr = cfg.MR;
        _splitRows = SplitsRows(_tiles, _blockTiles, _staged, cout, cfg.MR, threads);
        if (_splitRows)
        {
            // Every thread takes every tile: the blocks of one thread.
            _blockTiles = BlockTiles(1);
            _blocks = (_tiles + _blockTiles - 1) / _blockTiles;
            _staged = false;
        }
        _stride = GemmConfig.RoundUp(_blockTiles, 16);
        _vFloats = (long)xiCount * cin * _stride;
        _mFloats = (long)xiCount * cout * _stride;
        _gemms = new GemmWork[threads];
        for (int t = 0; t < threads; t++)
        {
            _gemms[t] = new GemmWork(cfg, cout, _blockTiles, cin, 1);
        }

        _rowStride = GemmConfig.RoundUp(tile * _tilesW, 16);
        _threadBytes = GemmConfig.Align64((_vFloats + _mFloats + (2L * xiCount * _stride) + ((long)tile * _rowStride)) * sizeof(float)) + _gemms[0].ScratchBytesPerThread;
        ScratchBytes = _threadBytes * threads;

        _uStride = cfg.PackedASize(cout, cin);
        _u = new GemmBuffer(_uStride * xiCount);
        var u = new float[(long)xiCount * cout * cin];
        for (int co = 0; co < cout; co++)
        {
            for (int ci = 0; ci < cin; ci++)
            {
                var g = weights.Slice(((co * cin) + ci) * 9, 9);
                for (int r = 0; r < alpha; r++)
                {
                    for (int c = 0; c < alpha; c++)
                    {
                        double v = 0;
                        for (int a = 0; a < 3; a++)
                        {
                            for (int b = 0; b < 3; b++)
                            {
                                v += g4[r, a] * g[(a * 3) + b] * g4[c, b];
                            }
                        }

                        u[((((r * alpha) + c) * (long)cout) + co) * cin + ci] = (float)v;
                    }
                }
            }
        }

        fixed (float* pu = u)
        {
            for (int xi = 0; xi < xiCount; xi++)
            {
                GemmWork.PackA(cfg, pu + ((long)xi * cout * cin), cin, 1, cout, cin, 1f, _u.Pointer + (xi * _uStride));
            }
        }

        Algorithm = (tile == 4 ? "winograd-3x3-" : "winograd-2x2-3x3-") + IsaSupport.Name(isa);
    }

    // The first output channel of thread item i of a row split: whole row panels of the GEMM (mr rows), cut evenly; the
    // channel count for i = threads.
    private static int RowsStart(int i, int cout, int mr, int threads) =>
        Math.Min(cout, (int)((long)i * ((cout + mr - 1) / mr) / threads) * mr);

    // Whether the threads share the output channels rather than blocks of tiles: where the blocks would leave one
    // thread's home range (the threads claim blocks from their own range first, WorkerPool) with more work than the
    // rows would. SqueezeNet's 27×27 layers and ResNet-18's 28×28 (49 tiles) were a block of 32 and one of 17 on 2
    // threads. Rows cost every thread the whole input transform, counted as InputTransformChannels output channels of
    // GEMM per input channel and tile: a DenseNet 128→32 layer at 14×14 (49 tiles of F(2×2)) measured 1.18× the time
    // by rows, ResNet-18's 256→256 0.91×. Maps that blocks cannot share (staged) keep their stages: by rows ResNet-18's
    // 7×7 layers measured 1.04–1.09× their time (each thread transforms 512 channels for 4 or 16 tiles).
    private static bool SplitsRows(int tiles, int blockTiles, bool staged, int cout, int mr, int threads)
    {
        if (threads == 1 || staged)
        {
            return false;
        }

        int blocks = (tiles + blockTiles - 1) / blockTiles; // Run's chunks: one a block
        double blockShare = 0, rowShare = 0;
        for (int t = 0; t < threads; t++)
        {
            long b0 = WorkerPool.HomeStart(t, blocks, threads), b1 = WorkerPool.HomeStart(t + 1, blocks, threads);
            blockShare = Math.Max(blockShare, Math.Min(tiles, b1 * blockTiles) - Math.Min(tiles, b0 * blockTiles));
            rowShare = Math.Max(rowShare, RowsStart(t + 1, cout, mr, threads) - RowsStart(t, cout, mr, threads));
        }

        // Each load is the busiest thread's work over an even share of the whole.
        double blockLoad = blockShare * threads / tiles;
        double rowLoad = (InputTransformChannels + rowShare) * threads / (InputTransformChannels + cout);
        return rowLoad < blockLoad;
    }

    /// <summary>The algorithm label ("winograd-3x3-avx512" for F(4×4, 3×3), "winograd-2x2-3x3-avx2" for F(2×2, 3×3), ...).</summary>
    public string Algorithm { get; }

    /// <summary>Whether the threads share the output channels (every thread all tiles) rather than blocks of tiles.</summary>
    internal bool SplitsOutputChannels => _splitRows;

    /// <summary>Per-run scratch for all threads, a multiple of 64 bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>Whether <paramref name="s"/> is a convolution this kernel computes: one group, 3×3, stride 1, dilation 1.</summary>
    public static bool Supports(in Conv2dShape s) =>
        s.Groups == 1 && s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideHeight == 1 && s.StrideWidth == 1
        && s.DilationHeight == 1 && s.DilationWidth == 1;

    /// <summary>
    /// Prepares the convolution (validated by the caller) as F(<paramref name="tile"/>×<paramref name="tile"/>, 3×3);
    /// <paramref name="bias"/> has OutChannels floats and outlives the kernel.
    /// </summary>
    /// <exception cref="LightNetException">The shape is not one <see cref="Supports"/> accepts, or the tile is neither 2 nor 4.</exception>
    public static Winograd3x3 Create(in Conv2dShape s, ReadOnlySpan<float> weights, float* bias, Activation activation, Isa isa, int threads, int tile = 4)
    {
        if (!Supports(s) || tile is not (2 or 4))
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Conv: Winograd F({tile}x{tile},3x3) needs a dense 3x3 stride-1 undilated convolution and a tile of 2 or 4, got {s}.");
        }

        return new Winograd3x3(s, weights, bias, activation, isa, threads, tile);
    }

    /// <summary>output = act(conv(input) + bias + residual); the residual may alias the output, the input must not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        _x = input;
        _y = output;
        _res = residual;
        _scratch = scratch;
        if (_splitRows)
        {
            _stage = Stage.Rows;
            pool.Run(this, _threads, _threads);
            return;
        }

        if (!_staged)
        {
            _stage = Stage.Blocks;
            pool.Run(this, _blocks, _blocks);
            return;
        }

        // Fewer blocks than threads (a 14×14 map is 16 tiles): the threads share each block, stage by stage, in
        // thread 0's V and M.
        for (int b = 0; b < _blocks; b++)
        {
            _t0 = b * _blockTiles;
            _n = Math.Min(_blockTiles, _tiles - _t0);
            _stage = Stage.Input;
            pool.Run(this, _s.InChannels);
            _stage = Stage.Gemm;
            pool.Run(this, _xi, _xi);
            _stage = Stage.Output;
            pool.Run(this, _s.OutChannels);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        byte* mine = _scratch + (threadIndex * _threadBytes);
        float* d = (float*)mine + _vFloats + _mFloats;
        float* t = d + (_xi * _stride);
        float* v = _staged ? (float*)_scratch : (float*)mine;
        float* m = v + _vFloats;
        var gemm = _gemms[threadIndex];
        gemm.Scratch = mine + (_threadBytes - gemm.ScratchBytesPerThread);
        switch (_stage)
        {
            case Stage.Input:
                InputTransform(_t0, _n, begin, end, v, d, t);
                return;
            case Stage.Gemm:
                Gemms(gemm, _n, begin, end, 0, _s.OutChannels, v, m);
                return;
            case Stage.Output:
                OutputTransform(_t0, _n, begin, end, m, d, t, t + (_m * _m * _stride));
                return;
        }

        // Stage.Blocks: blocks [begin, end), every output channel; Stage.Rows: the output channels of items [begin, end)
        // (whole row panels of the GEMM), every block.
        int co0 = 0, co1 = _s.OutChannels, b0 = begin, b1 = end;
        if (_stage == Stage.Rows)
        {
            (co0, co1) = (RowsStart(begin, _s.OutChannels, _mr, _threads), RowsStart(end, _s.OutChannels, _mr, _threads));
            (b0, b1) = (0, _blocks);
        }

        for (int b = b0; b < b1; b++)
        {
            int t0 = b * _blockTiles;
            int n = Math.Min(_blockTiles, _tiles - t0);
            InputTransform(t0, n, 0, _s.InChannels, v, d, t);
            Gemms(gemm, n, 0, _xi, co0, co1, v, m);
            OutputTransform(t0, n, co0, co1, m, d, t, t + (_m * _m * _stride));
        }
    }

    // Rows [co0, co1) of M[ξ] = U[ξ]·V[ξ] for ξ in [xi0, xi1), on the calling thread; co0 starts a row panel of U.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gemms(GemmWork gemm, int n, int xi0, int xi1, int co0, int co1, float* v, float* m)
    {
        gemm.Configure(co1 - co0, n, _s.InChannels);
        for (int xi = xi0; xi < xi1; xi++)
        {
            gemm.A = _u.Pointer + (xi * _uStride) + ((long)co0 * _s.InChannels);
            gemm.B = GemmBSource.Dense(v + ((long)xi * _s.InChannels * _stride), _stride, false);
            gemm.C = m + ((((long)xi * _s.OutChannels) + co0) * _stride);
            gemm.Ldc = _stride;
            gemm.Execute(0, gemm.Items, 0);
        }
    }

    /// <summary>Frees the transformed weights.</summary>
    public void Dispose() => _u.Dispose();

    // V[ξ][ci][k] for the block's tiles k = 0..n: gather each α×α patch (zeros outside the image) into d[α²][k], then
    // t = Bᵀ·d by columns, then V = t·B by rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputTransform(int t0, int n, int ci0, int ci1, float* v, float* d, float* t)
    {
        var s = _s;
        nint st = _stride;
        int m = _m, alpha = _alpha;
        bool sse = VectorTranspose.CanTranspose4 && _isa != Isa.Scalar; // 4×4 transposes (SSE, NEON)
        for (int ci = ci0; ci < ci1; ci++)
        {
            float* plane = _x + ((long)ci * s.InHeight * s.InWidth);
            for (int k = 0; k < n;)
            {
                int tile = t0 + k;
                int ty = tile / _tilesW, tx = tile - (ty * _tilesW);
                int y0 = (m * ty) - s.PadTop, x0 = (m * tx) - s.PadLeft;
                bool rowsIn = y0 >= 0 && y0 + alpha <= s.InHeight;
                if (sse && rowsIn && k + 4 <= n && tx + 4 <= _tilesW && x0 >= 0 && x0 + (m == 4 ? 20 : 10) <= s.InWidth)
                {
                    // Four tiles side by side, all inside the image: 4×4 transposes of the rows' 20 (F(2×2): 10) floats.
                    for (int i = 0; i < alpha; i++)
                    {
                        float* row = plane + ((long)(y0 + i) * s.InWidth) + x0;
                        if (m == 4)
                        {
                            Gather4(row, d + (i * 6 * st) + k, st);
                        }
                        else
                        {
                            Gather4Pairs(row, d + (i * 4 * st) + k, st);
                        }
                    }

                    k += 4;
                    continue;
                }

                bool inside = rowsIn && x0 >= 0 && x0 + alpha <= s.InWidth;
                for (int i = 0; i < alpha; i++)
                {
                    int y = y0 + i;
                    float* row = plane + ((long)y * s.InWidth) + x0;
                    float* dst = d + (i * alpha * st) + k;
                    if (inside)
                    {
                        for (int j = 0; j < alpha; j++)
                        {
                            dst[j * st] = row[j];
                        }
                    }
                    else
                    {
                        bool rowIn = (uint)y < (uint)s.InHeight;
                        for (int j = 0; j < alpha; j++)
                        {
                            dst[j * st] = rowIn && (uint)(x0 + j) < (uint)s.InWidth ? row[j] : 0f;
                        }
                    }
                }

                k++;
            }

            // V[(r·α + c)·Cin + ci] = (Bᵀ·d·B)[r][c]: values of a row Cin·st apart, rows α·Cin·st.
            nint vCol = s.InChannels * st;
            if (m == 4)
            {
                Transform2D<InputRows>(d, st, 6, 6, t, v + (ci * st), vCol, 6 * vCol, n);
            }
            else
            {
                Transform2D<InputRows2>(d, st, 4, 4, t, v + (ci * st), vCol, 4 * vCol, n);
            }
        }
    }

    // For each output channel: s = Aᵀ·M by columns, Y = s·A by rows, scattered into the m×m output blocks; then bias,
    // residual and activation over the output rows the block covers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OutputTransform(int t0, int n, int co0, int co1, float* m, float* sBuf, float* y, float* rows)
    {
        var s = _s;
        nint st = _stride;
        long plane = (long)s.OutHeight * s.OutWidth;
        int oh = s.OutHeight, ow = s.OutWidth, tm = _m;
        bool sse = VectorTranspose.CanTranspose4 && _isa != Isa.Scalar && tm == 4; // 4×4 transposes (SSE, NEON)
        for (int co = co0; co < co1; co++)
        {
            float* mc = m + ((long)co * st);
            nint xiStride = s.OutChannels * st;
            if (tm == 4)
            {
                Transform2D<OutputRows>(mc, xiStride, 6, 4, sBuf, y, st, 4 * st, n);
            }
            else
            {
                Transform2D<OutputRows2>(mc, xiStride, 4, 2, sBuf, y, st, 2 * st, n);
            }

            // Each tile row the block touches: its m×m blocks scattered into m output-wide rows, then bias, residual and
            // activation on the way into the output (the residual is read before the store of each element, so it may
            // alias the output).
            int tyEnd = (t0 + n - 1) / _tilesW;
            for (int ty = t0 / _tilesW; ty <= tyEnd; ty++)
            {
                int a = Math.Max(t0, ty * _tilesW) - (ty * _tilesW);
                int b = Math.Min(t0 + n, (ty + 1) * _tilesW) - (ty * _tilesW);
                float* src = y + (ty * _tilesW) + a - t0;
                for (int k = 0; k < b - a; k++)
                {
                    if (sse && k + 4 <= b - a)
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            Scatter4(src + k + (i * 4 * st), st, rows + (i * _rowStride) + (4 * k));
                        }

                        k += 3;
                        continue;
                    }

                    for (int i = 0; i < tm; i++)
                    {
                        float* dst = rows + (i * _rowStride) + (tm * k);
                        float* yi = src + k + (i * tm * st);
                        for (int j = 0; j < tm; j++)
                        {
                            dst[j] = yi[j * st];
                        }
                    }
                }

                int x0 = tm * a, width = Math.Min(tm * b, ow) - x0;
                for (int i = 0; i < Math.Min(tm, oh - (tm * ty)); i++)
                {
                    long at = (co * plane) + ((long)((tm * ty) + i) * ow) + x0;
                    GemmEpilogue.CombineActivate(rows + (i * _rowStride), _y + at, width, _bias[co], null, _res != null ? _res + at : null, 1f, _activation);
                }
            }
        }
    }

    // d[j·st + q] = p[4q + j] for j = 0..5, q = 0..3: the six columns of four side-by-side 6×6 patches' row (columns 4
    // and 5 are the first two of the transpose one vector further on; the JIT drops the other two).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather4(float* p, float* d, nint st)
    {
        var a1 = Vector128.Load(p + 4);
        var a2 = Vector128.Load(p + 8);
        var a3 = Vector128.Load(p + 12);
        VectorTranspose.Transpose4(Vector128.Load(p), a1, a2, a3, out var c0, out var c1, out var c2, out var c3);
        c0.Store(d);
        c1.Store(d + st);
        c2.Store(d + (2 * st));
        c3.Store(d + (3 * st));
        VectorTranspose.Transpose4(a1, a2, a3, Vector128.Load(p + 16), out var c4, out var c5, out _, out _);
        c4.Store(d + (4 * st));
        c5.Store(d + (5 * st));
    }

    // d[j·st + q] = p[2q + j] for j, q = 0..3: the four columns of four side-by-side 4×4 patches' row (F(2×2): patches
    // two columns apart).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather4Pairs(float* p, float* d, nint st)
    {
        VectorTranspose.Transpose4(Vector128.Load(p), Vector128.Load(p + 2), Vector128.Load(p + 4), Vector128.Load(p + 6),
            out var c0, out var c1, out var c2, out var c3);
        c0.Store(d);
        c1.Store(d + st);
        c2.Store(d + (2 * st));
        c3.Store(d + (3 * st));
    }

    // o[4q + j] = y[j·st + q] for j, q = 0..3: one output row of four side-by-side 4×4 blocks.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter4(float* y, nint st, float* o)
    {
        VectorTranspose.Transpose4(Vector128.Load(y), Vector128.Load(y + st), Vector128.Load(y + (2 * st)), Vector128.Load(y + (3 * st)),
            out var c0, out var c1, out var c2, out var c3);
        c0.Store(o);
        c1.Store(o + 4);
        c2.Store(o + 8);
        c3.Store(o + 12);
    }

    // The 2-D transform Tᵀ·X·T of an α×α array per lane (α = `size`, T giving `outSize` values): X[r][c] at
    // src + (r·α + c)·srcStep, TT first down each column into tmp[o][c] (st apart), then along each of tmp's rows into
    // dst + o·dstRow + o2·dstCol.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Transform2D<TT>(float* src, nint srcStep, int size, int outSize, float* tmp, float* dst, nint dstCol, nint dstRow, int n)
        where TT : struct, ILaneTransform
    {
        nint st = _stride;
        for (int c = 0; c < size; c++)
        {
            Lanes<TT>(src + (c * srcStep), size * srcStep, tmp + (c * st), size * st, n);
        }

        for (int o = 0; o < outSize; o++)
        {
            Lanes<TT>(tmp + (o * size * st), st, dst + (o * dstRow), dstCol, n);
        }
    }

    // Applies the transform TT to n lanes: the widest vectors the ISA has first, the rest by narrower ones.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Lanes<TT>(float* src, nint srcStride, float* dst, nint dstStride, int n)
        where TT : struct, ILaneTransform
    {
        int k = 0;
        if (_isa == Isa.Avx512)
        {
            k = TT.Apply<Lanes512>(src, srcStride, dst, dstStride, k, n);
        }

        if (_isa is Isa.Avx512 or Isa.Avx2)
        {
            k = TT.Apply<Lanes256>(src, srcStride, dst, dstStride, k, n);
        }

        if (_isa != Isa.Scalar)
        {
            k = TT.Apply<Lanes128>(src, srcStride, dst, dstStride, k, n);
        }

        TT.Apply<Lanes1>(src, srcStride, dst, dstStride, k, n);
    }
}

/// <summary>
/// A 1-D Winograd transform of 6 rows applied to every lane of a run (lanes [k, n) in steps of TV's width). Each
/// instantiation is its own method, not inlined: inlined, the four lane widths at every call site ran the transforms
/// past the JIT's inlining budget, and the vector additions and multiplications of the later ones became calls.
/// </summary>
internal unsafe interface ILaneTransform
{
    /// <summary>Transforms lanes from <paramref name="k"/> while a whole vector fits below <paramref name="n"/>; returns the next lane.</summary>
    static abstract int Apply<TV>(float* src, nint srcStride, float* dst, nint dstStride, int k, int n)
        where TV : struct, ILanes<TV>;
}

/// <summary>Bᵀ of F(4×4, 3×3): 6 rows in, 6 out.</summary>
internal readonly unsafe struct InputRows : ILaneTransform
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // see ILaneTransform
    public static int Apply<TV>(float* src, nint ss, float* dst, nint ds, int k, int n)
        where TV : struct, ILanes<TV>
    {
        for (; k + TV.Count <= n; k += TV.Count)
        {
            var d0 = TV.Load(src + k);
            var d1 = TV.Load(src + ss + k);
            var d2 = TV.Load(src + (2 * ss) + k);
            var d3 = TV.Load(src + (3 * ss) + k);
            var d4 = TV.Load(src + (4 * ss) + k);
            var d5 = TV.Load(src + (5 * ss) + k);
            var d42 = d4 - d2;
            var d31 = d3 - d1;
            ((d0 * 4f) - (d2 * 5f) + d4).Store(dst + k);
            (d3 + d4 - ((d1 + d2) * 4f)).Store(dst + ds + k);
            (d4 - d3 + ((d1 - d2) * 4f)).Store(dst + (2 * ds) + k);
            (d42 + (d31 * 2f)).Store(dst + (3 * ds) + k);
            (d42 - (d31 * 2f)).Store(dst + (4 * ds) + k);
            ((d1 * 4f) - (d3 * 5f) + d5).Store(dst + (5 * ds) + k);
        }

        return k;
    }
}

/// <summary>Aᵀ of F(4×4, 3×3): 6 rows in, 4 out.</summary>
internal readonly unsafe struct OutputRows : ILaneTransform
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // see ILaneTransform
    public static int Apply<TV>(float* src, nint ss, float* dst, nint ds, int k, int n)
        where TV : struct, ILanes<TV>
    {
        for (; k + TV.Count <= n; k += TV.Count)
        {
            var m0 = TV.Load(src + k);
            var m1 = TV.Load(src + ss + k);
            var m2 = TV.Load(src + (2 * ss) + k);
            var m3 = TV.Load(src + (3 * ss) + k);
            var m4 = TV.Load(src + (4 * ss) + k);
            var m5 = TV.Load(src + (5 * ss) + k);
            var p12 = m1 + m2;
            var q12 = m1 - m2;
            var p34 = m3 + m4;
            var q34 = m3 - m4;
            (m0 + p12 + p34).Store(dst + k);
            (q12 + (q34 * 2f)).Store(dst + ds + k);
            (p12 + (p34 * 4f)).Store(dst + (2 * ds) + k);
            (q12 + (q34 * 8f) + m5).Store(dst + (3 * ds) + k);
        }

        return k;
    }
}

/// <summary>Bᵀ of F(2×2, 3×3): 4 rows in, 4 out.</summary>
internal readonly unsafe struct InputRows2 : ILaneTransform
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // see ILaneTransform
    public static int Apply<TV>(float* src, nint ss, float* dst, nint ds, int k, int n)
        where TV : struct, ILanes<TV>
    {
        for (; k + TV.Count <= n; k += TV.Count)
        {
            var d0 = TV.Load(src + k);
            var d1 = TV.Load(src + ss + k);
            var d2 = TV.Load(src + (2 * ss) + k);
            var d3 = TV.Load(src + (3 * ss) + k);
            (d0 - d2).Store(dst + k);
            (d1 + d2).Store(dst + ds + k);
            (d2 - d1).Store(dst + (2 * ds) + k);
            (d1 - d3).Store(dst + (3 * ds) + k);
        }

        return k;
    }
}

/// <summary>Aᵀ of F(2×2, 3×3): 4 rows in, 2 out.</summary>
internal readonly unsafe struct OutputRows2 : ILaneTransform
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // see ILaneTransform
    public static int Apply<TV>(float* src, nint ss, float* dst, nint ds, int k, int n)
        where TV : struct, ILanes<TV>
    {
        for (; k + TV.Count <= n; k += TV.Count)
        {
            var m0 = TV.Load(src + k);
            var m1 = TV.Load(src + ss + k);
            var m2 = TV.Load(src + (2 * ss) + k);
            var m3 = TV.Load(src + (3 * ss) + k);
            (m0 + m1 + m2).Store(dst + k);
            (m1 - m2 - m3).Store(dst + ds + k);
        }

        return k;
    }
}

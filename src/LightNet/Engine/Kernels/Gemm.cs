using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Register-blocking and cache-blocking sizes of the GEMM for one ISA. The micro-kernel computes an
/// <see cref="MR"/>×<see cref="NR"/> tile of C from an A panel (MR rows, k-major) and a B panel (NR columns, k-major).
/// </summary>
internal readonly record struct GemmConfig(Isa Isa, int MR, int NR, int KC, int NC)
{
    /// <summary>The largest tile any ISA uses (for stack tiles).</summary>
    public const int MaxTile = 12 * 32;

    /// <summary>The blocking of <paramref name="isa"/> for a GEMM of any number of rows.</summary>
    public static GemmConfig For(Isa isa) => isa switch
    {
        // KC·NC floats of packed B stay in L2 (192 KiB); an MR×KC A panel stays in L1. AVX-512: 24 of the 32 zmm
        // registers accumulate a 12×32 tile, so each k step issues 24 FMAs for 2 loads of B and 12 broadcasts of A.
        Isa.Avx512 => new GemmConfig(isa, 12, 32, 256, 192),
        Isa.Avx2 => new GemmConfig(isa, 6, 16, 256, 192),
        // Vector128: 6×16 (24 accumulators) where there are 32 vector registers (Arm64, x64 with EVEX), else 6×8.
        Isa.Vector128 => new GemmConfig(isa, 6, ConvLayout.WideRegisterFile ? 16 : 8, 256, 192),
        _ => new GemmConfig(Isa.Scalar, 4, 4, 256, 192),
    };

    /// <summary>
    /// The blocking of <paramref name="isa"/> for a GEMM of <paramref name="m"/> rows known in advance (weights):
    /// on AVX-512 an 8-row tile where 12-row panels would pad more than 4 % of the rows with zeros (16, 32, 64, 160
    /// rows), else the 12-row tile.
    /// </summary>
    public static GemmConfig For(Isa isa, int m)
    {
        var cfg = For(isa);
        return isa == Isa.Avx512 && RoundUp(m, 12) * 25L > RoundUp(m, 8) * 26L ? cfg with { MR = 8 } : cfg;
    }

    /// <summary>Floats of the A operand packed into MR-row panels (rows padded with zeros to MR).</summary>
    public long PackedASize(int m, int k) => (long)RoundUp(m, MR) * k;

    /// <summary>Bytes of per-thread scratch for packed B.</summary>
    public long PackBBytes => Align64((long)KC * NC * sizeof(float));

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <paramref name="multiple"/>.</summary>
    public static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Rounds a byte count up to a multiple of 64.</summary>
    public static long Align64(long bytes) => (bytes + 63) & ~63L;
}

/// <summary>An owned block of 64-byte-aligned, zero-initialised native floats (prepacked weights).</summary>
internal sealed unsafe class GemmBuffer : IDisposable
{
    private float* _data;

    /// <summary>Allocates <paramref name="length"/> zeroed floats.</summary>
    public GemmBuffer(long length)
    {
        Length = length;
        nuint bytes = (nuint)Math.Max(64, GemmConfig.Align64(length * sizeof(float)));
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    /// <summary>Frees the memory if <see cref="Dispose"/> was not called.</summary>
    ~GemmBuffer() => Free();

    /// <summary>The number of floats.</summary>
    public long Length { get; }

    /// <summary>The first float (valid until disposal).</summary>
    public float* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(GemmBuffer));

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }
}

/// <summary>Where the B operand (K×N) of a GEMM comes from; packed per KC×NC block by the driver.</summary>
internal enum GemmBKind
{
    /// <summary>Row-major: B[k, n] = Data[k·Ld + n].</summary>
    RowMajor,

    /// <summary>Transposed: B[k, n] = Data[n·Ld + k].</summary>
    Transposed,

    /// <summary>Implicit im2col of one group of a convolution: B[(c, ky, kx), (oy, ox)] = input[c, iy, ix] or 0.</summary>
    Im2Col,
}

/// <summary>The B operand description; plain data, set per run without allocation.</summary>
internal unsafe struct GemmBSource
{
    public GemmBKind Kind;
    public float* Data;
    public nint Ld;
    public int InHeight, InWidth, KernelHeight, KernelWidth, StrideHeight, StrideWidth;
    public int DilationHeight, DilationWidth, PadTop, PadLeft, OutWidth;

    /// <summary>A row-major (or transposed) dense operand.</summary>
    public static GemmBSource Dense(float* data, nint ld, bool transposed) =>
        new() { Kind = transposed ? GemmBKind.Transposed : GemmBKind.RowMajor, Data = data, Ld = ld };

    /// <summary>
    /// Row <paramref name="k"/> of the im2col view: its input channel and the tap's row and column shifts (dilation and
    /// padding applied), so the row reads input[channel][oy·sh + dy][ox·sw + dx].
    /// </summary>
    public readonly void Tap(int k, out int channel, out int dy, out int dx)
    {
        int taps = KernelHeight * KernelWidth;
        channel = k / taps;
        int rem = k - (channel * taps);
        int ky = rem / KernelWidth;
        dy = (ky * DilationHeight) - PadTop;
        dx = ((rem - (ky * KernelWidth)) * DilationWidth) - PadLeft;
    }

    /// <summary>The im2col view of a convolution input (one group's channels starting at <paramref name="input"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmBSource Conv(float* input, in Conv2dShape s) => new()
    {
        Kind = GemmBKind.Im2Col, Data = input, InHeight = s.InHeight, InWidth = s.InWidth,
        KernelHeight = s.KernelHeight, KernelWidth = s.KernelWidth, StrideHeight = s.StrideHeight,
        StrideWidth = s.StrideWidth, DilationHeight = s.DilationHeight, DilationWidth = s.DilationWidth,
        PadTop = s.PadTop, PadLeft = s.PadLeft, OutWidth = s.OutWidth,
    };
}

/// <summary>
/// One GEMM C[M,N] = epilogue(Apacked[M,K] · B[K,N]) for fixed sizes and ISA: the static work split, the B packing
/// and the micro-kernel loop. Epilogue on the first K block: + row bias + column bias + Beta·residual; on the last:
/// the activation. The residual may alias C (it is read before C is written). Reused across runs; set the run
/// fields, then <c>pool.Run(this, Items)</c>.
/// </summary>
internal sealed unsafe class GemmWork : IParallelWork
{
    private readonly GemmConfig _cfg;
    private readonly int _threads;
    private int _mChunks;
    private int _mPanels;
    private int _nPanels;
    private int _nBlocks;
    private int _nBlocksInPlace, _mChunksInPlace; // the split when B is read in place (ReadsBInPlace)
    private int[]? _pixelColumns, _pixelRows; // the shifted (or gathered) im2col's column and row of each pixel (null: not used)
    private int[]? _pixelOffsets; // the gathered im2col's input offset of each pixel (null: shifted, or not used)
    private int _shiftedLanes; // its masked loads: 16 (AVX-512), 8 (AVX) or 0
    private bool _im2col; // B is an im2col (PrepareIm2Col): shared between threads by columns (Configure)

    // Per-run arguments (set by the owner before each pool.Run).
    public float* A;
    public GemmBSource B;
    public float* C;
    public nint Ldc;
    public float* RowBias;
    public float* ColBias;
    public float* Residual;
    public nint Ldr;
    public float Beta = 1f;
    public Activation Activation;
    public byte* Scratch;

    /// <summary>Plans a GEMM of the given sizes for <paramref name="threads"/> threads.</summary>
    public GemmWork(GemmConfig cfg, int m, int n, int k, int threads)
    {
        _cfg = cfg;
        _threads = threads;
        Configure(m, n, k);
    }

    public GemmConfig Config => _cfg;

    /// <summary>
    /// Whether full NR-column panels of a row-major B (a 1×1 convolution's input, a MatMul operand) may be read where
    /// they lie instead of packed (AVX2 and Vector128, when the A panels of a K block fit <see cref="InPlaceMaxABytes"/>;
    /// with the AVX2 fused store the last partial panel too); false forces packing (kernel checks, tests).
    /// </summary>
    public bool AllowBInPlace { get; set; } = true;

    /// <summary>
    /// The most bytes of A (all row panels of one K block) for which B is read in place: the A panels are then re-read
    /// from L2 for every column panel (MobileNetV2's 7×7 960→160, 162 KiB of them, took 27 % longer on Vector128 read in
    /// place; with 14 KB, 144→24 at 56×56, 1.28–1.6× faster on AVX2).
    /// </summary>
    public const int InPlaceMaxABytes = 128 * 1024;

    /// <summary>Whether the run's B (as set now) has its full panels read in place (<see cref="AllowBInPlace"/>).</summary>
    public bool ReadsBInPlace => AllowBInPlace && (_cfg.Isa is Isa.Avx2 or Isa.Vector128) && B.Kind == GemmBKind.RowMajor
        && K >= InPlaceMinK && (long)_mPanels * _cfg.MR * Math.Min(K, _cfg.KC) * sizeof(float) <= InPlaceMaxABytes;

    /// <summary>
    /// The least depth for which B is read in place. Shallower, packing B costs little beside the writes to C, and the
    /// packed path writes C in long runs (wide blocks, Configure) where reading in place goes column panel by column
    /// panel, writing a piece of every row of C in turn.
    /// </summary>
    public const int InPlaceMinK = 64;

    /// <summary>
    /// The widest last panel (columns) the AVX2 fused store computes by <see cref="GemmMicroKernels.Avx2NarrowStrip"/>
    /// over four row panels at a time, rather than by the 6×8 masked kernel (6 FMAs per k for up to 8 columns). Kernel
    /// check side by side (Zen 3, "… masked" rows): ResNet-18's 7×7 512→512 im2col (49 columns, the last alone) 3017
    /// against 3542 µs on one thread, 1988 against 2352 on two; MobileNetV2's 7×7 960→160 199 against 221. With 4
    /// columns (a 14×14 map: 196 = 12·16 + 4) the Zen 3 VMs measured no difference (576→96: 292 against 289 µs), but
    /// on a Zen 1 EPYC (one 256-bit FMA a cycle, so the masked kernel's 6 FMAs for 4 useful columns are half wasted)
    /// the strip took 576→96 from 656–673 to 604–615 µs on one thread (427 → 343–356 on two) and ResNet-18's 14×14
    /// 256→256 im2col from 7504–7694 to 6909–7076; 8 columns (13×13 maps' 8 + 1) no different beyond noise.
    /// </summary>
    public const int StripMaxColumns = 4;


    /// <summary>
    /// Whether a last panel of at most <see cref="StripMaxColumns"/> columns goes through the strip kernel (AVX2 fused
    /// store); false keeps the 6×8 masked kernel (kernel checks, tests).
    /// </summary>
    public bool AllowNarrowStrip { get; set; } = true;

    // Row panels per call of the strip kernel (its four independent FMA chains).
    private const int StripPanels = 4;
    public int Threads => _threads;
    public int M { get; private set; }
    public int N { get; private set; }
    public int K { get; private set; }

    /// <summary>
    /// Column blocks of B packed at a time (each at most <see cref="GemmConfig.NC"/> columns, in whole NR panels); read
    /// in place (<see cref="ReadsBInPlace"/>), the column ranges the threads share.
    /// </summary>
    public int ColumnBlocks => ReadsBInPlace ? _nBlocksInPlace : _nBlocks;

    /// <summary>Row ranges every column block is cut into (more than one only to share few blocks between threads).</summary>
    public int RowChunks => ReadsBInPlace ? _mChunksInPlace : _mChunks;

    /// <summary>Re-plans for new sizes (allocation-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Configure(int m, int n, int k)
    {
        M = m;
        N = n;
        K = k;
        int nr = _cfg.NR;
        _nPanels = Math.Max(1, (n + nr - 1) / nr);
        _mPanels = (m + _cfg.MR - 1) / _cfg.MR;

        // The NR panels are dealt into column blocks of at most NC columns, as evenly as whole panels allow (block b
        // holds panels [b·P/B, (b+1)·P/B)), so no block is a sliver: 196 columns are 3 + 4 panels, not 6 + 1. On AVX2
        // and Vector128 a block shallower than KC is as much wider (KC·NC floats of packed B either way): each row
        // panel then writes long runs of its MR rows of C, not 192-column pieces. A 112×112 1×1 with K = 16 writes 4 MB
        // of C for 0.8 MB of B; 16→64 there took 1037–1084 µs in 192-column blocks, 603–647 in 3072-column ones (Zen 3).
        int perBlock = Math.Max(1, BlockColumns(k) / nr);
        _nBlocks = (_nPanels + perBlock - 1) / perBlock;

        // With many column blocks, one item per block and the threads claim them; their count is rounded up to a
        // multiple of the thread count (56×56: 18 blocks of 5–6 panels, not 17), so that the last round does not leave
        // a thread idle. With few (a 14×14 or 7×7 output gives one or two), every block is also cut into Threads row
        // ranges, so each thread gets an equal share of every block whatever their widths; each item packs its block
        // of B itself (in parallel, once per thread). That packing does not shrink with the thread count: with the
        // second thread kept busy elsewhere, 2-thread runs of 7×7–28×28 GEMMs with 32–96 rows took 7–14 % longer than
        // 1-thread ones. Sharing 28×28 maps by columns instead (6 blocks, no block packed twice) measured better on a
        // 3×3 im2col GEMM (27×27, 32→128: 2-thread speed-up 1.50–1.79 against 1.38–1.60) but worse on a 1×1 with K = 32
        // (32→192: 1.22–1.47 against 1.67–1.91), so the rule stayed (Zen 4, 2 vCPUs, load 3–5).
        //
        // An im2col GEMM (a 3×3 or 7×7 convolution) with more columns than rows is shared by columns whatever the map,
        // once there is a panel per thread: its B packing is the im2col itself (K = 9·Cin rows), larger than the
        // weights, and packing all of it in every thread cost the second thread its whole gain (Zen 3, AVX2, kernel
        // check: ResNet-18's 28×28 128→128 3316 µs on one thread, 3252 on two; by columns 1.81× faster on two). With
        // fewer columns than rows the weights are the larger operand and row ranges keep each thread reading half of
        // them (7×7 512→512, 9.4 MB of weights: 1.67× by rows, 1.40× by columns; 14×14 256→256 1.53× against 1.36×).
        // A GEMM on activations (a 1×1 convolution) with few row panels is shared by columns too: cut into row ranges, each
        // thread packed all of B for at most 4 panels of rows (SqueezeNet's 27×27 256→32, 2 threads, kernel check on Zen
        // 3: 250–276 µs by rows, 160–205 by columns; with 22 panels, 27×27 32→128, no difference beyond noise).
        bool byColumns = (_im2col || _mPanels <= 4 * _threads) && n > m && _nPanels >= _threads;
        if (_threads > 1 && (_nBlocks >= _threads * 4 || byColumns))
        {
            _nBlocks = Math.Min(_nPanels, GemmConfig.RoundUp(_nBlocks, _threads));
        }

        _mChunks = _threads > 1 && _nBlocks < _threads * 4 && !byColumns ? Math.Clamp(_threads, 1, Math.Max(1, _mPanels)) : 1;

        // Read in place, an item packs nothing (but a last partial panel), so the work is cut finer: about 4 items per
        // thread, so that a thread that starts late or is descheduled leaves less to the others. By columns where there
        // are more columns than rows, else in row ranges of each column block. (SqueezeNet's 13×13 64→256 was two
        // items, one row half each; 2 threads ran it only 1.2× faster than one.)
        _nBlocksInPlace = _nBlocks;
        _mChunksInPlace = 1;
        if (_threads > 1)
        {
            int target = _threads * 4;
            if (n > m && _nPanels >= _threads)
            {
                _nBlocksInPlace = Math.Min(_nPanels, GemmConfig.RoundUp(Math.Max(_nBlocks, target), _threads));
            }
            else
            {
                _mChunksInPlace = Math.Clamp((target + _nBlocks - 1) / _nBlocks, 1, Math.Max(1, _mPanels));
            }
        }
    }

    // The columns of a packed block of B for a GEMM of depth k (see Configure).
    private int BlockColumns(int k) => _cfg.Isa is Isa.Avx2 or Isa.Vector128
        ? (int)Math.Min(int.MaxValue, (long)_cfg.KC * _cfg.NC / Math.Clamp(k, 1, _cfg.KC))
        : _cfg.NC;

    /// <summary>
    /// Prepares the im2col packing of <paramref name="s"/>. With stride 1 and output rows as wide as the input's (a
    /// "same" convolution), B row k = (c, ky, kx) at output pixel n reads input[c] at n + dy·W + dx with dy, dx the tap's
    /// shifts: one contiguous run for the whole row, of which only the lanes whose shifted row and column fall inside
    /// the input are real (the others are padding zeros). Such rows are packed by masked vector loads (16 or 8 lanes,
    /// the masks from each pixel's row and column) instead of one short run per output row with its edges zeroed
    /// apart: SqueezeNet's 55×55 3×3 spent 30 % of its time packing, its 13×13 ones 18 % (Zen 4, AVX-512). Other
    /// convolutions with output rows up to <see cref="GatherMaxOutWidth"/> on the AVX2 level (ResNet-18's stride-2 layers
    /// into 14×14 and 7×7) read each lane by a masked gather from the pixel's input offset instead (PackIm2ColMasked).
    /// </summary>
    public void PrepareIm2Col(in Conv2dShape s)
    {
        _im2col = true;
        Configure(M, N, K);
        _shiftedLanes = _cfg.Isa == Isa.Avx512 && Avx512F.IsSupported ? 16 : _cfg.Isa is Isa.Avx512 or Isa.Avx2 && Avx.IsSupported ? 8 : 0;
        _pixelOffsets = null;
        bool shifted = _shiftedLanes != 0 && s.StrideHeight == 1 && s.StrideWidth == 1 && s.OutWidth == s.InWidth;
        bool gathered = !shifted && _cfg.Isa == Isa.Avx2 && Avx2.IsSupported && s.OutWidth <= GatherMaxOutWidth;
        if (!shifted && !gathered)
        {
            _pixelColumns = _pixelRows = null;
            return;
        }

        // Each pixel's first input row and column (stride applied; the taps' shifts hold the padding). Past the last
        // pixel (up to a whole panel further), rows and columns no shift brings inside the input.
        int pixels = s.OutHeight * s.OutWidth;
        _pixelColumns = new int[pixels + _cfg.NR];
        _pixelRows = new int[pixels + _cfg.NR];
        for (int n = 0; n < _pixelColumns.Length; n++)
        {
            bool real = n < pixels;
            _pixelColumns[n] = real ? n % s.OutWidth * s.StrideWidth : int.MinValue / 2;
            _pixelRows[n] = real ? n / s.OutWidth * s.StrideHeight : int.MinValue / 2;
        }

        if (gathered)
        {
            _pixelOffsets = new int[pixels + _cfg.NR];
            for (int n = 0; n < pixels; n++)
            {
                _pixelOffsets[n] = (_pixelRows[n] * s.InWidth) + _pixelColumns[n];
            }
        }
    }

    /// <summary>
    /// The widest output rows the AVX2 level packs an im2col by gathers (<see cref="PackIm2ColMasked"/>) rather than
    /// by runs along the rows (whose short runs of a small strided map are copied one value at a time). Kernel check,
    /// Zen 3, 1 thread, two alternating runs, time with gathers / without: ResNet-18's stride-2 3×3 into 7×7 0.92 / 0.92
    /// and into 14×14 0.92 / 0.95, its 1×1 stride-2 downsamples into 7×7 0.94 / 0.92 and 14×14 0.95 / 0.93; into 28×28
    /// the 3×3 1.01 / 1.00 and the 1×1 1.08 / 1.04, SqueezeNet's 3×3 stem (111 wide) 1.14 / 1.15.
    /// </summary>
    internal const int GatherMaxOutWidth = 14;

    /// <summary>Work items for <see cref="WorkerPool.Run(IParallelWork, int)"/> (with B as set for the run).</summary>
    public int Items => ColumnBlocks * RowChunks;

    /// <summary>Chunks for <see cref="WorkerPool.Run(IParallelWork, int, int)"/>: one per item.</summary>
    public int Chunks => Items;

    /// <summary>Per-thread scratch bytes (packed B).</summary>
    public long ScratchBytesPerThread => _cfg.PackBBytes;

    /// <summary>Packs A (M×K, element (i,p) at a[i·rowStride + p·colStride]) into MR-row panels, scaled by <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(GemmConfig cfg, float* a, nint rowStride, nint colStride, int m, int k, float scale, float* dst)
    {
        int mr = cfg.MR;
        for (int p0 = 0; p0 < m; p0 += mr)
        {
            int rows = Math.Min(mr, m - p0);
            float* panel = dst + ((long)p0 * k);
            for (int kk = 0; kk < k; kk++)
            {
                float* d = panel + ((long)kk * mr);
                int r = 0;
                for (; r < rows; r++)
                {
                    d[r] = a[((p0 + r) * rowStride) + (kk * colStride)] * scale;
                }

                for (; r < mr; r++)
                {
                    d[r] = 0f;
                }
            }
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int mr = _cfg.MR, nr = _cfg.NR, kcMax = _cfg.KC;
        float* bpack = (float*)(Scratch + (threadIndex * ScratchBytesPerThread));
        float* tile = stackalloc float[GemmConfig.MaxTile];
        bool fusedStore = FusedActivation.TryCreate(Activation, out var act) && (_cfg.Isa is Isa.Avx2 or Isa.Avx512) && ColBias == null && Beta == 1f;
        var none = FusedActivation.None;
        bool inPlace = ReadsBInPlace;

        // K blocks of equal depth: 576 is 3 × 192, not 256 + 256 + 64, whose last block is a whole pass over C and every
        // column panel for 64 k steps (MobileNetV2's 14×14 576→96 read in place, kernel check: 271 → 257 µs; packed,
        // ResNet-18's im2col layers no different beyond noise; Zen 3). The same split either way, so B read in place
        // and packed give the same bits.
        int kBlocks = Math.Max(1, (K + kcMax - 1) / kcMax);
        kcMax = Math.Max(1, (K + kBlocks - 1) / kBlocks);

        // Read in place with the AVX2 fused store, a last partial panel is read where it lies too: its masked and strip
        // kernels load only its columns. (Packing its few columns gathered kc strided rows per K block: 576→96 at 14×14
        // 257 → 251 µs.)
        bool avx2Fused = fusedStore && _cfg.Isa == Isa.Avx2;
        bool partialInPlace = inPlace && avx2Fused;
        int nBlocks = inPlace ? _nBlocksInPlace : _nBlocks, mChunks = inPlace ? _mChunksInPlace : _mChunks;
        int item = begin;
        while (item < end)
        {
            int nb = item / mChunks;
            int mc0 = item - (nb * mChunks);
            int itemEnd = Math.Min(end, (nb + 1) * mChunks);
            int mc1 = itemEnd - (nb * mChunks);
            int p0 = (int)((long)mc0 * _mPanels / mChunks);
            int p1 = (int)((long)mc1 * _mPanels / mChunks);
            item = itemEnd;
            if (p0 >= p1)
            {
                continue;
            }

            int n0 = (int)((long)nb * _nPanels / nBlocks) * nr;
            int nc = Math.Min((int)((long)(nb + 1) * _nPanels / nBlocks) * nr, N) - n0;
            int panels = (nc + nr - 1) / nr;
            for (int k0 = 0; k0 < K; k0 += kcMax)
            {
                int kc = Math.Min(kcMax, K - k0);
                bool first = k0 == 0, last = k0 + kc == K;

                // Packed: the block of B packed once, then row panels × column panels (the block stays in L2). Read in
                // place: the full panels where they lie, a last partial one packed, and column panels × row panels, so
                // each panel's kc rows (strided) are fetched once and stay in L1 across the row panels. (Row panels
                // outermost where the block fits L1 measured no better on one thread and worse on two: MobileNetV2's
                // 112×112 16→96 891 against 693 µs, Zen 3.)
                int full = !inPlace ? 0 : partialInPlace ? panels : nc / nr;
                if (!inPlace)
                {
                    PackB(k0, kc, n0, nc, bpack);
                }
                else if (full < panels)
                {
                    PackB(k0, kc, n0 + (full * nr), nc - (full * nr), bpack);
                }

                int outer = inPlace ? panels : p1 - p0, inner = inPlace ? p1 - p0 : panels;
                for (int o = 0; o < outer; o++)
                {
                    int i0 = 0;
                    if (avx2Fused)
                    {
                        // The full tiles of this row panel (packed) or column panel (read in place) in one call, whose
                        // loop keeps its few pointers in registers (this method's per-tile bookkeeping spilled; K = 16
                        // tiles are ~100 cycles of FMAs). Everything else (a partial column panel) below.
                        var runAct = last ? act : none;
                        if (!inPlace)
                        {
                            int row0 = (p0 + o) * mr;
                            GemmMicroKernels.Avx2x6x16Run(nc / nr, kc, A + ((long)row0 * K) + ((long)k0 * mr), 0, bpack, (nint)kc * nr, nr,
                                C + (row0 * Ldc) + n0, nr, Ldc, !first, first && RowBias != null ? RowBias + row0 : null, 0,
                                first && Residual != null ? Residual + (row0 * Ldr) + n0 : null, nr, Ldr, runAct, Math.Min(mr, M - row0), Math.Min(mr, M - row0));
                            i0 = nc / nr;
                        }
                        else if ((o + 1) * nr <= nc)
                        {
                            int row0 = p0 * mr, col0 = n0 + (o * nr);
                            GemmMicroKernels.Avx2x6x16Run(p1 - p0, kc, A + ((long)row0 * K) + ((long)k0 * mr), (nint)mr * K, B.Data + (k0 * B.Ld) + col0, 0, B.Ld,
                                C + (row0 * Ldc) + col0, mr * Ldc, Ldc, !first, first && RowBias != null ? RowBias + row0 : null, mr,
                                first && Residual != null ? Residual + (row0 * Ldr) + col0 : null, mr * Ldr, Ldr, runAct, mr, Math.Min(mr, M - ((p1 - 1) * mr)));
                            i0 = inner;
                        }
                    }

                    for (int i = i0; i < inner; i++)
                    {
                        int p = p0 + (inPlace ? i : o), q = inPlace ? o : i;
                        float* bp = !inPlace ? bpack + ((long)q * kc * nr) : q < full ? B.Data + (k0 * B.Ld) + n0 + (q * nr) : bpack;
                        nint ldb = inPlace && q < full ? B.Ld : nr;
                        int row0 = p * mr;
                        int rows = Math.Min(mr, M - row0);
                        float* ap = A + ((long)row0 * K) + ((long)k0 * mr);
                        int col0 = n0 + (q * nr);
                        int cols = Math.Min(nr, nc - (q * nr));
                        float* cp = C + (row0 * Ldc) + col0;

                        // The fused epilogue's operands: bias and residual on the first K block, the activation on the last.
                        float* rb = first && RowBias != null ? RowBias + row0 : null;
                        float* rp = first && Residual != null ? Residual + (row0 * Ldr) + col0 : null;
                        var tileAct = last ? act : none;
                        if (avx2Fused && cols < nr)
                        {
                            // A narrow last panel, every K block straight into C, 8 columns at a time: the 6×8 masked
                            // kernel, or for a piece of 1–2 columns (the last of a 7×7, 13×13, 27×27 or 55×55 map) the strip
                            // kernel, four row panels at a time by the first of them (their A panels are then fetched for
                            // the strip and stay in L1 for the full tiles of the next row panels; all the item's row
                            // panels at once read A twice, a 7×7 layer's 9 MB of it).
                            for (int j = 0; j < cols; j += 8)
                            {
                                int piece = Math.Min(8, cols - j);
                                if (piece <= StripMaxColumns && AllowNarrowStrip)
                                {
                                    if ((p - p0) % StripPanels == 0)
                                    {
                                        int group = Math.Min(StripPanels, p1 - p);
                                        GemmMicroKernels.Avx2NarrowStrip(kc, ap, (nint)mr * K, group, Math.Min(mr, M - ((p + group - 1) * mr)), bp + j, ldb, piece,
                                            cp + j, Ldc, !first, rb, rp != null ? rp + j : null, Ldr, tileAct);
                                    }
                                }
                                else
                                {
                                    GemmMicroKernels.Avx2x6x8Masked(
                                        kc, ap, bp + j, ldb, cp + j, Ldc, !first, rb, rp != null ? rp + j : null, Ldr, tileAct, rows, piece);
                                }
                            }
                        }
                        else if (fusedStore && rows == mr && cols == nr && (first || last))
                        {
                            // Bias, residual and a clamp or hard activation in registers, straight into C (AVX-512 here;
                            // AVX2's full tiles went through Avx2x6x16Run above, a last panel of fewer rows too: 16
                            // channels are 6 + 6 + 4, and that panel through the tile copy made MobileNetV2's 32→16 1×1
                            // 2.8× ONNX Runtime's time).
                            Micro(kc, ap, bp, ldb, cp, Ldc, !first, rb, rp, Ldr, tileAct, rows);
                        }
                        else if (first)
                        {
                            MicroEdge(kc, ap, bp, ldb, tile, false, cols);
                            StoreFirst(tile, cp, rows, cols, row0, col0, last);
                        }
                        else if (rows == mr && cols == nr)
                        {
                            Micro(kc, ap, bp, ldb, cp, Ldc, true);
                            if (last)
                            {
                                ActivateTile(cp, rows, cols);
                            }
                        }
                        else
                        {
                            for (int r = 0; r < mr; r++)
                            {
                                // The partial tile of C so far, by vectors; the columns and rows past it zeroed.
                                int used = r < rows ? cols : 0;
                                GemmEpilogue.Copy(cp + (r * Ldc), tile + (r * nr), used);
                                GemmEpilogue.Fill(tile + (r * nr), used, nr);
                            }

                            MicroEdge(kc, ap, bp, ldb, tile, true, cols);
                            for (int r = 0; r < rows; r++)
                            {
                                new ReadOnlySpan<float>(tile + (r * nr), cols).CopyTo(new Span<float>(cp + (r * Ldc), cols));
                            }

                            if (last)
                            {
                                ActivateTile(cp, rows, cols);
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per tile: never at tier 0 (warm-up)
    private void Micro(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate) =>
        Micro(kc, a, b, ldb, c, ldc, accumulate, null, null, 0, FusedActivation.None, _cfg.MR);

    /// <summary>
    /// An MR×NR tile (ldc = NR) of which only the first <paramref name="cols"/> columns are used: on AVX-512 and AVX2,
    /// narrower micro-kernels (16 and 8 columns) cover just those, reading the zero-padded NR-wide B panel, so the
    /// 49 columns of a 7×7 map cost 32 + 16 + 8 instead of 2 × 32. Each element gets the same FMAs in the same
    /// order as in the full tile, so the result is bit-identical to it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per tile: never at tier 0 (warm-up)
    private void MicroEdge(int kc, float* a, float* b, nint ldb, float* tile, bool accumulate, int cols)
    {
        int nr = _cfg.NR;
        if (_cfg.Isa == Isa.Avx512 && cols <= 24)
        {
            int offset = 0;
            if (cols > 8)
            {
                if (_cfg.MR == 12) GemmMicroKernels.Narrow16<Count12>(kc, a, b, nr, tile, nr, accumulate);
                else GemmMicroKernels.Narrow16<Count8>(kc, a, b, nr, tile, nr, accumulate);
                offset = 16;
            }

            if (cols > offset)
            {
                if (_cfg.MR == 12) GemmMicroKernels.Narrow8<Count12>(kc, a, b + offset, nr, tile + offset, nr, accumulate);
                else GemmMicroKernels.Narrow8<Count8>(kc, a, b + offset, nr, tile + offset, nr, accumulate);
            }
        }
        else if (_cfg.Isa == Isa.Avx2 && cols <= 8)
        {
            GemmMicroKernels.Narrow8<Count6>(kc, a, b, ldb, tile, nr, accumulate);
        }
        else
        {
            Micro(kc, a, b, ldb, tile, nr, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per tile: never at tier 0 (warm-up)
    private void Micro(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act, int rows)
    {
        // Only the AVX2 and Vector128 kernels take a B row stride (B read in place); the others read packed panels.
        Debug.Assert(ldb == _cfg.NR || _cfg.Isa is Isa.Avx2 or Isa.Vector128, "B read in place on a kernel without a row stride.");
        switch (_cfg.Isa)
        {
            case Isa.Avx2:
                GemmMicroKernels.Avx2x6x16(kc, a, b, ldb, c, ldc, accumulate, rowBias, res, ldr, act, rows);
                break;
            case Isa.Avx512 when _cfg.MR == 12:
                GemmMicroKernels.Avx512x12x32(kc, a, b, c, ldc, accumulate, rowBias, res, ldr, act);
                break;
            case Isa.Avx512:
                GemmMicroKernels.Avx512x8x32(kc, a, b, c, ldc, accumulate, rowBias, res, ldr, act);
                break;
            case Isa.Vector128 when _cfg.NR == 16:
                GemmMicroKernels.Vector128x6x16(kc, a, b, ldb, c, ldc, accumulate);
                break;
            case Isa.Vector128:
                GemmMicroKernels.Vector128x6x8(kc, a, b, ldb, c, ldc, accumulate);
                break;
            default:
                GemmMicroKernels.Scalar4x4(kc, a, b, c, ldc, accumulate);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StoreFirst(float* tile, float* c, int rows, int cols, int row0, int col0, bool last)
    {
        int nr = _cfg.NR;
        for (int r = 0; r < rows; r++)
        {
            float rb = RowBias != null ? RowBias[row0 + r] : 0f;
            float* cb = ColBias != null ? ColBias + col0 : null;
            float* res = Residual != null ? Residual + ((row0 + r) * Ldr) + col0 : null;
            float* d = c + (r * Ldc);
            if (last)
            {
                GemmEpilogue.CombineActivate(tile + (r * nr), d, cols, rb, cb, res, Beta, Activation);
            }
            else
            {
                GemmEpilogue.Combine(tile + (r * nr), d, cols, rb, cb, res, Beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ActivateTile(float* c, int rows, int cols)
    {
        if (Activation.IsNone)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            GemmEpilogue.Activate(c + (r * Ldc), cols, Activation);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackB(int k0, int kc, int n0, int nc, float* dst)
    {
        int nr = _cfg.NR;
        switch (B.Kind)
        {
            case GemmBKind.RowMajor:
                for (int q = 0; q * nr < nc; q++)
                {
                    int j0 = n0 + (q * nr);
                    int cols = Math.Min(nr, nc - (q * nr));
                    float* panel = dst + ((long)q * kc * nr);
                    float* src = B.Data + (k0 * B.Ld) + j0;
                    if (cols == nr)
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            GemmEpilogue.CopyRow(src + (kk * B.Ld), panel + (kk * nr), nr);
                        }
                    }
                    else
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            float* s = src + (kk * B.Ld);
                            float* d = panel + (kk * nr);
                            int j = 0;
                            for (; j < cols; j++)
                            {
                                d[j] = s[j];
                            }

                            for (; j < nr; j++)
                            {
                                d[j] = 0f;
                            }
                        }
                    }
                }

                break;
            case GemmBKind.Transposed:
                for (int q = 0; q * nr < nc; q++)
                {
                    int j0 = n0 + (q * nr);
                    int cols = Math.Min(nr, nc - (q * nr));
                    float* panel = dst + ((long)q * kc * nr);
                    for (int kk = 0; kk < kc; kk++)
                    {
                        float* d = panel + (kk * nr);
                        int j = 0;
                        for (; j < cols; j++)
                        {
                            d[j] = B.Data[((j0 + j) * B.Ld) + k0 + kk];
                        }

                        for (; j < nr; j++)
                        {
                            d[j] = 0f;
                        }
                    }
                }

                break;
            default:
                PackIm2Col(k0, kc, n0, nc, dst);
                break;
        }
    }

    // The shifted im2col (see PrepareIm2Col): lane n of row k = input[c][n + dy·W + dx] where the pixel's row + dy and
    // column + dx are inside the input and n is inside the block, else 0; the other lanes are never read. The gathered
    // one (AVX2, small maps of any stride: _pixelOffsets set): lane n = input[c][offset(n) + dy·W + dx] under the same
    // mask, 8 lanes per masked gather — a 7×7 output's row of B was 7 runs of 7 values, each copied one at a time with
    // its bounds and padding worked out per run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackIm2ColMasked(int k0, int kc, int n0, int nc, float* dst)
    {
        int nr = _cfg.NR, h = B.InHeight, w = B.InWidth, end = n0 + nc;
        int panels = (nc + nr - 1) / nr;
        long panelStride = (long)kc * nr;
        fixed (int* cols = _pixelColumns, rows = _pixelRows, offsets = _pixelOffsets)
        {
            for (int kk = 0; kk < kc; kk++)
            {
                B.Tap(k0 + kk, out int c, out int dy, out int dx);
                float* src = B.Data + ((long)c * h * w) + ((long)dy * w) + dx;
                float* d = dst + ((long)kk * nr);
                if (_shiftedLanes == 16)
                {
                    Vector512<int> vdx = Vector512.Create(dx), vdy = Vector512.Create(dy), vend = Vector512.Create(end);
                    Vector512<uint> vw = Vector512.Create((uint)w), vh = Vector512.Create((uint)h);
                    var iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                    for (int q = 0; q < panels; q++)
                    {
                        for (int j = 0; j < nr; j += 16)
                        {
                            int n = n0 + (q * nr) + j;
                            var inside = Vector512.LessThan((Vector512.Load(cols + n) + vdx).AsUInt32(), vw)
                                & Vector512.LessThan((Vector512.Load(rows + n) + vdy).AsUInt32(), vh)
                                & Vector512.LessThan(Vector512.Create(n) + iota, vend).AsUInt32();
                            Avx512F.MaskLoad(src + n, inside.AsSingle(), Vector512<float>.Zero).Store(d + (q * panelStride) + j);
                        }
                    }
                }
                else
                {
                    Vector256<int> vdx = Vector256.Create(dx), vdy = Vector256.Create(dy), vend = Vector256.Create(end);
                    Vector256<uint> vw = Vector256.Create((uint)w), vh = Vector256.Create((uint)h);
                    var iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                    for (int q = 0; q < panels; q++)
                    {
                        for (int j = 0; j < nr; j += 8)
                        {
                            int n = n0 + (q * nr) + j;
                            var inside = Vector256.LessThan((Vector256.Load(cols + n) + vdx).AsUInt32(), vw)
                                & Vector256.LessThan((Vector256.Load(rows + n) + vdy).AsUInt32(), vh)
                                & Vector256.LessThan(Vector256.Create(n) + iota, vend).AsUInt32();
                            (offsets != null
                                ? Avx2.GatherMaskVector256(Vector256<float>.Zero, src, Vector256.Load(offsets + n), inside.AsSingle(), 4)
                                : Avx.MaskLoad(src + n, inside.AsSingle())).Store(d + (q * panelStride) + j);
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackIm2Col(int k0, int kc, int n0, int nc, float* dst)
    {
        if (_pixelColumns != null)
        {
            PackIm2ColMasked(k0, kc, n0, nc, dst);
            return;
        }

        int nr = _cfg.NR;
        int h = B.InHeight, w = B.InWidth, ow = B.OutWidth;
        int sw = B.StrideWidth;
        int panels = (nc + nr - 1) / nr;
        for (int kk = 0; kk < kc; kk++)
        {
            B.Tap(k0 + kk, out int c, out int yOff, out int xOff);
            float* plane = B.Data + ((long)c * h * w);
            int oy = n0 / ow;
            int ox = n0 - (oy * ow);
            int q = 0, j = 0;
            float* d = dst + ((long)kk * nr);
            long panelStride = (long)kc * nr;
            int n = 0;
            while (n < nc)
            {
                // One output row segment [ox, segEnd) at a time.
                int seg = Math.Min(ow - ox, nc - n);
                int iy = (oy * B.StrideHeight) + yOff;
                float* rowp = plane + ((long)iy * w);
                bool rowValid = (uint)iy < (uint)h;
                int ix = (ox * sw) + xOff;
                int left = seg;
                while (left > 0)
                {
                    // A run inside one panel: copied whole when it reads one contiguous in-bounds stretch.
                    int run = Math.Min(nr - j, left);
                    float* dp = d + (q * panelStride) + j;
                    if (!rowValid)
                    {
                        GemmEpilogue.Fill(dp, 0, run);
                    }
                    else if (sw == 1)
                    {
                        // The in-bounds stretch copied by vectors, the padding columns on either side zeroed.
                        int lo = Math.Clamp(-ix, 0, run);
                        int hi = Math.Clamp(w - ix, lo, run);
                        GemmEpilogue.Fill(dp, 0, lo);
                        GemmEpilogue.Copy(rowp + ix + lo, dp + lo, hi - lo);
                        GemmEpilogue.Fill(dp, hi, run);
                    }
                    else if (sw == 2 && Avx2.IsSupported && (run & 7) == 0 && ix >= 0 && ix + (2 * run) <= w)
                    {
                        // A run of whole vectors inside the input (most panel rows of a stem): every 16 input columns
                        // split into their 8 evens by two shuffles, without the bounds and padding of the general run
                        // below (with them, packing was a third of ResNet-18's 7×7 stride-2 stem).
                        float* sp = rowp + ix;
                        for (int t = 0; t < run; t += 8)
                        {
                            Avx.Store(dp + t, Avx2.Permute4x64(Avx.Shuffle(Avx.LoadVector256(sp + (2 * t)), Avx.LoadVector256(sp + (2 * t) + 8), 0x88).AsDouble(), 0xD8).AsSingle());
                        }
                    }
                    else if (sw == 2 && Avx2.IsSupported)
                    {
                        // Every other input column: [lo, hi) are the run's in-bounds columns ix + 2t.
                        int lo = ix >= 0 ? 0 : Math.Min(run, (1 - ix) / 2);
                        int hi = Math.Clamp(w - 1 - ix < 0 ? 0 : ((w - 1 - ix) / 2) + 1, lo, run);
                        GemmEpilogue.Fill(dp, 0, lo);
                        int t = lo;
                        float* sp = rowp + ix;
                        for (; t + 8 <= hi && ix + (2 * t) + 15 < w; t += 8)
                        {
                            var a = Avx.LoadVector256(sp + (2 * t));
                            var b = Avx.LoadVector256(sp + (2 * t) + 8);
                            Avx.Store(dp + t, Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle());
                        }

                        for (; t < hi; t++)
                        {
                            dp[t] = sp[2 * t];
                        }

                        GemmEpilogue.Fill(dp, hi, run);
                    }
                    else
                    {
                        for (int t = 0, x = ix; t < run; t++, x += sw)
                        {
                            dp[t] = (uint)x < (uint)w ? rowp[x] : 0f;
                        }
                    }

                    ix += run * sw;
                    left -= run;
                    j += run;
                    if (j == nr)
                    {
                        j = 0;
                        q++;
                    }
                }

                n += seg;
                ox = 0;
                oy++;
            }

            for (; q < panels; q++)
            {
                for (; j < nr; j++)
                {
                    d[(q * panelStride) + j] = 0f;
                }

                j = 0;
            }
        }
    }
}

/// <summary>The vectorised store-side helpers of the GEMM: bias/residual combine, activation, row copy.</summary>
internal static unsafe class GemmEpilogue
{
    /// <summary>d[j] = t[j] + rowBias + colBias[j] + beta·res[j] (colBias and res may be null; res may alias d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Combine(float* t, float* d, int n, float rowBias, float* colBias, float* res, float beta) =>
        Combine(t, d, n, rowBias, colBias, res, beta, FusedActivation.None);

    /// <summary>
    /// d[j] = act(t[j] + rowBias + colBias[j] + beta·res[j]) in one pass where the activation has a register form
    /// (<see cref="FusedActivation"/>, as the GEMM's fused store applies it), else the combine then <see cref="Activate"/>.
    /// The two give the same bits for numbers; a NaN may leave the register form's clamp as its bound. Rows that are not a
    /// multiple of the vector width (a 55-, 27- or 13-wide map) get their last values from the inlined scalar form instead
    /// of one call per value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CombineActivate(float* t, float* d, int n, float rowBias, float* colBias, float* res, float beta, in Activation act)
    {
        if (FusedActivation.TryCreate(act, out var f))
        {
            Combine(t, d, n, rowBias, colBias, res, beta, f);
            return;
        }

        Combine(t, d, n, rowBias, colBias, res, beta, FusedActivation.None);
        Activate(d, n, act);
    }

    // d[j] = f(t[j] + rowBias + colBias[j] + beta·res[j]), by the widest vectors the hardware has.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine(float* t, float* d, int n, float rowBias, float* colBias, float* res, float beta, in FusedActivation f)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var rb = Vector256.Create(rowBias);
            var bv = Vector256.Create(beta);
            for (; j <= n - 8; j += 8)
            {
                var v = Vector256.Load(t + j) + rb;
                if (colBias != null)
                {
                    v += Vector256.Load(colBias + j);
                }

                if (res != null)
                {
                    v += bv * Vector256.Load(res + j);
                }

                f.Apply(v).Store(d + j);
            }

            if (j < n && Avx.IsSupported)
            {
                // The last 1–7 values as one masked vector (a 55-wide row's last 7): the same operations as the
                // scalar form's, so the same bits for numbers.
                var mask = GemmMicroKernels.FirstLanes(n - j);
                var v = Avx.MaskLoad(t + j, mask) + rb;
                if (colBias != null)
                {
                    v += Avx.MaskLoad(colBias + j, mask);
                }

                if (res != null)
                {
                    v += bv * Avx.MaskLoad(res + j, mask);
                }

                Avx.MaskStore(d + j, mask, f.Apply(v));
                return;
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var rb = Vector128.Create(rowBias);
            var bv = Vector128.Create(beta);
            for (; j <= n - 4; j += 4)
            {
                var v = Vector128.Load(t + j) + rb;
                if (colBias != null)
                {
                    v += Vector128.Load(colBias + j);
                }

                if (res != null)
                {
                    v += bv * Vector128.Load(res + j);
                }

                f.Apply(v).Store(d + j);
            }
        }

        for (; j < n; j++)
        {
            float v = t[j] + rowBias;
            if (colBias != null)
            {
                v += colBias[j];
            }

            if (res != null)
            {
                v += beta * res[j];
            }

            d[j] = f.Apply(v);
        }
    }

    /// <summary>Applies <paramref name="act"/> in place to n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Activate(float* d, int n, in Activation act)
    {
        switch (act.Kind)
        {
            case ActivationKind.None:
                return;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(new ReadOnlySpan<float>(d, n), new Span<float>(d, n));
                return;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(new ReadOnlySpan<float>(d, n), new Span<float>(d, n));
                return;
        }

        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var one = Vector256<float>.One;
            var alpha = Vector256.Create(act.Alpha);
            var beta = Vector256.Create(act.Beta);
            var sixth = Vector256.Create(1f / 6f);
            var half = Vector256.Create(0.5f);
            for (; j <= n - 8; j += 8)
            {
                var x = Vector256.Load(d + j);
                x = act.Kind switch
                {
                    ActivationKind.Relu => Vector256.Max(x, zero),
                    ActivationKind.Clip => Vector256.Min(Vector256.Max(x, alpha), beta),
                    ActivationKind.LeakyRelu => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, zero), x, alpha * x),
                    ActivationKind.HardSigmoid => Vector256.Max(zero, Vector256.Min(one, (alpha * x) + beta)),
                    ActivationKind.HardSwish => x * Vector256.Max(zero, Vector256.Min(one, (x * sixth) + half)),
                    _ => x,
                };
                x.Store(d + j);
            }
        }

        for (; j < n; j++)
        {
            d[j] = act.Apply(d[j]);
        }
    }

    /// <summary>Copies n floats (any n), by the widest vectors the hardware has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* s, float* d, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - 16; j += 16)
            {
                Vector512.Store(Vector512.Load(s + j), d + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - 8; j += 8)
            {
                Vector256.Store(Vector256.Load(s + j), d + j);
            }
        }

        for (; j < n; j++)
        {
            d[j] = s[j];
        }
    }

    /// <summary>Zeroes d[from..to) (nothing when to ≤ from).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(float* d, int from, int to)
    {
        int j = from;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= to - 8; j += 8)
            {
                Vector256.Store(Vector256<float>.Zero, d + j);
            }
        }

        for (; j < to; j++)
        {
            d[j] = 0f;
        }
    }

    /// <summary>Copies n floats (n a multiple of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRow(float* s, float* d, int n)
    {
        if (Vector256.IsHardwareAccelerated && (n & 7) == 0)
        {
            for (int j = 0; j < n; j += 8)
            {
                Vector256.Store(Vector256.Load(s + j), d + j);
            }
        }
        else
        {
            for (int j = 0; j < n; j++)
            {
                d[j] = s[j];
            }
        }
    }
}

/// <summary>The register-blocked micro-kernels: C[MR×NR] (=|+=) Apanel[kc×MR]ᵀ · Bpanel[kc×NR].</summary>
internal static unsafe class GemmMicroKernels
{
    /// <summary>AVX2+FMA 6×16: 12 ymm accumulators, 2 B loads and 6 broadcasts per k.</summary>
    public static void Avx2x6x16(int kc, float* a, float* b, float* c, nint ldc, bool accumulate) =>
        Avx2x6x16(kc, a, b, 16, c, ldc, accumulate, null, null, 0, FusedActivation.None);

    /// <summary>
    /// AVX2 6×16 with the epilogue in registers: (+C if accumulating) + rowBias[r] + residual, then the activation,
    /// then stored. The residual is loaded before C is stored, so it may alias C. Only the first <paramref name="rows"/>
    /// rows of C, bias and residual are read and written (a last panel over A's zero padding); with at most 4 the padding
    /// rows are not multiplied either (8 multiply-adds a k step instead of 12: 16 output channels are 6 + 6 + 4 rows;
    /// kernel check on Zen 3, MobileNetV2's 112×112 32→16 242 → 230 µs, MobileNetV3's 16→16 131 → 127).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2x6x16(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act, int rows = 6) =>
        Run6x16(1, default, kc, a, b, ldb, c, ldc, accumulate, rowBias, res, ldr, act, rows);

    /// <summary>
    /// <see cref="Avx2x6x16(int, float*, float*, nint, float*, nint, bool, float*, float*, nint, in FusedActivation, int)"/>
    /// with B's row k at <paramref name="b"/> + <paramref name="offsets"/>[k] instead of k·ldb further: a direct
    /// convolution's taps read where they lie (<see cref="ConvStemDirect"/>). No accumulation into C. With
    /// <paramref name="count"/> &gt; 1, that many tiles of a row, each 16 columns after the one before in B, C and the residual.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2x6x16Offsets(int kc, float* a, float* b, int* offsets, float* c, nint ldc, float* rowBias, float* res, nint ldr, in FusedActivation act, int rows, int count = 1) =>
        Avx2x6x16<OffsetRows, Count6>(count, new TileSteps(0, 16, 16, 0, 16), kc, a, b, 0, offsets, c, ldc, false, rowBias, res, ldr, act, rows);

    /// <summary>Where a 6×16 kernel finds B's row k: a compile-time choice, as a type argument.</summary>
    private interface IRows
    {
        /// <summary>Row 0.</summary>
        static abstract float* First(float* b, int* offsets);

        /// <summary>Row k + 1, from row k at <paramref name="row"/>.</summary>
        static abstract float* Next(float* row, float* b, nint ldb, int* offsets, int k);
    }

    /// <summary>Rows <c>ldb</c> floats apart (a packed panel, or a row-major B read in place).</summary>
    private struct StridedRows : IRows
    {
        public static float* First(float* b, int* offsets) => b;

        public static float* Next(float* row, float* b, nint ldb, int* offsets, int k) => row + ldb;
    }

    /// <summary>Row k at b + offsets[k].</summary>
    private struct OffsetRows : IRows
    {
        public static float* First(float* b, int* offsets) => b + offsets[0];

        public static float* Next(float* row, float* b, nint ldb, int* offsets, int k) => b + offsets[k + 1];
    }

    // count tiles, each advanced from the one before by the steps (one call for a run of tiles: the call, its frame and
    // the activation's bounds once per run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2x6x16<TRows, TM>(int count, in TileSteps steps, int kc, float* aFirst, float* bFirst, nint ldb, int* offsets, float* cFirst, nint ldc, bool accumulate,
        float* biasFirst, float* resFirst, nint ldr, in FusedActivation act, int rows)
        where TRows : struct, IRows
        where TM : struct, ICount
    {
        for (int t = 0; t < count; t++)
        {
            float* a = aFirst + (t * steps.A), b = bFirst + (t * steps.B), c = cFirst + (t * steps.C);
            float* rowBias = biasFirst == null ? null : biasFirst + (t * steps.Bias);
            float* res = resFirst == null ? null : resFirst + (t * steps.Res);
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            float* row = kc > 0 ? TRows.First(b, offsets) : b;
            for (int k = 0; k < kc; k++)
            {
                var b0 = Avx.LoadVector256(row);
                var b1 = Avx.LoadVector256(row + 8);
                var av = Avx.BroadcastScalarToVector256(a);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 1);
                c10 = Fma.MultiplyAdd(av, b0, c10);
                c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 2);
                c20 = Fma.MultiplyAdd(av, b0, c20);
                c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 3);
                c30 = Fma.MultiplyAdd(av, b0, c30);
                c31 = Fma.MultiplyAdd(av, b1, c31);
                if (TM.Count > 4)
                {
                    av = Avx.BroadcastScalarToVector256(a + 4);
                    c40 = Fma.MultiplyAdd(av, b0, c40);
                    c41 = Fma.MultiplyAdd(av, b1, c41);
                    av = Avx.BroadcastScalarToVector256(a + 5);
                    c50 = Fma.MultiplyAdd(av, b0, c50);
                    c51 = Fma.MultiplyAdd(av, b1, c51);
                }

                a += 6;
                row = TRows.Next(row, b, ldb, offsets, k);
            }

            // Rows past `rows` (a last panel of 2 or 4 rows: 16, 32, 160 output channels) were computed on A's zero padding;
            // they are neither read (C, bias, residual) nor stored.
            if (accumulate)
            {
                c00 += Avx.LoadVector256(c); c01 += Avx.LoadVector256(c + 8);
                if (rows > 1) { c10 += Avx.LoadVector256(c + ldc); c11 += Avx.LoadVector256(c + ldc + 8); }
                if (rows > 2) { c20 += Avx.LoadVector256(c + (2 * ldc)); c21 += Avx.LoadVector256(c + (2 * ldc) + 8); }
                if (rows > 3) { c30 += Avx.LoadVector256(c + (3 * ldc)); c31 += Avx.LoadVector256(c + (3 * ldc) + 8); }
                if (rows > 4) { c40 += Avx.LoadVector256(c + (4 * ldc)); c41 += Avx.LoadVector256(c + (4 * ldc) + 8); }
                if (rows > 5) { c50 += Avx.LoadVector256(c + (5 * ldc)); c51 += Avx.LoadVector256(c + (5 * ldc) + 8); }
            }

            if (rowBias != null)
            {
                var v = Avx.BroadcastScalarToVector256(rowBias); c00 += v; c01 += v;
                if (rows > 1) { v = Avx.BroadcastScalarToVector256(rowBias + 1); c10 += v; c11 += v; }
                if (rows > 2) { v = Avx.BroadcastScalarToVector256(rowBias + 2); c20 += v; c21 += v; }
                if (rows > 3) { v = Avx.BroadcastScalarToVector256(rowBias + 3); c30 += v; c31 += v; }
                if (rows > 4) { v = Avx.BroadcastScalarToVector256(rowBias + 4); c40 += v; c41 += v; }
                if (rows > 5) { v = Avx.BroadcastScalarToVector256(rowBias + 5); c50 += v; c51 += v; }
            }

            if (res != null)
            {
                c00 += Avx.LoadVector256(res); c01 += Avx.LoadVector256(res + 8);
                if (rows > 1) { c10 += Avx.LoadVector256(res + ldr); c11 += Avx.LoadVector256(res + ldr + 8); }
                if (rows > 2) { c20 += Avx.LoadVector256(res + (2 * ldr)); c21 += Avx.LoadVector256(res + (2 * ldr) + 8); }
                if (rows > 3) { c30 += Avx.LoadVector256(res + (3 * ldr)); c31 += Avx.LoadVector256(res + (3 * ldr) + 8); }
                if (rows > 4) { c40 += Avx.LoadVector256(res + (4 * ldr)); c41 += Avx.LoadVector256(res + (4 * ldr) + 8); }
                if (rows > 5) { c50 += Avx.LoadVector256(res + (5 * ldr)); c51 += Avx.LoadVector256(res + (5 * ldr) + 8); }
            }

            if (act.Form == FusedActivationForm.Clamp)
            {
                // The clamp's form tested once a tile and its bounds broadcast once (SqueezeNet's 55×55 1×1 layers,
                // docs/performance.md).
                var lo = Vector256.Create(act.Lo);
                var hi = Vector256.Create(act.Hi);
                c00 = FusedActivation.Clamp(c00, lo, hi); c01 = FusedActivation.Clamp(c01, lo, hi);
                c10 = FusedActivation.Clamp(c10, lo, hi); c11 = FusedActivation.Clamp(c11, lo, hi);
                c20 = FusedActivation.Clamp(c20, lo, hi); c21 = FusedActivation.Clamp(c21, lo, hi);
                c30 = FusedActivation.Clamp(c30, lo, hi); c31 = FusedActivation.Clamp(c31, lo, hi);
                c40 = FusedActivation.Clamp(c40, lo, hi); c41 = FusedActivation.Clamp(c41, lo, hi);
                c50 = FusedActivation.Clamp(c50, lo, hi); c51 = FusedActivation.Clamp(c51, lo, hi);
            }
            else if (!act.IsNone)
            {
                c00 = act.Apply(c00); c01 = act.Apply(c01);
                c10 = act.Apply(c10); c11 = act.Apply(c11);
                c20 = act.Apply(c20); c21 = act.Apply(c21);
                c30 = act.Apply(c30); c31 = act.Apply(c31);
                c40 = act.Apply(c40); c41 = act.Apply(c41);
                c50 = act.Apply(c50); c51 = act.Apply(c51);
            }

            Avx.Store(c, c00); Avx.Store(c + 8, c01);
            if (rows > 1) { Avx.Store(c + ldc, c10); Avx.Store(c + ldc + 8, c11); }
            if (rows > 2) { Avx.Store(c + (2 * ldc), c20); Avx.Store(c + (2 * ldc) + 8, c21); }
            if (rows > 3) { Avx.Store(c + (3 * ldc), c30); Avx.Store(c + (3 * ldc) + 8, c31); }
            if (rows > 4) { Avx.Store(c + (4 * ldc), c40); Avx.Store(c + (4 * ldc) + 8, c41); }
            if (rows > 5) { Avx.Store(c + (5 * ldc), c50); Avx.Store(c + (5 * ldc) + 8, c51); }
        }
    }

    /// <summary>
    /// <paramref name="count"/> tiles of <see cref="Avx2x6x16(int, float*, float*, nint, float*, nint, bool, float*, float*, nint, in FusedActivation, int)"/>
    /// in a row: a, b, c, the row bias (when not null) and the residual (when not null) advance by their steps after each
    /// tile; every tile has <paramref name="rows"/> rows but the last, which has <paramref name="lastRows"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2x6x16Run(int count, int kc, float* a, nint aStep, float* b, nint bStep, nint ldb, float* c, nint cStep, nint ldc, bool accumulate,
        float* rowBias, nint biasStep, float* res, nint resStep, nint ldr, in FusedActivation act, int rows, int lastRows)
    {
        var steps = new TileSteps(aStep, bStep, cStep, biasStep, resStep);
        int same = lastRows == rows ? count : count - 1; // the tiles of `rows` rows, as one run
        if (same > 0)
        {
            Run6x16(same, steps, kc, a, b, ldb, c, ldc, accumulate, rowBias, res, ldr, act, rows);
        }

        if (same < count)
        {
            nint t = same;
            Run6x16(1, steps, kc, a + (t * aStep), b + (t * bStep), ldb, c + (t * cStep), ldc, accumulate,
                rowBias != null ? rowBias + (t * biasStep) : null, res != null ? res + (t * resStep) : null, ldr, act, lastRows);
        }
    }

    // A run of tiles of `rows` rows: the 6-row kernel, or the 4-row one (padding rows not multiplied).
    private static void Run6x16(int count, in TileSteps steps, int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr,
        in FusedActivation act, int rows)
    {
        if (rows > 4)
        {
            Avx2x6x16<StridedRows, Count6>(count, steps, kc, a, b, ldb, null, c, ldc, accumulate, rowBias, res, ldr, act, rows);
        }
        else
        {
            Avx2x6x16<StridedRows, Count4>(count, steps, kc, a, b, ldb, null, c, ldc, accumulate, rowBias, res, ldr, act, rows);
        }
    }

    /// <summary>How far each tile of a run lies from the one before: A, B, C, the row bias and the residual, in floats.</summary>
    private readonly record struct TileSteps(nint A, nint B, nint C, nint Bias, nint Res);

    /// <summary>
    /// AVX2 6×8 over the first <paramref name="cols"/> (1–8) columns of a B panel (rows <paramref name="ldb"/> apart):
    /// a narrow last panel (a 7×7 map's 49th column, a 14×14 map's last 4) straight into C by masked loads and stores
    /// (B's too, so a panel read in place is never read past its columns),
    /// with <see cref="Avx2x6x16(int, float*, float*, nint, float*, nint, bool, float*, float*, nint, in FusedActivation, int)"/>'s
    /// epilogue, instead of a 6×8 kernel into a tile and the tile copied in and out. Two sets of six accumulators (even
    /// and odd k) keep both FMA pipes busy, which six dependent chains cannot (4-cycle latency), so these columns' sums
    /// are added in another order than the full tile's. Only <paramref name="rows"/> rows and <paramref name="cols"/>
    /// columns of C, bias and residual are read and written; the residual may alias C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2x6x8Masked(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act, int rows, int cols)
    {
        Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default;
        var mask = FirstLanes(cols);
        int k = 0;
        for (; k + 1 < kc; k += 2)
        {
            Fma6(a, Avx.MaskLoad(b, mask), ref e0, ref e1, ref e2, ref e3, ref e4, ref e5);
            Fma6(a + 6, Avx.MaskLoad(b + ldb, mask), ref o0, ref o1, ref o2, ref o3, ref o4, ref o5);
            a += 12;
            b += 2 * ldb;
        }

        if (k < kc)
        {
            Fma6(a, Avx.MaskLoad(b, mask), ref e0, ref e1, ref e2, ref e3, ref e4, ref e5);
        }

        StoreMasked8(e0 + o0, c, mask, accumulate, rowBias, res, act);
        if (rows > 1) StoreMasked8(e1 + o1, c + ldc, mask, accumulate, rowBias != null ? rowBias + 1 : null, res != null ? res + ldr : null, act);
        if (rows > 2) StoreMasked8(e2 + o2, c + (2 * ldc), mask, accumulate, rowBias != null ? rowBias + 2 : null, res != null ? res + (2 * ldr) : null, act);
        if (rows > 3) StoreMasked8(e3 + o3, c + (3 * ldc), mask, accumulate, rowBias != null ? rowBias + 3 : null, res != null ? res + (3 * ldr) : null, act);
        if (rows > 4) StoreMasked8(e4 + o4, c + (4 * ldc), mask, accumulate, rowBias != null ? rowBias + 4 : null, res != null ? res + (4 * ldr) : null, act);
        if (rows > 5) StoreMasked8(e5 + o5, c + (5 * ldc), mask, accumulate, rowBias != null ? rowBias + 5 : null, res != null ? res + (5 * ldr) : null, act);
    }

    /// <summary>
    /// The AVX2 fused-store kernel for a last panel of a few columns (<see cref="GemmWork.StripMaxColumns"/>: a 7×7 or
    /// 55×55 map's last column, a 14×14 map's last four), for <paramref name="panels"/> row panels at once: the rows in
    /// the lanes (each k step one load of a panel's 6 rows), two columns at a time, four panels side by side (eight
    /// independent chains for the FMA latency, each B value broadcast once for them). The 6×8 masked kernel costs 6 FMAs
    /// per k however few of its 8 columns are used; this costs one per column and panel. Each element sums
    /// its k in order from zero, then (+C) + bias + residual and the activation (<see cref="FusedActivation"/>), as
    /// <see cref="Avx2x6x8Masked"/>; only the last panel's <paramref name="lastRows"/> rows are written, and the residual
    /// may alias C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Avx2NarrowStrip(int kc, float* a, nint panelStride, int panels, int lastRows, float* b, nint ldb, int cols,
        float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act)
    {
        float* sums = stackalloc float[2 * 4 * 8];
        for (int p = 0; p < panels; p += 4)
        {
            int group = Math.Min(4, panels - p);
            for (int j = 0; j < cols; j += 2)
            {
                // Two columns at a time where there are two: eight independent chains (four would wait on the FMA
                // latency: a 14×14 map's 4 columns took 1.1× the masked kernel's time one at a time).
                bool pair = j + 1 < cols;
                StripSums(kc, a + (p * panelStride), panelStride, group, b + j, ldb, pair, sums);
                StripStore(sums, group, p, panels, lastRows, j, c, ldc, accumulate, rowBias, res, ldr, act);
                if (pair)
                {
                    StripStore(sums + 32, group, p, panels, lastRows, j + 1, c, ldc, accumulate, rowBias, res, ldr, act);
                }
            }
        }
    }

    // The strip's sums of `group` panels (A panels panelStride apart) × column b (and b + 1 when pair) into sums[32]
    // (and sums[32..64)), the rows in lanes 0–5 of each panel's 8. Lanes 6 and 7 read the next k's first two rows (summed,
    // never stored); the last k's loads are masked, as past it may be the end of the packed weights. A method of its own
    // with no branch in its loops: inside the strip's, the JIT kept the second column's sums and the panel pointers on the
    // stack.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StripSums(int kc, float* a0, nint panelStride, int group, float* b, nint ldb, bool pair, float* sums)
    {
        float* a1 = group > 1 ? a0 + panelStride : a0;
        float* a2 = group > 2 ? a0 + (2 * panelStride) : a0;
        float* a3 = group > 3 ? a0 + (3 * panelStride) : a0;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        float* end = a0 + (6 * (kc - 1));
        if (pair)
        {
            for (; a0 < end; a0 += 6, a1 += 6, a2 += 6, a3 += 6, b += ldb)
            {
                var x0 = Avx.LoadVector256(a0);
                var x1 = Avx.LoadVector256(a1);
                var x2 = Avx.LoadVector256(a2);
                var x3 = Avx.LoadVector256(a3);
                var bv = Avx.BroadcastScalarToVector256(b);
                var bw = Avx.BroadcastScalarToVector256(b + 1);
                s0 = Fma.MultiplyAdd(x0, bv, s0);
                s1 = Fma.MultiplyAdd(x1, bv, s1);
                s2 = Fma.MultiplyAdd(x2, bv, s2);
                s3 = Fma.MultiplyAdd(x3, bv, s3);
                t0 = Fma.MultiplyAdd(x0, bw, t0);
                t1 = Fma.MultiplyAdd(x1, bw, t1);
                t2 = Fma.MultiplyAdd(x2, bw, t2);
                t3 = Fma.MultiplyAdd(x3, bw, t3);
            }
        }
        else
        {
            for (; a0 < end; a0 += 6, a1 += 6, a2 += 6, a3 += 6, b += ldb)
            {
                var bv = Avx.BroadcastScalarToVector256(b);
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(a0), bv, s0);
                s1 = Fma.MultiplyAdd(Avx.LoadVector256(a1), bv, s1);
                s2 = Fma.MultiplyAdd(Avx.LoadVector256(a2), bv, s2);
                s3 = Fma.MultiplyAdd(Avx.LoadVector256(a3), bv, s3);
            }
        }

        var rowsMask = FirstLanes(6);
        var m0 = Avx.MaskLoad(a0, rowsMask);
        var m1 = Avx.MaskLoad(a1, rowsMask);
        var m2 = Avx.MaskLoad(a2, rowsMask);
        var m3 = Avx.MaskLoad(a3, rowsMask);
        var bl = Avx.BroadcastScalarToVector256(b);
        Fma.MultiplyAdd(m0, bl, s0).Store(sums);
        Fma.MultiplyAdd(m1, bl, s1).Store(sums + 8);
        Fma.MultiplyAdd(m2, bl, s2).Store(sums + 16);
        Fma.MultiplyAdd(m3, bl, s3).Store(sums + 24);
        if (pair)
        {
            var bm = Avx.BroadcastScalarToVector256(b + 1);
            Fma.MultiplyAdd(m0, bm, t0).Store(sums + 32);
            Fma.MultiplyAdd(m1, bm, t1).Store(sums + 40);
            Fma.MultiplyAdd(m2, bm, t2).Store(sums + 48);
            Fma.MultiplyAdd(m3, bm, t3).Store(sums + 56);
        }
    }

    // Column j of the strip's panels p..p + group from their sums (8 floats a panel, rows in lanes 0–5): (+C) + bias +
    // residual and the activation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StripStore(float* sums, int group, int p, int panels, int lastRows, int j, float* c, nint ldc, bool accumulate,
        float* rowBias, float* res, nint ldr, in FusedActivation act)
    {
        for (int g = 0; g < group; g++)
        {
            int panel = p + g, rows = panel == panels - 1 ? lastRows : 6;
            for (int r = 0; r < rows; r++)
            {
                int row = (panel * 6) + r;
                float* cij = c + (row * ldc) + j;
                float v = sums[(g * 8) + r];
                if (accumulate)
                {
                    v += *cij;
                }

                if (rowBias != null)
                {
                    v += rowBias[row];
                }

                if (res != null)
                {
                    v += res[(row * ldr) + j];
                }

                *cij = act.Apply(v);
            }
        }
    }

    /// <summary>The mask of a Vector256's first <paramref name="count"/> lanes (for MaskLoad and MaskStore).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FirstLanes(int count) =>
        Vector256.LessThan(Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), Vector256.Create((float)count));

    // One k step of six rows: row r's accumulator += a[r] · b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fma6(float* a, Vector256<float> b, ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2,
        ref Vector256<float> r3, ref Vector256<float> r4, ref Vector256<float> r5)
    {
        r0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b, r0);
        r1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 1), b, r1);
        r2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 2), b, r2);
        r3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 3), b, r3);
        r4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 4), b, r4);
        r5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 5), b, r5);
    }

    // One row of the masked edge: (+C) + bias + residual, the activation, stored in the mask's lanes only.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked8(Vector256<float> v, float* c, Vector256<float> mask, bool accumulate, float* bias, float* res, in FusedActivation act)
    {
        if (accumulate)
        {
            v += Avx.MaskLoad(c, mask);
        }

        if (bias != null)
        {
            v += Avx.BroadcastScalarToVector256(bias);
        }

        if (res != null)
        {
            v += Avx.MaskLoad(res, mask);
        }

        if (!act.IsNone)
        {
            v = act.Apply(v);
        }

        Avx.MaskStore(c, mask, v);
    }

    /// <summary>The AVX-512 tile of 12 rows (24 zmm accumulators).</summary>
    public static void Avx512x12x32(int kc, float* a, float* b, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act) =>
        Avx512x32<Count12>(kc, a, b, c, ldc, accumulate, rowBias, res, ldr, act);

    /// <summary>The AVX-512 tile of 8 rows (16 zmm accumulators), for row counts that 12-row panels would pad.</summary>
    public static void Avx512x8x32(int kc, float* a, float* b, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act) =>
        Avx512x32<Count8>(kc, a, b, c, ldc, accumulate, rowBias, res, ldr, act);

    /// <summary>
    /// AVX-512 <typeparamref name="TRows"/>×32 (8 or 12 rows): 2 zmm accumulators per row, 2 B loads and one broadcast
    /// of A per row and k, with the epilogue in registers: (+C if accumulating) + rowBias[r] + residual, then the
    /// activation, then stored. Each row's residual is loaded before that row of C is stored, so it may alias C. The row
    /// count is a type parameter so that the JIT compiles each tile with its rows unrolled and the unused ones gone.
    /// Generic <see cref="Vector512"/> code: it runs (emulated) where AVX-512 is absent, so tests cover it on any machine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512x32<TRows>(int kc, float* a, float* b, float* c, nint ldc, bool accumulate, float* rowBias, float* res, nint ldr, in FusedActivation act)
        where TRows : struct, ICount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            if (TRows.Count == 12)
            {
                av = Vector512.Create(a[8]);
                c80 = Vector512.FusedMultiplyAdd(av, b0, c80);
                c81 = Vector512.FusedMultiplyAdd(av, b1, c81);
                av = Vector512.Create(a[9]);
                c90 = Vector512.FusedMultiplyAdd(av, b0, c90);
                c91 = Vector512.FusedMultiplyAdd(av, b1, c91);
                av = Vector512.Create(a[10]);
                c100 = Vector512.FusedMultiplyAdd(av, b0, c100);
                c101 = Vector512.FusedMultiplyAdd(av, b1, c101);
                av = Vector512.Create(a[11]);
                c110 = Vector512.FusedMultiplyAdd(av, b0, c110);
                c111 = Vector512.FusedMultiplyAdd(av, b1, c111);
            }

            a += TRows.Count;
            b += 32;
        }

        StoreRow512(c00, c01, c + (0 * ldc), accumulate, rowBias == null ? null : rowBias + 0, res == null ? null : res + (0 * ldr), act);
        StoreRow512(c10, c11, c + (1 * ldc), accumulate, rowBias == null ? null : rowBias + 1, res == null ? null : res + (1 * ldr), act);
        StoreRow512(c20, c21, c + (2 * ldc), accumulate, rowBias == null ? null : rowBias + 2, res == null ? null : res + (2 * ldr), act);
        StoreRow512(c30, c31, c + (3 * ldc), accumulate, rowBias == null ? null : rowBias + 3, res == null ? null : res + (3 * ldr), act);
        StoreRow512(c40, c41, c + (4 * ldc), accumulate, rowBias == null ? null : rowBias + 4, res == null ? null : res + (4 * ldr), act);
        StoreRow512(c50, c51, c + (5 * ldc), accumulate, rowBias == null ? null : rowBias + 5, res == null ? null : res + (5 * ldr), act);
        StoreRow512(c60, c61, c + (6 * ldc), accumulate, rowBias == null ? null : rowBias + 6, res == null ? null : res + (6 * ldr), act);
        StoreRow512(c70, c71, c + (7 * ldc), accumulate, rowBias == null ? null : rowBias + 7, res == null ? null : res + (7 * ldr), act);
        if (TRows.Count == 12)
        {
            StoreRow512(c80, c81, c + (8 * ldc), accumulate, rowBias == null ? null : rowBias + 8, res == null ? null : res + (8 * ldr), act);
            StoreRow512(c90, c91, c + (9 * ldc), accumulate, rowBias == null ? null : rowBias + 9, res == null ? null : res + (9 * ldr), act);
            StoreRow512(c100, c101, c + (10 * ldc), accumulate, rowBias == null ? null : rowBias + 10, res == null ? null : res + (10 * ldr), act);
            StoreRow512(c110, c111, c + (11 * ldc), accumulate, rowBias == null ? null : rowBias + 11, res == null ? null : res + (11 * ldr), act);
        }
    }

    /// <summary>One 32-wide row of an AVX-512 tile: (+C) + bias + residual, the activation, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow512(Vector512<float> v0, Vector512<float> v1, float* c, bool accumulate, float* bias, float* res, in FusedActivation act)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        if (bias != null)
        {
            var bv = Vector512.Create(*bias);
            v0 += bv;
            v1 += bv;
        }

        if (res != null)
        {
            v0 += Vector512.Load(res);
            v1 += Vector512.Load(res + 16);
        }

        v0 = act.Apply(v0);
        v1 = act.Apply(v1);

        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>
    /// <typeparamref name="TRows"/>×16 with one zmm accumulator per row, for the column remainder of an AVX-512 GEMM:
    /// B rows are <paramref name="ldb"/> floats apart (the NR-wide panel); C (=|+=) the sum over k of fused
    /// multiply-adds from zero, as in the full tile. Generic <see cref="Vector512"/> code (emulated without AVX-512).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow16<TRows>(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate)
        where TRows : struct, ICount
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int k = 0; k < kc; k++)
        {
            var bv = Vector512.Load(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), bv, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), bv, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), bv, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), bv, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), bv, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), bv, c5);
            if (TRows.Count >= 8)
            {
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), bv, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), bv, c7);
            }

            if (TRows.Count == 12)
            {
                c8 = Vector512.FusedMultiplyAdd(Vector512.Create(a[8]), bv, c8);
                c9 = Vector512.FusedMultiplyAdd(Vector512.Create(a[9]), bv, c9);
                c10 = Vector512.FusedMultiplyAdd(Vector512.Create(a[10]), bv, c10);
                c11 = Vector512.FusedMultiplyAdd(Vector512.Create(a[11]), bv, c11);
            }

            a += TRows.Count;
            b += ldb;
        }

        Store16(c0, c, accumulate);
        Store16(c1, c + ldc, accumulate);
        Store16(c2, c + (2 * ldc), accumulate);
        Store16(c3, c + (3 * ldc), accumulate);
        Store16(c4, c + (4 * ldc), accumulate);
        Store16(c5, c + (5 * ldc), accumulate);
        if (TRows.Count >= 8)
        {
            Store16(c6, c + (6 * ldc), accumulate);
            Store16(c7, c + (7 * ldc), accumulate);
        }

        if (TRows.Count == 12)
        {
            Store16(c8, c + (8 * ldc), accumulate);
            Store16(c9, c + (9 * ldc), accumulate);
            Store16(c10, c + (10 * ldc), accumulate);
            Store16(c11, c + (11 * ldc), accumulate);
        }
    }

    /// <summary>
    /// <typeparamref name="TRows"/>×8 with one ymm accumulator per row: the narrowest column remainder of an AVX-512
    /// (12 or 8 rows) or AVX2 (6 rows) GEMM; otherwise as <see cref="Narrow16{TRows}"/>. (The two are written out
    /// separately on purpose: one generic method over a vector-wrapping lane struct measured 10–13% slower on the
    /// 7×7 GEMMs, Zen 4.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow8<TRows>(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate)
        where TRows : struct, ICount
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int k = 0; k < kc; k++)
        {
            var bv = Vector256.Load(b);
            c0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[0]), bv, c0);
            c1 = Vector256.FusedMultiplyAdd(Vector256.Create(a[1]), bv, c1);
            c2 = Vector256.FusedMultiplyAdd(Vector256.Create(a[2]), bv, c2);
            c3 = Vector256.FusedMultiplyAdd(Vector256.Create(a[3]), bv, c3);
            c4 = Vector256.FusedMultiplyAdd(Vector256.Create(a[4]), bv, c4);
            c5 = Vector256.FusedMultiplyAdd(Vector256.Create(a[5]), bv, c5);
            if (TRows.Count >= 8)
            {
                c6 = Vector256.FusedMultiplyAdd(Vector256.Create(a[6]), bv, c6);
                c7 = Vector256.FusedMultiplyAdd(Vector256.Create(a[7]), bv, c7);
            }

            if (TRows.Count == 12)
            {
                c8 = Vector256.FusedMultiplyAdd(Vector256.Create(a[8]), bv, c8);
                c9 = Vector256.FusedMultiplyAdd(Vector256.Create(a[9]), bv, c9);
                c10 = Vector256.FusedMultiplyAdd(Vector256.Create(a[10]), bv, c10);
                c11 = Vector256.FusedMultiplyAdd(Vector256.Create(a[11]), bv, c11);
            }

            a += TRows.Count;
            b += ldb;
        }

        Store8(c0, c, accumulate);
        Store8(c1, c + ldc, accumulate);
        Store8(c2, c + (2 * ldc), accumulate);
        Store8(c3, c + (3 * ldc), accumulate);
        Store8(c4, c + (4 * ldc), accumulate);
        Store8(c5, c + (5 * ldc), accumulate);
        if (TRows.Count >= 8)
        {
            Store8(c6, c + (6 * ldc), accumulate);
            Store8(c7, c + (7 * ldc), accumulate);
        }

        if (TRows.Count == 12)
        {
            Store8(c8, c + (8 * ldc), accumulate);
            Store8(c9, c + (9 * ldc), accumulate);
            Store8(c10, c + (10 * ldc), accumulate);
            Store8(c11, c + (11 * ldc), accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(Vector512<float> v, float* c, bool accumulate) => (accumulate ? v + Vector512.Load(c) : v).Store(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(Vector256<float> v, float* c, bool accumulate) => (accumulate ? v + Vector256.Load(c) : v).Store(c);

    /// <summary>
    /// Vector128 6×8: 12 accumulators, 2 B vectors and a broadcast fit the 16 registers of SSE as well as NEON's 32. Fused
    /// multiply-adds where the hardware has them (Arm64, x64 with FMA: one instruction instead of two, and NEON has one
    /// pipe for both), else a multiply and an add (WebAssembly, SSE-only x64), through <see cref="Lanes128.MultiplyAdd"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Vector128x6x8(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var av = Vector128.Create(a[0]);
            c00 = Fma128(av, b0, c00);
            c01 = Fma128(av, b1, c01);
            av = Vector128.Create(a[1]);
            c10 = Fma128(av, b0, c10);
            c11 = Fma128(av, b1, c11);
            av = Vector128.Create(a[2]);
            c20 = Fma128(av, b0, c20);
            c21 = Fma128(av, b1, c21);
            av = Vector128.Create(a[3]);
            c30 = Fma128(av, b0, c30);
            c31 = Fma128(av, b1, c31);
            av = Vector128.Create(a[4]);
            c40 = Fma128(av, b0, c40);
            c41 = Fma128(av, b1, c41);
            av = Vector128.Create(a[5]);
            c50 = Fma128(av, b0, c50);
            c51 = Fma128(av, b1, c51);
            a += 6;
            b += ldb;
        }

        if (accumulate)
        {
            c00 += Vector128.Load(c); c01 += Vector128.Load(c + 4);
            c10 += Vector128.Load(c + ldc); c11 += Vector128.Load(c + ldc + 4);
            c20 += Vector128.Load(c + (2 * ldc)); c21 += Vector128.Load(c + (2 * ldc) + 4);
            c30 += Vector128.Load(c + (3 * ldc)); c31 += Vector128.Load(c + (3 * ldc) + 4);
            c40 += Vector128.Load(c + (4 * ldc)); c41 += Vector128.Load(c + (4 * ldc) + 4);
            c50 += Vector128.Load(c + (5 * ldc)); c51 += Vector128.Load(c + (5 * ldc) + 4);
        }

        c00.Store(c); c01.Store(c + 4);
        c10.Store(c + ldc); c11.Store(c + ldc + 4);
        c20.Store(c + (2 * ldc)); c21.Store(c + (2 * ldc) + 4);
        c30.Store(c + (3 * ldc)); c31.Store(c + (3 * ldc) + 4);
        c40.Store(c + (4 * ldc)); c41.Store(c + (4 * ldc) + 4);
        c50.Store(c + (5 * ldc)); c51.Store(c + (5 * ldc) + 4);
    }

    /// <summary>
    /// Vector128 6×16 for 32 vector registers: 24 accumulators, 4 B vectors and a broadcast, so each k step issues 24
    /// multiply-adds for 4 loads of B and 6 broadcasts of A (the 6×8 form: 12 for 2 and 6).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Vector128x6x16(int kc, float* a, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector128<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector128<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector128<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector128<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var b2 = Vector128.Load(b + 8);
            var b3 = Vector128.Load(b + 12);
            Row16(a[0], b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
            Row16(a[1], b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
            Row16(a[2], b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
            Row16(a[3], b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
            Row16(a[4], b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            Row16(a[5], b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
            a += 6;
            b += ldb;
        }

        Store4x4(c00, c01, c02, c03, c, accumulate);
        Store4x4(c10, c11, c12, c13, c + ldc, accumulate);
        Store4x4(c20, c21, c22, c23, c + (2 * ldc), accumulate);
        Store4x4(c30, c31, c32, c33, c + (3 * ldc), accumulate);
        Store4x4(c40, c41, c42, c43, c + (4 * ldc), accumulate);
        Store4x4(c50, c51, c52, c53, c + (5 * ldc), accumulate);
    }

    // One row of the 6×16 tile: a broadcast of A times the four B vectors into the row's accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row16(float a, Vector128<float> b0, Vector128<float> b1, Vector128<float> b2, Vector128<float> b3,
        ref Vector128<float> c0, ref Vector128<float> c1, ref Vector128<float> c2, ref Vector128<float> c3)
    {
        var av = Vector128.Create(a);
        c0 = Fma128(av, b0, c0);
        c1 = Fma128(av, b1, c1);
        c2 = Fma128(av, b2, c2);
        c3 = Fma128(av, b3, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4x4(Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3, float* c, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector128.Load(c);
            v1 += Vector128.Load(c + 4);
            v2 += Vector128.Load(c + 8);
            v3 += Vector128.Load(c + 12);
        }

        v0.Store(c);
        v1.Store(c + 4);
        v2.Store(c + 8);
        v3.Store(c + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma128(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Lanes128.MultiplyAdd(new(a), new(b), new(c)).Vector;

    /// <summary>Scalar 4×4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scalar4x4(int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        float* acc = stackalloc float[16];
        for (int i = 0; i < 16; i++)
        {
            acc[i] = 0f;
        }

        for (int k = 0; k < kc; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                for (int j = 0; j < 4; j++)
                {
                    acc[(r * 4) + j] += ar * b[j];
                }
            }

            a += 4;
            b += 4;
        }

        for (int r = 0; r < 4; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                float* p = c + (r * ldc) + j;
                *p = accumulate ? *p + acc[(r * 4) + j] : acc[(r * 4) + j];
            }
        }
    }
}

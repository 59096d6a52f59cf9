using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Moves one band of a channel block between the caller's planes and <see cref="DepthwiseTiles"/>' float tiles: the
/// float depthwise kernel transposes float planes, the INT8 one converts codes (minus the input zero point) on the way
/// in and requantizes on the way out. A type argument, so each caller's transposes are compiled into the loop.
/// </summary>
internal unsafe interface ITileIO
{
    /// <summary>
    /// Writes input pixels [p0, p0 + count) of channels [c0, c0 + n) into the tile: pixel p's lanes at
    /// tile + pixelOffsets[p − p0] (<paramref name="pixelOffsets"/> already points at p0's entry).
    /// </summary>
    void Load(int c0, int n, int p0, int count, float* tile, int* pixelOffsets, byte* scratch);

    /// <summary>Stores output pixels [p0, p0 + count) of channels [c0, c0 + n) from <paramref name="outTile"/> ([pixel][lanes]).</summary>
    void Store(float* outTile, int c0, int n, int p0, int count, byte* scratch);

    /// <summary>
    /// Where output pixels from <paramref name="p0"/> of the block starting at channel <paramref name="c0"/> lie in the
    /// output tile's own [pixel][lanes] form (a float channel-blocked output), so the kernel can write them there and
    /// skip <see cref="Store"/>; null when the output needs converting.
    /// </summary>
    float* DirectOutput(int c0, int p0);

    /// <summary>
    /// Where the input pixels of the block starting at channel <paramref name="c0"/> lie in the tile's own [pixel][lanes]
    /// form (a float channel-blocked input, pixel p at + p·lanes), so the sliding kernels can read them in place and skip
    /// <see cref="Load"/>; null when the input needs converting.
    /// </summary>
    float* DirectInput(int c0);
}

/// <summary>
/// The channel-blocked depthwise convolution (float and INT8): a block of V channels (V = the vector width) goes into a
/// zero-padded [row][column][V] float tile, each output pixel's V channels are one vector, and the block goes back out
/// with bias and activation fused (the caller's <see cref="ITileIO"/> does the transposes). Undilated 3×3 (stride 1 or
/// 2) and 5×5 (stride 1 or 2) kernels slide along a row eight outputs at a time (eight independent FMA chains; four left the
/// FMA pipes waiting on latency), then four: each input vector of a kernel row is loaded once and multiplied into every
/// output of the group that reads it (3×3 stride 1: 10 loads for 24 multiply-adds per kernel row); other kernels take
/// every tap of eight or four pixels from memory. One generic source per kernel serves every vector width
/// (<see cref="ILanes{TSelf}"/>). Large maps are cut into bands of output rows, each loaded, computed and stored while
/// its tiles are in L2; the threads share out (block, band) pairs. A float channel-blocked input is already in the
/// tile's [pixel][V] form: where its rows are wide enough (stride-2 3×3 from 54 columns, stride-1 from 72), the sliding
/// kernels read it in place instead, padding rows from a zero row and the few outputs whose taps cross the left or right
/// edge four at a time from a small zero-padded copy.
/// </summary>
internal sealed unsafe class DepthwiseTiles : IDisposable
{
    // Bytes of one band's input tile and output tile together: a band stays in L2 from its transpose in to its
    // transpose out (measured: see docs/performance.md).
    private const long BandBytes = 96 * 1024;

    private readonly Conv2dShape _s;
    private readonly int _v, _taps, _pitch, _bandRows, _bands;
    private readonly GemmBuffer _weights; // [block][tap][V], then biases [block][V]
    private readonly int[] _tapOffsets; // each tap's offset in the tile, in floats
    private readonly int[] _pixelOffsets; // each input pixel's offset in a tile that starts at padded row 0, in floats
    private readonly Sliding _sliding;
    private readonly long _ioBytes;
    private readonly int _interiorFirst, _interiorEnd; // read in place: the output columns whose taps all lie inside the input row
    private readonly bool _bandMajor; // items band-major: item i is band i / Blocks, block i mod Blocks
    private readonly bool _readsInPlace; // a sliding kernel on rows wide enough that skipping the copy outweighs the edge copies

    /// <summary>
    /// Prepares the tiles of <paramref name="s"/> for <paramref name="v"/> lanes (16, 8 or 4): weights [C·taps] and
    /// biases (null: zero) laid out per block, and <paramref name="ioBytesPerPixel"/> bytes of per-thread scratch per
    /// pixel of the largest band for the caller's transposes (<see cref="ITileIO"/>); <paramref name="bandRows"/> output
    /// rows per band (evened out over the bands), 0 for as many as fit the band's L2 budget; <paramref name="threads"/>
    /// that share each run of a channel-blocked input (its items band-major where it is read in place, below).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DepthwiseTiles(in Conv2dShape s, ReadOnlySpan<float> weights, float* bias, int v, int ioBytesPerPixel = 0, int bandRows = 0, int threads = 1)
    {
        _s = s;
        _v = v;
        _taps = s.KernelHeight * s.KernelWidth;
        var phases = new StridePhases(s);
        int pw = phases.PaddedWidth;

        // One spare column past the padded width takes the input columns no output reads.
        _pitch = pw + 1;
        int blocks = (s.OutChannels + v - 1) / v;
        _weights = new GemmBuffer(((long)blocks * _taps * v) + ((long)blocks * v));
        float* bw = _weights.Pointer, bb = bw + ((long)blocks * _taps * v);
        for (int c = 0; c < s.OutChannels; c++)
        {
            for (int t = 0; t < _taps; t++)
            {
                bw[((((long)(c / v) * _taps) + t) * v) + (c % v)] = weights[(c * _taps) + t];
            }

            bb[c] = bias != null ? bias[c] : 0f;
        }

        _tapOffsets = new int[_taps];
        for (int ky = 0; ky < s.KernelHeight; ky++)
        {
            for (int kx = 0; kx < s.KernelWidth; kx++)
            {
                _tapOffsets[(ky * s.KernelWidth) + kx] = (((ky * s.DilationHeight) * _pitch) + (kx * s.DilationWidth)) * v;
            }
        }

        _pixelOffsets = new int[s.InHeight * s.InWidth];
        for (int iy = 0; iy < s.InHeight; iy++)
        {
            for (int ix = 0; ix < s.InWidth; ix++)
            {
                _pixelOffsets[(iy * s.InWidth) + ix] = (((iy + s.PadTop) * _pitch) + Math.Min(ix + s.PadLeft, pw)) * v;
            }
        }

        // Output rows per band: as many as fit BandBytes (at least one), then evened out over the bands.
        long rowBytes = ((long)s.OutWidth + ((long)s.StrideHeight * _pitch)) * v * sizeof(float);
        int rows = (int)Math.Clamp(bandRows > 0 ? bandRows : BandBytes / rowBytes, 1, s.OutHeight);
        _bands = (s.OutHeight + rows - 1) / rows;

        bool plain = s.DilationHeight == 1 && s.DilationWidth == 1 && s.OutWidth >= 4 && s.StrideHeight == s.StrideWidth;
        _sliding = !plain ? Sliding.None
            : s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideWidth == 1 ? Sliding.ThreeStride1
            : s.KernelHeight == 3 && s.KernelWidth == 3 && s.StrideWidth == 2 ? Sliding.ThreeStride2
            : s.KernelHeight == 5 && s.KernelWidth == 5 && s.StrideWidth == 1 ? Sliding.FiveStride1
            : s.KernelHeight == 5 && s.KernelWidth == 5 && s.StrideWidth == 2 ? Sliding.FiveStride2
            : Sliding.None;

        // Read in place, output columns [_interiorFirst, _interiorEnd) read only real input columns; the others go
        // through an edge copy (EdgeGroups).
        int span = (s.KernelWidth - 1) * s.DilationWidth;
        _interiorFirst = Math.Min(s.OutWidth, (s.PadLeft + s.StrideWidth - 1) / s.StrideWidth);
        _interiorEnd = s.InWidth - 1 - span + s.PadLeft < 0 ? 0 : Math.Min(s.OutWidth, ((s.InWidth - 1 - span + s.PadLeft) / s.StrideWidth) + 1);

        // A blocked float input is read in place where the tile copy it saves (stride × W vectors per output row) is at
        // least four times the edge copies it costs (kernel height × EdgeColumns vectors per edge group, about two per
        // row): 3×3 stride 2 from 54 columns, stride 1 from 72; 5×5 stride 2 from 110, stride 1 from 160. Shorter rows
        // measured slower in place, up to 1.9× (kernel check, docs/performance.md, "Twenty-sixth stop").
        _readsInPlace = _sliding != Sliding.None && (long)s.StrideWidth * s.InWidth >= 4L * s.KernelHeight * EdgeColumns;

        // Read in place by several threads, a map of at least BandMajorMinRows output rows per thread is cut into a
        // multiple of the thread count of bands, and the items go band-major: a thread's home range (WorkerPool) is then
        // its part of the rows of every channel block, the part of the map the pixel-cut 1×1 layer before it wrote on
        // the same core, instead of every row of its channel blocks, half of them written on the other core. The
        // sliding kernels read that input where it lies, and across cores the reads are bounded by the transfer rate:
        // kernel check on a Zen 1 EPYC (2 vCPUs), 2 threads, input last written by the other core (--foreign) against
        // its own: MobileNetV2's 112² × 96 stride 2 284–296 µs against 137–142, 56² × 144 stride 2 154–156 against 65–66
        // (about 16.5 GB/s across), the tile-copying kernels 1.0–1.3×. In MobileNetV2 at 2 threads that layer measured
        // 0.18–0.29 ms against 0.22–0.24 (per operator, three alternating profiles); band-major on the tile-copying
        // layers measured 1.06–1.11× slower there (more, shorter bands), hence only where the input is read in place.
        _bandRows = (s.OutHeight + _bands - 1) / _bands;
        if (threads > 1 && bandRows == 0 && _readsInPlace && s.OutHeight >= BandMajorMinRows * threads)
        {
            // The most rows per band (from the thread count's multiple at or above the L2 bands down) whose bands come
            // out a multiple of the thread count, so that every thread's home share is whole bands; 56 rows in 20 bands
            // of 3 rows would be 19.
            int target = (Math.Max(_bands, threads) + threads - 1) / threads * threads;
            for (int r = (s.OutHeight + target - 1) / target; r >= 1 && !_bandMajor; r--)
            {
                if ((s.OutHeight + r - 1) / r % threads == 0)
                {
                    _bandRows = r;
                    _bandMajor = true;
                }
            }
        }

        _bands = (s.OutHeight + _bandRows - 1) / _bandRows;
        _ioBytes = ioBytesPerPixel == 0 ? 0 : GemmConfig.Align64((Math.Max(MaxBandInputPixels, MaxBandOutputPixels) * ioBytesPerPixel) + 64);
    }

    private enum Sliding
    {
        None,
        ThreeStride1,
        ThreeStride2,
        FiveStride1,
        FiveStride2,
    }

    /// <summary>The least output rows per thread for which a map read in place by several threads goes band-major.</summary>
    internal const int BandMajorMinRows = 28;

    /// <summary>Whether the items go band-major (item i is band i / blocks, block i mod blocks) rather than block-major.</summary>
    internal bool BandMajor => _bandMajor;

    /// <summary>Work items: channel blocks × row bands.</summary>
    public int Items => Blocks * _bands;

    /// <summary>Bands of output rows (which items are whose: <see cref="BandItems"/>).</summary>
    public int Bands => _bands;

    /// <summary>The channel block and band of item <paramref name="item"/>.</summary>
    internal (int Block, int Band) ItemAt(int item) => _bandMajor ? (item % Blocks, item / Blocks) : (item / _bands, item % _bands);

    /// <summary>The items of band <paramref name="band"/>, every channel block's: begin, end and step for <see cref="Run{TIO}"/>.</summary>
    public (int Begin, int End, int Step) BandItems(int band) => _bandMajor ? (band * Blocks, (band + 1) * Blocks, 1) : (band, Items, _bands);

    /// <summary>Output rows of every band but the last (which has the rest).</summary>
    public int BandRows => _bandRows;

    /// <summary>Scratch per thread: one band's padded tile, its output tile [rows·OW][V], then the caller's bytes.</summary>
    public long ScratchBytes => TileBytes + OutTileBytes + _ioBytes;

    /// <summary>Input pixels of the largest band (the most <see cref="ITileIO.Load"/> is given at once).</summary>
    public long MaxBandInputPixels => (long)Math.Min(TileRows(_bandRows), _s.InHeight) * _s.InWidth;

    /// <summary>Output pixels of the largest band (the most <see cref="ITileIO.Store"/> is given at once).</summary>
    public long MaxBandOutputPixels => (long)_bandRows * _s.OutWidth;

    private long OutTileBytes => GemmConfig.Align64((long)_bandRows * _s.OutWidth * _v * sizeof(float));

    private int Blocks => (_s.OutChannels + _v - 1) / _v;

    // Padded input rows one band of output rows reads.
    private int TileRows(int outRows) => ((outRows - 1) * _s.StrideHeight) + ((_s.KernelHeight - 1) * _s.DilationHeight) + 1;

    private long TileBytes => GemmConfig.Align64(Math.Max((long)TileRows(_bandRows) * _pitch * _v, InPlaceFloats) * sizeof(float));

    /// <summary>
    /// Items begin, begin + step, ... below end (block-major) on the thread whose scratch is <paramref name="scratch"/>:
    /// each band's input pixels loaded into the tile by <paramref name="io"/> (or, for the sliding kernels, read where
    /// <see cref="ITileIO.DirectInput"/> says they lie), the kernel (bias and <paramref name="act"/> fused), the output
    /// pixels handed to <paramref name="io"/>. With begin = band and step = <see cref="Bands"/>, every block of one band.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<TIO>(in TIO io, byte* scratch, int begin, int end, in FusedActivation act, int step = 1)
        where TIO : struct, ITileIO
    {
        float* tile = (float*)scratch;
        float* outTile = (float*)(scratch + TileBytes);
        byte* ioScratch = scratch + TileBytes + OutTileBytes;
        int v = _v, h = _s.InHeight, w = _s.InWidth, ow = _s.OutWidth;
        long rowFloats = (long)_pitch * v;
        bool inPlace = _readsInPlace && io.DirectInput(0) != null;

        // Read in place: a zero row stands for the padding rows (the edge copies follow it). From the tile: padding
        // columns are never written, so they stay zero; padding rows are cleared per band below.
        new Span<float>(tile, (int)((inPlace ? (long)w * v : TileBytes / sizeof(float)))).Clear();
        float* weights = _weights.Pointer;
        float* biases = weights + ((long)Blocks * _taps * v);
        fixed (int* pixels = _pixelOffsets, taps = _tapOffsets)
        {
            for (int item = begin; item < end; item += step)
            {
                (int b, int band) = ItemAt(item);
                int c0 = b * v, n = Math.Min(v, _s.OutChannels - c0);
                int oy0 = band * _bandRows, rows = Math.Min(_bandRows, _s.OutHeight - oy0);
                int top = oy0 * _s.StrideHeight, tileRows = TileRows(rows); // padded rows [top, top + tileRows)
                RowSource source = default; // the tile's rows
                if (inPlace)
                {
                    source = new RowSource(io.DirectInput(c0), (long)w * v, _s.PadTop, h, tile, _s.PadLeft, _interiorFirst, _interiorEnd, tile + ((long)w * v));
                }
                else
                {
                    for (int r = 0; r < tileRows; r++)
                    {
                        if ((uint)(top + r - _s.PadTop) >= (uint)h)
                        {
                            new Span<float>(tile + (r * rowFloats), (int)rowFloats).Clear();
                        }
                    }

                    int iy0 = Math.Max(0, top - _s.PadTop), iy1 = Math.Min(h, top + tileRows - _s.PadTop);
                    if (iy1 > iy0)
                    {
                        io.Load(c0, n, iy0 * w, (iy1 - iy0) * w, tile - (top * rowFloats), pixels + (iy0 * w), ioScratch);
                    }
                }

                float* wb = weights + ((long)b * _taps * v);
                float* bb = biases + ((long)b * v);
                float* direct = io.DirectOutput(c0, oy0 * ow);
                float* o = direct != null ? direct : outTile;
                switch (v)
                {
                    case 16:
                        Pixels<Lanes512>(tile, source, oy0, rows, wb, bb, taps, o, act);
                        break;
                    case 8:
                        Pixels<Lanes256>(tile, source, oy0, rows, wb, bb, taps, o, act);
                        break;
                    default:
                        Pixels<Lanes128>(tile, source, oy0, rows, wb, bb, taps, o, act);
                        break;
                }

                if (direct == null)
                {
                    io.Store(outTile, c0, n, oy0 * ow, rows * ow, ioScratch);
                }
            }
        }
    }

    // out[oy·OW + ox][V] = act(bias + Σ_t w[t] · in[(oy0 + oy)·sh + ky, ox·sw + kx]) for the band's rows (padded
    // coordinates), from the tile or, where source is not the default, read in place.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Pixels<TV>(float* tile, in RowSource source, int oy0, int rows, float* wb, float* bb, int* offs, float* dst, in FusedActivation act)
        where TV : struct, ILanes<TV>
    {
        switch (_sliding)
        {
            case Sliding.ThreeStride1:
                Slide<TV, Three1>(tile, source, oy0, rows, wb, bb, dst, act);
                return;
            case Sliding.ThreeStride2:
                Slide<TV, Three2>(tile, source, oy0, rows, wb, bb, dst, act);
                return;
            case Sliding.FiveStride1:
                Slide<TV, Five1>(tile, source, oy0, rows, wb, bb, dst, act);
                return;
            case Sliding.FiveStride2:
                Slide<TV, Five2>(tile, source, oy0, rows, wb, bb, dst, act);
                return;
            default:
                EveryTap<TV>(tile, rows, wb, bb, offs, dst, act);
                return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Slide<TV, TR>(float* tile, in RowSource source, int oy0, int rows, float* wb, float* bb, float* dst, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TR : struct, IKernelRow
    {
        if (source.Edge == null)
        {
            SlideRows<TV, TR>(tile, rows, wb, bb, dst, act);
        }
        else
        {
            SlideRowsInPlace<TV, TR>(source, oy0, rows, wb, bb, dst, act);
        }
    }

    // Columns of the edge copy: what four outputs read, (4 − 1)·stride + the kernel's span.
    private int EdgeColumns => (3 * _s.StrideWidth) + ((_s.KernelWidth - 1) * _s.DilationWidth) + 1;

    // Read in place: the zero row (W vectors), then the edge copy [kernel row][EdgeColumns][V].
    private long InPlaceFloats => ((long)_s.InWidth + ((long)_s.KernelHeight * EdgeColumns)) * _v;

    /// <summary>
    /// A channel block's input read in place: padded row r is input row r − firstRow (count of them,
    /// <paramref name="rowFloats"/> apart from <paramref name="first"/>) or else the zero row; output columns outside
    /// [InteriorFirst, InteriorEnd) go through the edge copy. The default (no edge copy) stands for the tile.
    /// </summary>
    private readonly struct RowSource(float* first, long rowFloats, int firstRow, int count, float* zero, int shift, int interiorFirst, int interiorEnd, float* edge)
    {
        /// <summary>Output columns from here on read only real input columns.</summary>
        public int InteriorFirst => interiorFirst;

        /// <summary>Output columns below this read only real input columns.</summary>
        public int InteriorEnd => interiorEnd;

        /// <summary>The edge copy's [kernel row][EdgeColumns][V] floats (null for the tile).</summary>
        public float* Edge => edge;

        /// <summary>Padding columns left of the input row.</summary>
        public int Shift => shift;

        /// <summary>Padded row <paramref name="row"/>, shifted so that padded column x is at + x·V.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* Row(int row, int v) =>
            ((uint)(row - firstRow) < (uint)count ? first + ((row - firstRow) * rowFloats) : zero) - (shift * v);
    }

    // Rows of the tile's outputs eight at a time, then four at a time (the last four end at the row's end, recomputing a
    // few: same values), each kernel row's taps applied by TR.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SlideRows<TV, TR>(float* tile, int rows, float* wb, float* bb, float* dst, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TR : struct, IKernelRow
    {
        int v = TV.Count, ow = _s.OutWidth;
        long rowFloats = (long)_pitch * v;
        var bias = TV.Load(bb);
        for (int oy = 0; oy < rows; oy++)
        {
            float* row = tile + (oy * TR.Stride * rowFloats);
            float* o = dst + ((long)oy * ow * v);
            int ox = 0;
            for (; ox + 8 <= ow; ox += 8)
            {
                SlideGroup<TV, TR, Count8, Strided>(new Strided(row + (ox * TR.Stride * v), rowFloats), wb, bias, o + (ox * v), act);
            }

            for (; ox < ow; ox += 4)
            {
                int x = Math.Min(ox, ow - 4);
                SlideGroup<TV, TR, Count4, Strided>(new Strided(row + (x * TR.Stride * v), rowFloats), wb, bias, o + (x * v), act);
            }
        }
    }

    // Rows of outputs read in place: the interior eight at a time, then whole fours; the columns before it and what is
    // left after go through EdgeGroups. (The kernel rows' pointers come from a table here, the zero row standing for
    // padding rows; the tile's own path keeps plain strides, which measured up to 1.3× faster on 4 lanes at 14².)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SlideRowsInPlace<TV, TR>(in RowSource source, int oy0, int rows, float* wb, float* bb, float* dst, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TR : struct, IKernelRow
    {
        int v = TV.Count, ow = _s.OutWidth, kh = _s.KernelHeight;
        int first = source.InteriorFirst, end = source.InteriorEnd;
        var bias = TV.Load(bb);
        float** rp = stackalloc float*[kh];
        float** ep = stackalloc float*[kh]; // the edge copy's rows
        for (int ky = 0; ky < kh; ky++)
        {
            ep[ky] = source.Edge + ((long)ky * EdgeColumns * v);
        }

        for (int oy = 0; oy < rows; oy++)
        {
            int row = (oy0 + oy) * TR.Stride;
            for (int ky = 0; ky < kh; ky++)
            {
                rp[ky] = source.Row(row + ky, v);
            }

            float* o = dst + ((long)oy * ow * v);
            int ox = first > 0 ? EdgeGroups<TV, TR>(source.Shift, rp, ep, 0, first, wb, bias, o, act) : 0;
            for (; ox + 8 <= end; ox += 8)
            {
                SlideGroup<TV, TR, Count8, Listed>(new Listed(rp, (long)ox * TR.Stride * v), wb, bias, o + (ox * v), act);
            }

            for (; ox + 4 <= end; ox += 4)
            {
                SlideGroup<TV, TR, Count4, Listed>(new Listed(rp, (long)ox * TR.Stride * v), wb, bias, o + (ox * v), act);
            }

            if (ox < ow)
            {
                EdgeGroups<TV, TR>(source.Shift, rp, ep, ox, ow, wb, bias, o, act);
            }
        }
    }

    // Outputs [from, to) of a row read in place, four at a time (the last four end at the row's end): each kernel row's
    // EdgeColumns input vectors from column x·stride on copied into the edge rows (zero outside the input row), then
    // the four outputs slid over them. Returns the first output column not yet computed. (Eight at a time measured
    // slower: the edge copies are what this path costs; kernel check 3×3 at 28² 1.3×, 56² 1.1×.)
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private int EdgeGroups<TV, TR>(int shift, float** rp, float** ep, int from, int to, float* wb, TV bias, float* o, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TR : struct, IKernelRow
    {
        int v = TV.Count, columns = EdgeColumns, w = _s.InWidth, kh = _s.KernelHeight, ow = _s.OutWidth;
        var zero = TV.Create(0f);
        int ox = from;
        for (; ox < to; ox += 4)
        {
            int x = Math.Min(ox, ow - 4), x0 = x * TR.Stride;
            for (int ky = 0; ky < kh; ky++)
            {
                float* r = rp[ky], e = ep[ky];
                for (int j = 0; j < columns; j++)
                {
                    int c = x0 + j;
                    ((uint)(c - shift) < (uint)w ? TV.Load(r + (c * v)) : zero).Store(e + (j * v));
                }
            }

            SlideGroup<TV, TR, Count4, Listed>(new Listed(ep, 0), wb, bias, o + (x * v), act);
        }

        return ox;
    }

    // TN (4 or 8) outputs of a row, kernel row ky's inputs from TK.At(ky) on, each kernel row's taps applied by TR,
    // stored at d.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SlideGroup<TV, TR, TN, TK>(in TK kernelRows, float* wb, TV bias, float* d, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TR : struct, IKernelRow
        where TN : struct, ICount
        where TK : struct, IKernelRows
    {
        int v = TV.Count;
        TV a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias;
        for (int ky = 0; ky < _s.KernelHeight; ky++)
        {
            TR.Accumulate<TV, TN>(kernelRows.At(ky), wb + (ky * TR.Width * v), ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
        }

        StoreGroup<TV, TN>(d, act, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>Where a group's kernel rows start.</summary>
    private interface IKernelRows
    {
        /// <summary>Kernel row <paramref name="ky"/>'s first input vector.</summary>
        float* At(int ky);
    }

    // Kernel rows a fixed stride apart (the tile).
    private readonly struct Strided(float* first, long rowFloats) : IKernelRows
    {
        public float* At(int ky) => first + (ky * rowFloats);
    }

    // Kernel rows from a table, each at the same offset (read in place, the edge copy).
    private readonly struct Listed(float** rows, long offset) : IKernelRows
    {
        public float* At(int ky) => rows[ky] + offset;
    }

    // Outputs a0..a(TN − 1), activated, one vector apart from d on.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGroup<TV, TN>(float* d, in FusedActivation act, TV a0, TV a1, TV a2, TV a3, TV a4, TV a5, TV a6, TV a7)
        where TV : struct, ILanes<TV>
        where TN : struct, ICount
    {
        int v = TV.Count;
        a0.Activate(act).Store(d);
        a1.Activate(act).Store(d + v);
        a2.Activate(act).Store(d + (2 * v));
        a3.Activate(act).Store(d + (3 * v));
        if (TN.Count > 4)
        {
            a4.Activate(act).Store(d + (4 * v));
            a5.Activate(act).Store(d + (5 * v));
            a6.Activate(act).Store(d + (6 * v));
            a7.Activate(act).Store(d + (7 * v));
        }
    }

    // Any kernel: eight, then four pixels per step with the taps outer (each weight vector loaded once per group), then
    // single pixels.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EveryTap<TV>(float* tile, int rows, float* wb, float* bb, int* offs, float* dst, in FusedActivation act)
        where TV : struct, ILanes<TV>
    {
        int v = TV.Count, sh = _s.StrideHeight, sw = _s.StrideWidth, ow = _s.OutWidth, taps = _taps;
        int step = sw * v;
        var bias = TV.Load(bb);
        for (int oy = 0; oy < rows; oy++)
        {
            float* row = tile + ((long)oy * sh * _pitch * v);
            float* o = dst + ((long)oy * ow * v);
            int ox = 0;
            for (; ox + 8 <= ow; ox += 8)
            {
                TapGroup<TV, Count8>(row + (ox * step), step, wb, bias, offs, o + (ox * v), act);
            }

            for (; ox + 4 <= ow; ox += 4)
            {
                TapGroup<TV, Count4>(row + (ox * step), step, wb, bias, offs, o + (ox * v), act);
            }

            for (; ox < ow; ox++)
            {
                float* p = row + (ox * step);
                var a = bias;
                for (int t = 0; t < taps; t++)
                {
                    a = TV.MultiplyAdd(TV.Load(p + offs[t]), TV.Load(wb + (t * v)), a);
                }

                a.Activate(act).Store(o + (ox * v));
            }
        }
    }

    // TN (4 or 8) pixels step floats apart from p on, every tap from memory (each weight vector loaded once), stored at d.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TapGroup<TV, TN>(float* p, int step, float* wb, TV bias, int* offs, float* d, in FusedActivation act)
        where TV : struct, ILanes<TV>
        where TN : struct, ICount
    {
        int v = TV.Count;
        TV a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias;
        for (int t = 0; t < _taps; t++)
        {
            var w = TV.Load(wb + (t * v));
            float* q = p + offs[t];
            a0 = TV.MultiplyAdd(TV.Load(q), w, a0);
            a1 = TV.MultiplyAdd(TV.Load(q + step), w, a1);
            a2 = TV.MultiplyAdd(TV.Load(q + (2 * step)), w, a2);
            a3 = TV.MultiplyAdd(TV.Load(q + (3 * step)), w, a3);
            if (TN.Count > 4)
            {
                a4 = TV.MultiplyAdd(TV.Load(q + (4 * step)), w, a4);
                a5 = TV.MultiplyAdd(TV.Load(q + (5 * step)), w, a5);
                a6 = TV.MultiplyAdd(TV.Load(q + (6 * step)), w, a6);
                a7 = TV.MultiplyAdd(TV.Load(q + (7 * step)), w, a7);
            }
        }

        StoreGroup<TV, TN>(d, act, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>
    /// <paramref name="pixels"/> pixels of n (≤ v) float channels, channel j's at src + j·plane → the tile, pixel p's v
    /// channels at tile + pixelOffsets[p] (lanes ≥ n hold copies of the last channel). 8×8 transposes where AVX is
    /// available, 4×4 ones on 4 lanes where <see cref="VectorTranspose.CanTranspose4"/> (the last 8 or 4 pixels overlap
    /// the ones before: same values), else one float at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ChannelsToTile(float* src, int pixels, long plane, int n, int v, float* tile, int* pixelOffsets)
    {
        if (v >= 8 && pixels >= 8 && Avx.IsSupported && n == v)
        {
            // A whole block: both 8-channel halves of a pixel group at once, so each 64-byte tile line is written
            // whole while it is in L1 (16 lanes: half-line stores a pass apart cost a second read for ownership).
            for (int p0 = 0; p0 < pixels; p0 += 8)
            {
                int p = Math.Min(p0, pixels - 8);
                for (int j0 = 0; j0 < v; j0 += 8)
                {
                    float* r = src + (j0 * plane) + p;
                    TransposeToPixels(Avx.LoadVector256(r), Avx.LoadVector256(r + plane), Avx.LoadVector256(r + (2 * plane)), Avx.LoadVector256(r + (3 * plane)),
                        Avx.LoadVector256(r + (4 * plane)), Avx.LoadVector256(r + (5 * plane)), Avx.LoadVector256(r + (6 * plane)), Avx.LoadVector256(r + (7 * plane)),
                        tile + j0, pixelOffsets + p);
                }
            }

            return;
        }

        if (v >= 8 && pixels >= 8 && Avx.IsSupported)
        {
            // The last, partial block: channels past n repeat the last one.
            for (int j0 = 0; j0 < v; j0 += 8)
            {
                float* s0 = src + (Math.Min(j0, n - 1) * plane), s1 = src + (Math.Min(j0 + 1, n - 1) * plane);
                float* s2 = src + (Math.Min(j0 + 2, n - 1) * plane), s3 = src + (Math.Min(j0 + 3, n - 1) * plane);
                float* s4 = src + (Math.Min(j0 + 4, n - 1) * plane), s5 = src + (Math.Min(j0 + 5, n - 1) * plane);
                float* s6 = src + (Math.Min(j0 + 6, n - 1) * plane), s7 = src + (Math.Min(j0 + 7, n - 1) * plane);
                float* t = tile + j0;
                for (int p0 = 0; p0 < pixels; p0 += 8)
                {
                    int p = Math.Min(p0, pixels - 8);
                    TransposeToPixels(Avx.LoadVector256(s0 + p), Avx.LoadVector256(s1 + p), Avx.LoadVector256(s2 + p), Avx.LoadVector256(s3 + p),
                        Avx.LoadVector256(s4 + p), Avx.LoadVector256(s5 + p), Avx.LoadVector256(s6 + p), Avx.LoadVector256(s7 + p),
                        t, pixelOffsets + p);
                }
            }

            return;
        }

        if (v == 4 && pixels >= 4 && VectorTranspose.CanTranspose4)
        {
            // 4×4 transposes (SSE or NEON): channels past n repeat the last one; the last 4 pixels overlap the ones
            // before (same values).
            float* s0 = src, s1 = src + (Math.Min(1, n - 1) * plane), s2 = src + (Math.Min(2, n - 1) * plane), s3 = src + (Math.Min(3, n - 1) * plane);
            for (int p0 = 0; p0 < pixels; p0 += 4)
            {
                int p = Math.Min(p0, pixels - 4);
                VectorTranspose.Transpose4(Vector128.Load(s0 + p), Vector128.Load(s1 + p), Vector128.Load(s2 + p), Vector128.Load(s3 + p),
                    out var c0, out var c1, out var c2, out var c3);
                int* o = pixelOffsets + p;
                c0.Store(tile + o[0]);
                c1.Store(tile + o[1]);
                c2.Store(tile + o[2]);
                c3.Store(tile + o[3]);
            }

            return;
        }

        for (int j = 0; j < v; j++)
        {
            float* s = src + (Math.Min(j, n - 1) * plane);
            for (int p = 0; p < pixels; p++)
            {
                tile[pixelOffsets[p] + j] = s[p];
            }
        }
    }

    /// <summary>src[pixel][v], <paramref name="pixels"/> pixels → the first n float channels, channel j's at dst + j·plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileToChannels(float* src, int pixels, long plane, int n, int v, float* dst)
    {
        if (v >= 8 && pixels >= 8 && Avx.IsSupported)
        {
            for (int j0 = 0; j0 < n; j0 += 8)
            {
                int count = Math.Min(8, n - j0);
                float* d = dst + (j0 * plane);
                for (int p0 = 0; p0 < pixels; p0 += 8)
                {
                    int p = Math.Min(p0, pixels - 8);
                    float* r = src + ((long)p * v) + j0;
                    Transpose8(Avx.LoadVector256(r), Avx.LoadVector256(r + v), Avx.LoadVector256(r + (2 * v)), Avx.LoadVector256(r + (3 * v)),
                        Avx.LoadVector256(r + (4 * v)), Avx.LoadVector256(r + (5 * v)), Avx.LoadVector256(r + (6 * v)), Avx.LoadVector256(r + (7 * v)),
                        out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                    float* dp = d + p;
                    Avx.Store(dp, c0);
                    if (count == 8)
                    {
                        Avx.Store(dp + plane, c1);
                        Avx.Store(dp + (2 * plane), c2);
                        Avx.Store(dp + (3 * plane), c3);
                        Avx.Store(dp + (4 * plane), c4);
                        Avx.Store(dp + (5 * plane), c5);
                        Avx.Store(dp + (6 * plane), c6);
                        Avx.Store(dp + (7 * plane), c7);
                        continue;
                    }

                    // The last block's last channels (count < 8): only the planes that exist.
                    var rest = (c1, c2, c3, c4, c5, c6, c7);
                    for (int k = 1; k < count; k++)
                    {
                        var c = k switch { 1 => rest.c1, 2 => rest.c2, 3 => rest.c3, 4 => rest.c4, 5 => rest.c5, 6 => rest.c6, _ => rest.c7 };
                        Avx.Store(dp + (k * plane), c);
                    }
                }
            }

            return;
        }

        if (v == 4 && pixels >= 4 && VectorTranspose.CanTranspose4)
        {
            float* d0 = dst, d1 = dst + plane, d2 = dst + (2 * plane), d3 = dst + (3 * plane);
            for (int p0 = 0; p0 < pixels; p0 += 4)
            {
                int p = Math.Min(p0, pixels - 4);
                float* r = src + ((long)p * 4);
                VectorTranspose.Transpose4(Vector128.Load(r), Vector128.Load(r + 4), Vector128.Load(r + 8), Vector128.Load(r + 12),
                    out var c0, out var c1, out var c2, out var c3);
                c0.Store(d0 + p);
                if (n > 1)
                {
                    c1.Store(d1 + p);
                }

                if (n > 2)
                {
                    c2.Store(d2 + p);
                }

                if (n > 3)
                {
                    c3.Store(d3 + p);
                }
            }

            return;
        }

        for (int j = 0; j < n; j++)
        {
            float* d = dst + (j * plane);
            for (int p = 0; p < pixels; p++)
            {
                d[p] = src[((long)p * v) + j];
            }
        }
    }

    public void Dispose() => _weights.Dispose();

    /// <summary>One kernel row's taps for four outputs of the blocked path, the input vectors loaded once each.</summary>
    private interface IKernelRow
    {
        /// <summary>Input columns between neighbouring outputs.</summary>
        static abstract int Stride { get; }

        /// <summary>Taps per kernel row.</summary>
        static abstract int Width { get; }

        /// <summary>
        /// a_i += Σ_kx w[kx]·q[(Stride·i + kx)·V] for the first TN.Count (4 or 8) outputs i, the input vectors loaded
        /// once each (eight outputs: eight independent FMA chains, which two 4-cycle FMA pipes need; four leave them
        /// waiting on latency). With four, a4..a7 are not touched.
        /// </summary>
        static abstract void Accumulate<TV, TN>(float* q, float* w, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7)
            where TV : struct, ILanes<TV>
            where TN : struct, ICount;
    }

    // 3 taps, stride 1: inputs 0..5 (four outputs) or 0..9 (eight), each into every output that reads it.
    private readonly struct Three1 : IKernelRow
    {
        public static int Stride => 1;

        public static int Width => 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate<TV, TN>(float* q, float* w, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7)
            where TV : struct, ILanes<TV>
            where TN : struct, ICount
        {
            int v = TV.Count;
            TV k0 = TV.Load(w), k1 = TV.Load(w + v), k2 = TV.Load(w + (2 * v));
            bool eight = TN.Count > 4;
            TV x;
            a0 = TV.MultiplyAdd(TV.Load(q), k0, a0);
            x = TV.Load(q + v);
            a0 = TV.MultiplyAdd(x, k1, a0);
            a1 = TV.MultiplyAdd(x, k0, a1);
            x = TV.Load(q + (2 * v));
            a0 = TV.MultiplyAdd(x, k2, a0);
            a1 = TV.MultiplyAdd(x, k1, a1);
            a2 = TV.MultiplyAdd(x, k0, a2);
            x = TV.Load(q + (3 * v));
            a1 = TV.MultiplyAdd(x, k2, a1);
            a2 = TV.MultiplyAdd(x, k1, a2);
            a3 = TV.MultiplyAdd(x, k0, a3);
            x = TV.Load(q + (4 * v));
            a2 = TV.MultiplyAdd(x, k2, a2);
            a3 = TV.MultiplyAdd(x, k1, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k0, a4);
            }

            x = TV.Load(q + (5 * v));
            a3 = TV.MultiplyAdd(x, k2, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k1, a4);
                a5 = TV.MultiplyAdd(x, k0, a5);
                x = TV.Load(q + (6 * v));
                a4 = TV.MultiplyAdd(x, k2, a4);
                a5 = TV.MultiplyAdd(x, k1, a5);
                a6 = TV.MultiplyAdd(x, k0, a6);
                x = TV.Load(q + (7 * v));
                a5 = TV.MultiplyAdd(x, k2, a5);
                a6 = TV.MultiplyAdd(x, k1, a6);
                a7 = TV.MultiplyAdd(x, k0, a7);
                x = TV.Load(q + (8 * v));
                a6 = TV.MultiplyAdd(x, k2, a6);
                a7 = TV.MultiplyAdd(x, k1, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (9 * v)), k2, a7);
            }
        }
    }

    // 3 taps, stride 2: inputs 0..8 (four outputs) or 0..16 (eight); the even ones past the first feed two outputs.
    private readonly struct Three2 : IKernelRow
    {
        public static int Stride => 2;

        public static int Width => 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate<TV, TN>(float* q, float* w, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7)
            where TV : struct, ILanes<TV>
            where TN : struct, ICount
        {
            int v = TV.Count;
            TV k0 = TV.Load(w), k1 = TV.Load(w + v), k2 = TV.Load(w + (2 * v));
            bool eight = TN.Count > 4;
            TV x;
            a0 = TV.MultiplyAdd(TV.Load(q), k0, a0);
            a0 = TV.MultiplyAdd(TV.Load(q + v), k1, a0);
            x = TV.Load(q + (2 * v));
            a0 = TV.MultiplyAdd(x, k2, a0);
            a1 = TV.MultiplyAdd(x, k0, a1);
            a1 = TV.MultiplyAdd(TV.Load(q + (3 * v)), k1, a1);
            x = TV.Load(q + (4 * v));
            a1 = TV.MultiplyAdd(x, k2, a1);
            a2 = TV.MultiplyAdd(x, k0, a2);
            a2 = TV.MultiplyAdd(TV.Load(q + (5 * v)), k1, a2);
            x = TV.Load(q + (6 * v));
            a2 = TV.MultiplyAdd(x, k2, a2);
            a3 = TV.MultiplyAdd(x, k0, a3);
            a3 = TV.MultiplyAdd(TV.Load(q + (7 * v)), k1, a3);
            x = TV.Load(q + (8 * v));
            a3 = TV.MultiplyAdd(x, k2, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k0, a4);
                a4 = TV.MultiplyAdd(TV.Load(q + (9 * v)), k1, a4);
                x = TV.Load(q + (10 * v));
                a4 = TV.MultiplyAdd(x, k2, a4);
                a5 = TV.MultiplyAdd(x, k0, a5);
                a5 = TV.MultiplyAdd(TV.Load(q + (11 * v)), k1, a5);
                x = TV.Load(q + (12 * v));
                a5 = TV.MultiplyAdd(x, k2, a5);
                a6 = TV.MultiplyAdd(x, k0, a6);
                a6 = TV.MultiplyAdd(TV.Load(q + (13 * v)), k1, a6);
                x = TV.Load(q + (14 * v));
                a6 = TV.MultiplyAdd(x, k2, a6);
                a7 = TV.MultiplyAdd(x, k0, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (15 * v)), k1, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (16 * v)), k2, a7);
            }
        }
    }

    // 5 taps, stride 1: inputs 0..7 (four outputs) or 0..11 (eight), each into every output that reads it.
    private readonly struct Five1 : IKernelRow
    {
        public static int Stride => 1;

        public static int Width => 5;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate<TV, TN>(float* q, float* w, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7)
            where TV : struct, ILanes<TV>
            where TN : struct, ICount
        {
            int v = TV.Count;
            TV k0 = TV.Load(w), k1 = TV.Load(w + v), k2 = TV.Load(w + (2 * v)), k3 = TV.Load(w + (3 * v)), k4 = TV.Load(w + (4 * v));
            bool eight = TN.Count > 4;
            TV x;
            a0 = TV.MultiplyAdd(TV.Load(q), k0, a0);
            x = TV.Load(q + v);
            a0 = TV.MultiplyAdd(x, k1, a0);
            a1 = TV.MultiplyAdd(x, k0, a1);
            x = TV.Load(q + (2 * v));
            a0 = TV.MultiplyAdd(x, k2, a0);
            a1 = TV.MultiplyAdd(x, k1, a1);
            a2 = TV.MultiplyAdd(x, k0, a2);
            x = TV.Load(q + (3 * v));
            a0 = TV.MultiplyAdd(x, k3, a0);
            a1 = TV.MultiplyAdd(x, k2, a1);
            a2 = TV.MultiplyAdd(x, k1, a2);
            a3 = TV.MultiplyAdd(x, k0, a3);
            x = TV.Load(q + (4 * v));
            a0 = TV.MultiplyAdd(x, k4, a0);
            a1 = TV.MultiplyAdd(x, k3, a1);
            a2 = TV.MultiplyAdd(x, k2, a2);
            a3 = TV.MultiplyAdd(x, k1, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k0, a4);
            }

            x = TV.Load(q + (5 * v));
            a1 = TV.MultiplyAdd(x, k4, a1);
            a2 = TV.MultiplyAdd(x, k3, a2);
            a3 = TV.MultiplyAdd(x, k2, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k1, a4);
                a5 = TV.MultiplyAdd(x, k0, a5);
            }

            x = TV.Load(q + (6 * v));
            a2 = TV.MultiplyAdd(x, k4, a2);
            a3 = TV.MultiplyAdd(x, k3, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k2, a4);
                a5 = TV.MultiplyAdd(x, k1, a5);
                a6 = TV.MultiplyAdd(x, k0, a6);
            }

            x = TV.Load(q + (7 * v));
            a3 = TV.MultiplyAdd(x, k4, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k3, a4);
                a5 = TV.MultiplyAdd(x, k2, a5);
                a6 = TV.MultiplyAdd(x, k1, a6);
                a7 = TV.MultiplyAdd(x, k0, a7);
                x = TV.Load(q + (8 * v));
                a4 = TV.MultiplyAdd(x, k4, a4);
                a5 = TV.MultiplyAdd(x, k3, a5);
                a6 = TV.MultiplyAdd(x, k2, a6);
                a7 = TV.MultiplyAdd(x, k1, a7);
                x = TV.Load(q + (9 * v));
                a5 = TV.MultiplyAdd(x, k4, a5);
                a6 = TV.MultiplyAdd(x, k3, a6);
                a7 = TV.MultiplyAdd(x, k2, a7);
                x = TV.Load(q + (10 * v));
                a6 = TV.MultiplyAdd(x, k4, a6);
                a7 = TV.MultiplyAdd(x, k3, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (11 * v)), k4, a7);
            }
        }
    }

    // 5 taps, stride 2: inputs 0..10 (four outputs) or 0..18 (eight); the even ones past the first two feed two outputs.
    private readonly struct Five2 : IKernelRow
    {
        public static int Stride => 2;

        public static int Width => 5;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate<TV, TN>(float* q, float* w, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7)
            where TV : struct, ILanes<TV>
            where TN : struct, ICount
        {
            int v = TV.Count;
            TV k0 = TV.Load(w), k1 = TV.Load(w + v), k2 = TV.Load(w + (2 * v)), k3 = TV.Load(w + (3 * v)), k4 = TV.Load(w + (4 * v));
            bool eight = TN.Count > 4;
            TV x;
            a0 = TV.MultiplyAdd(TV.Load(q), k0, a0);
            a0 = TV.MultiplyAdd(TV.Load(q + v), k1, a0);
            x = TV.Load(q + (2 * v));
            a0 = TV.MultiplyAdd(x, k2, a0);
            a1 = TV.MultiplyAdd(x, k0, a1);
            x = TV.Load(q + (3 * v));
            a0 = TV.MultiplyAdd(x, k3, a0);
            a1 = TV.MultiplyAdd(x, k1, a1);
            x = TV.Load(q + (4 * v));
            a0 = TV.MultiplyAdd(x, k4, a0);
            a1 = TV.MultiplyAdd(x, k2, a1);
            a2 = TV.MultiplyAdd(x, k0, a2);
            x = TV.Load(q + (5 * v));
            a1 = TV.MultiplyAdd(x, k3, a1);
            a2 = TV.MultiplyAdd(x, k1, a2);
            x = TV.Load(q + (6 * v));
            a1 = TV.MultiplyAdd(x, k4, a1);
            a2 = TV.MultiplyAdd(x, k2, a2);
            a3 = TV.MultiplyAdd(x, k0, a3);
            x = TV.Load(q + (7 * v));
            a2 = TV.MultiplyAdd(x, k3, a2);
            a3 = TV.MultiplyAdd(x, k1, a3);
            x = TV.Load(q + (8 * v));
            a2 = TV.MultiplyAdd(x, k4, a2);
            a3 = TV.MultiplyAdd(x, k2, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k0, a4);
            }

            x = TV.Load(q + (9 * v));
            a3 = TV.MultiplyAdd(x, k3, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k1, a4);
            }

            x = TV.Load(q + (10 * v));
            a3 = TV.MultiplyAdd(x, k4, a3);
            if (eight)
            {
                a4 = TV.MultiplyAdd(x, k2, a4);
                a5 = TV.MultiplyAdd(x, k0, a5);
                x = TV.Load(q + (11 * v));
                a4 = TV.MultiplyAdd(x, k3, a4);
                a5 = TV.MultiplyAdd(x, k1, a5);
                x = TV.Load(q + (12 * v));
                a4 = TV.MultiplyAdd(x, k4, a4);
                a5 = TV.MultiplyAdd(x, k2, a5);
                a6 = TV.MultiplyAdd(x, k0, a6);
                x = TV.Load(q + (13 * v));
                a5 = TV.MultiplyAdd(x, k3, a5);
                a6 = TV.MultiplyAdd(x, k1, a6);
                x = TV.Load(q + (14 * v));
                a5 = TV.MultiplyAdd(x, k4, a5);
                a6 = TV.MultiplyAdd(x, k2, a6);
                a7 = TV.MultiplyAdd(x, k0, a7);
                x = TV.Load(q + (15 * v));
                a6 = TV.MultiplyAdd(x, k3, a6);
                a7 = TV.MultiplyAdd(x, k1, a7);
                x = TV.Load(q + (16 * v));
                a6 = TV.MultiplyAdd(x, k4, a6);
                a7 = TV.MultiplyAdd(x, k2, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (17 * v)), k3, a7);
                a7 = TV.MultiplyAdd(TV.Load(q + (18 * v)), k4, a7);
            }
        }
    }

    // Eight channels' rows of eight pixels → each pixel's eight channels stored at tile + pixelOffsets[i].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeToPixels(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* tile, int* pixelOffsets)
    {
        Transpose8(r0, r1, r2, r3, r4, r5, r6, r7, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        Avx.Store(tile + pixelOffsets[0], c0);
        Avx.Store(tile + pixelOffsets[1], c1);
        Avx.Store(tile + pixelOffsets[2], c2);
        Avx.Store(tile + pixelOffsets[3], c3);
        Avx.Store(tile + pixelOffsets[4], c4);
        Avx.Store(tile + pixelOffsets[5], c5);
        Avx.Store(tile + pixelOffsets[6], c6);
        Avx.Store(tile + pixelOffsets[7], c7);
    }

    // The 8×8 transpose: unpack pairs, then quads, then swap 128-bit halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(u0, u4, 0x20);
        c1 = Avx.Permute2x128(u1, u5, 0x20);
        c2 = Avx.Permute2x128(u2, u6, 0x20);
        c3 = Avx.Permute2x128(u3, u7, 0x20);
        c4 = Avx.Permute2x128(u0, u4, 0x31);
        c5 = Avx.Permute2x128(u1, u5, 0x31);
        c6 = Avx.Permute2x128(u2, u6, 0x31);
        c7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}

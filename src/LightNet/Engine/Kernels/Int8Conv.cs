using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized 2-D convolution (uint8 activations, integer weights, int32 sums, requantized uint8 output in NCHW) as an
/// <see cref="Int8Gemm"/> per group: first the k rows (input channel, ky, kx) of the image are gathered into a uint8
/// im2col buffer, the input channels shared between the threads (padding takes the input zero point, so it adds
/// nothing after the zero-point correction; a 1×1, stride-1, unpadded convolution skips this, its k rows are the input
/// planes themselves); then blocks of 64 output positions are packed and multiplied by their row tiles while hot in L1,
/// one block per work item. With fewer blocks than four per thread (14×14 and 7×7 maps) every block is also cut into
/// row ranges, one per thread, so the threads share even a single block (each packs it).
/// </summary>
internal sealed unsafe class Int8Conv : IInt8Convolution
{
    private const int BlockTiles = 4;
    private const int BlockColumns = BlockTiles * Int8Gemm.ColumnTile;

    private readonly Conv2dShape _s;
    private readonly Int8Gemm[] _groups;
    private readonly Requantizer[] _requant;
    private readonly byte _inputZero;
    private readonly int _outPixels;
    private readonly int _depth;
    private readonly int _blocks;
    private readonly int _rowChunks;
    private readonly int _threads;
    private readonly ColumnsWork _columns;

    // Per kernel column kx, the output columns [lo, hi) whose input column ox·sw − pl + kx·dw is inside the image.
    private readonly int[] _insideColumns;
    private byte* _x, _y, _cols, _scratch;

    /// <param name="s">The geometry.</param>
    /// <param name="weights">[Cout, Cin/groups·kh·kw] zero-point-centred weights.</param>
    /// <param name="bias">Per output channel int32 bias (at input scale × weight scale).</param>
    /// <param name="scale">Per output channel multiplier input_scale·weight_scale/output_scale.</param>
    /// <param name="inputZero">The input zero point (uint8 domain).</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code (a fused ReLU raises it to the zero point).</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="path">The instruction path.</param>
    /// <param name="threads">Worker threads (for the scratch size and the work split).</param>
    public Int8Conv(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Int8Path path, int threads)
    {
        _s = s;
        _inputZero = (byte)inputZero;
        _threads = threads;
        _outPixels = s.OutHeight * s.OutWidth;
        int perGroup = s.OutChannels / s.Groups;
        _depth = s.InChannels / s.Groups * s.KernelHeight * s.KernelWidth;
        _groups = new Int8Gemm[s.Groups];
        _requant = new Requantizer[s.Groups];
        for (int g = 0; g < s.Groups; g++)
        {
            var gemm = new Int8Gemm(weights.Slice(g * perGroup * _depth, perGroup * _depth), perGroup, _depth, path);
            var b = new int[perGroup];
            for (int r = 0; r < perGroup; r++)
            {
                b[r] = bias[(g * perGroup) + r] - (inputZero * gemm.RowSum(r));
            }

            _groups[g] = gemm;
            _requant[g] = new Requantizer(b, scale.Slice(g * perGroup, perGroup).ToArray(), outputZero, min, max);
        }

        _insideColumns = new int[2 * s.KernelWidth];
        for (int kx = 0; kx < s.KernelWidth; kx++)
        {
            (_insideColumns[2 * kx], _insideColumns[(2 * kx) + 1]) = s.InsideColumns(kx);
        }

        _columns = new ColumnsWork(this);
        _blocks = (_outPixels + BlockColumns - 1) / BlockColumns;
        _rowChunks = threads > 1 && s.Groups * _blocks < threads * 4 ? Math.Clamp(threads, 1, _groups[0].RowTiles) : 1;
        Path = _groups[0].Path;
        Algorithm = (Direct ? "int8-gemm-1x1" : "int8-im2col-gemm") + "-" + Int8Paths.Name(Path);
    }

    public Int8Path Path { get; }

    public string Algorithm { get; }

    /// <summary>Multiply-accumulates of one image.</summary>
    public long Macs => _s.Macs;

    private bool Direct => _s.KernelHeight == 1 && _s.KernelWidth == 1 && _s.StrideHeight == 1 && _s.StrideWidth == 1
        && _s.PadTop == 0 && _s.PadLeft == 0 && _s.OutHeight == _s.InHeight && _s.OutWidth == _s.InWidth;

    private long ColumnBytes => Direct ? 0 : MemoryPlan.Align((long)_s.Groups * _depth * _outPixels);

    private long PackBytes => MemoryPlan.Align((long)BlockTiles * _groups[0].TileBytes);

    /// <summary>Scratch bytes of one run (the im2col buffer and one packed block per thread).</summary>
    public long ScratchBytes => ColumnBytes + (PackBytes * _threads);

    /// <summary>Work items of one run's GEMM phase: (group, block of 64 positions, row range).</summary>
    internal int Items => _s.Groups * _blocks * _rowChunks;

    /// <summary>Convolves one image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _x = x;
        _y = y;
        _scratch = scratch;
        if (Direct)
        {
            _cols = x;
        }
        else
        {
            _cols = scratch;
            pool.Run(_columns, _s.InChannels);
        }

        pool.Run(this, Items);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        byte* pack = _scratch + ColumnBytes + (threadIndex * PackBytes);
        int perGroup = _s.OutChannels / _s.Groups;
        int packed = -1;
        for (int item = begin; item < end; item++)
        {
            int gb = item / _rowChunks, chunk = item - (gb * _rowChunks);
            int g = gb / _blocks, block = gb - (g * _blocks);
            Int8Gemm gemm = _groups[g];
            byte* cols = _cols + ((long)g * _depth * _outPixels);
            int first = block * BlockColumns;
            int tiles = Math.Min(BlockTiles, (_outPixels - first + Int8Gemm.ColumnTile - 1) / Int8Gemm.ColumnTile);
            if (gb != packed)
            {
                // Consecutive items of one block on this thread share its packing.
                for (int t = 0; t < tiles; t++)
                {
                    int c0 = first + (t * Int8Gemm.ColumnTile);
                    gemm.PackTile(cols, _outPixels, c0, Math.Min(Int8Gemm.ColumnTile, _outPixels - c0), pack + (t * gemm.TileBytes));
                }

                packed = gb;
            }

            byte* y = _y + ((long)g * perGroup * _outPixels);
            int rt0 = (int)((long)chunk * gemm.RowTiles / _rowChunks), rt1 = (int)((long)(chunk + 1) * gemm.RowTiles / _rowChunks);
            for (int rt = rt0; rt < rt1; rt++)
            {
                for (int t = 0; t < tiles; t++)
                {
                    int c0 = first + (t * Int8Gemm.ColumnTile);
                    gemm.Multiply(rt, pack + (t * gemm.TileBytes), Math.Min(Int8Gemm.ColumnTile, _outPixels - c0), _requant[g], y + c0, _outPixels);
                }
            }
        }
    }

    // cols[((c·kh + ky)·kw + kx)·N + oy·OW + ox] = x[c][oy·sh − pt + ky·dh][ox·sw − pl + kx·dw], the zero point
    // outside the image, for input channels [c0, c1) (all groups: the buffer holds each group's k rows in turn).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Im2Col(int c0, int c1)
    {
        Conv2dShape s = _s;
        int ow = s.OutWidth, sw = s.StrideWidth, kw = s.KernelWidth;
        byte zero = _inputZero;
        int[] inside = _insideColumns;
        for (int c = c0; c < c1; c++)
        {
            byte* plane = _x + ((long)c * s.InHeight * s.InWidth);
            for (int ky = 0; ky < s.KernelHeight; ky++)
            {
                byte* rows = _cols + ((long)((c * s.KernelHeight) + ky) * kw * _outPixels);
                for (int oy = 0; oy < s.OutHeight; oy++, rows += ow)
                {
                    int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                    if ((uint)iy >= (uint)s.InHeight)
                    {
                        for (int kx = 0; kx < kw; kx++)
                        {
                            StridedBytes.Fill(rows + ((long)kx * _outPixels), ow, zero);
                        }

                        continue;
                    }

                    byte* src = plane + ((long)iy * s.InWidth);
                    for (int kx = 0; kx < kw; kx++)
                    {
                        // Output columns [lo, hi) read inside the image.
                        int lo = inside[2 * kx], hi = inside[(2 * kx) + 1];
                        byte* row = rows + ((long)kx * _outPixels);
                        StridedBytes.Fill(row, lo, zero);
                        StridedBytes.Copy(src + (lo * sw) + (kx * s.DilationWidth) - s.PadLeft, sw, row + lo, hi - lo);
                        StridedBytes.Fill(row + hi, ow - hi, zero);
                    }
                }
            }
        }
    }

    // The im2col phase: input channels shared between the threads.
    private sealed class ColumnsWork(Int8Conv owner) : IParallelWork
    {
        public void Execute(int begin, int end, int threadIndex) => owner.Im2Col(begin, end);
    }
}

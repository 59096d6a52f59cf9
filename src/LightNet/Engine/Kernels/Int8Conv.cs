using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized 2-D convolution (uint8 activations, integer weights, int32 sums, requantized uint8 output in NCHW) as an
/// <see cref="Int8Gemm"/> per group: the k rows (input channel, ky, kx) of the image are gathered into a uint8 im2col
/// buffer (padding takes the input zero point, so it adds nothing after the zero-point correction) — skipped for a 1×1,
/// stride-1, unpadded convolution, whose k rows are the input planes themselves — then blocks of 64 output positions are
/// packed and multiplied by every row tile while they are hot in L1, one block per work item.
/// </summary>
internal sealed unsafe class Int8Conv : IParallelWork
{
    private const int BlockTiles = 4;

    private readonly Conv2dShape _s;
    private readonly Int8Gemm[] _groups;
    private readonly Requantizer[] _requant;
    private readonly byte _inputZero;
    private readonly int _outPixels;
    private readonly int _depth;
    private readonly int _blocks;
    private readonly int _threads;
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
    /// <param name="threads">Worker threads (for the scratch size).</param>
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

        _blocks = (_outPixels + (BlockTiles * Int8Gemm.ColumnTile) - 1) / (BlockTiles * Int8Gemm.ColumnTile);
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

    /// <summary>Scratch bytes of one run (im2col buffer and one packed block per thread).</summary>
    public long ScratchBytes => ColumnBytes + (PackBytes * _threads);

    /// <summary>Convolves one image.</summary>
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
            Im2Col(x, scratch);
        }

        pool.Run(this, _s.Groups * _blocks);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        byte* pack = _scratch + ColumnBytes + (threadIndex * PackBytes);
        int perGroup = _s.OutChannels / _s.Groups;
        for (int item = begin; item < end; item++)
        {
            int g = item / _blocks, block = item % _blocks;
            Int8Gemm gemm = _groups[g];
            byte* cols = _cols + ((long)g * _depth * _outPixels);
            int first = block * BlockTiles * Int8Gemm.ColumnTile;
            int tiles = Math.Min(BlockTiles, (_outPixels - first + Int8Gemm.ColumnTile - 1) / Int8Gemm.ColumnTile);
            for (int t = 0; t < tiles; t++)
            {
                int c0 = first + (t * Int8Gemm.ColumnTile);
                gemm.PackTile(cols, _outPixels, c0, Math.Min(Int8Gemm.ColumnTile, _outPixels - c0), pack + (t * gemm.TileBytes));
            }

            byte* y = _y + ((long)g * perGroup * _outPixels);
            for (int rt = 0; rt < gemm.RowTiles; rt++)
            {
                for (int t = 0; t < tiles; t++)
                {
                    int c0 = first + (t * Int8Gemm.ColumnTile);
                    gemm.Multiply(rt, pack + (t * gemm.TileBytes), Math.Min(Int8Gemm.ColumnTile, _outPixels - c0), _requant[g], y + c0, _outPixels);
                }
            }
        }
    }

    // cols[(c·kh + ky)·kw + kx][oy·OW + ox] = x[c][oy·sh − pt + ky·dh][ox·sw − pl + kx·dw], the zero point outside.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Im2Col(byte* x, byte* cols)
    {
        Conv2dShape s = _s;
        int ow = s.OutWidth;
        for (int c = 0; c < s.InChannels; c++)
        {
            byte* plane = x + ((long)c * s.InHeight * s.InWidth);
            for (int ky = 0; ky < s.KernelHeight; ky++)
            {
                for (int kx = 0; kx < s.KernelWidth; kx++)
                {
                    byte* row = cols + ((((long)((c * s.KernelHeight) + ky) * s.KernelWidth) + kx) * _outPixels);
                    int offX = (kx * s.DilationWidth) - s.PadLeft;

                    // Output columns whose input column is inside the image: ox in [lo, hi).
                    int lo = Math.Clamp((-offX + s.StrideWidth - 1) / s.StrideWidth, 0, ow);
                    int hi = Math.Clamp((s.InWidth - offX + s.StrideWidth - 1) / s.StrideWidth, lo, ow);
                    for (int oy = 0; oy < s.OutHeight; oy++, row += ow)
                    {
                        int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                        if ((uint)iy >= (uint)s.InHeight)
                        {
                            new Span<byte>(row, ow).Fill(_inputZero);
                            continue;
                        }

                        byte* src = plane + ((long)iy * s.InWidth) + offX;
                        new Span<byte>(row, lo).Fill(_inputZero);
                        if (s.StrideWidth == 1)
                        {
                            new ReadOnlySpan<byte>(src + lo, hi - lo).CopyTo(new Span<byte>(row + lo, hi - lo));
                        }
                        else
                        {
                            for (int ox = lo; ox < hi; ox++)
                            {
                                row[ox] = src[ox * s.StrideWidth];
                            }
                        }

                        new Span<byte>(row + hi, ow - hi).Fill(_inputZero);
                    }
                }
            }
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A quantized 3-channel stem (NCHW image codes in) on the AVX2 level as a kh × 1 convolution of 3·kw channels: each
/// padded input row is turned into rows whose pixel (oy-row, ox) holds the 3·kw codes of the kw input pixels its window
/// covers in that row, kx-major then channel, and <see cref="Int8DirectConv"/> runs on that. Its steps pair consecutive
/// channels, so the 3 channels of one tap took two steps of two (one lane pair wasted: 49 × 2 = 98 pairs for a 7×7
/// stem), where 21 codes a row take 11 (77 pairs, 21 % fewer multiplies). The rows are built in two passes: the image
/// into a padded pixel-major copy of 4 bytes a pixel (<see cref="PixelMajorCodes.PaddedRows"/>), then, per output
/// column, kw pixels' 3 codes compacted by one byte shuffle.
/// </summary>
internal sealed unsafe class Int8StemRows : IInt8Convolution
{
    private const int Channels = 3;
    private const int Slack = 64; // bytes past each buffer that whole-vector loads and stores may touch

    private readonly Conv2dShape _s;
    private readonly Int8DirectConv _inner;
    private readonly PixelMajorCodes.Passes _pixels; // the image into padded pixel-major rows of 4-byte pixels
    private readonly int _paddedHeight, _paddedWidth, _rowBytes;
    private readonly long _paddedBytes, _rowsBytes;
    private byte* _padded, _rows;

    /// <param name="s">The stem (<see cref="Fits"/> holds).</param>
    /// <param name="weights">[Cout, 3·kh·kw] zero-point-centred int8 weights.</param>
    /// <param name="bias">Per output channel int32 bias.</param>
    /// <param name="scale">Per output channel multiplier.</param>
    /// <param name="inputZero">The input zero point.</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code.</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="isa">The session's level.</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="outputPixelMajor">Write the output pixel-major instead of NCHW.</param>
    /// <exception cref="LightNetException">The shape is not one <see cref="Fits"/> accepts.</exception>
    public Int8StemRows(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Isa isa, int threads, bool outputPixelMajor)
    {
        if (!Fits(s))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Int8StemRows: {s} is not a 3-channel undilated stem 5 to 8 taps wide on a CPU with AVX2.");
        }

        _s = s;
        int kh = s.KernelHeight, kw = s.KernelWidth;
        _paddedHeight = ((s.OutHeight - 1) * s.StrideHeight) + kh;
        _paddedWidth = ((s.OutWidth - 1) * s.StrideWidth) + kw;
        _rowBytes = Channels * kw;
        var rows = new Conv2dShape(_rowBytes, _paddedHeight, s.OutWidth, s.OutChannels, s.OutHeight, s.OutWidth, kh, 1, s.StrideHeight, 1, 1, 1, 0, 0, 1);

        // Weights [o][(kx·3 + c)·kh + ky] from [o][(c·kh + ky)·kw + kx].
        var w = new short[weights.Length];
        int depth = Channels * kh * kw;
        for (int o = 0; o < s.OutChannels; o++)
        {
            for (int c = 0; c < Channels; c++)
            {
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        w[(o * depth) + ((((kx * Channels) + c) * kh) + ky)] = weights[(o * depth) + (((c * kh) + ky) * kw) + kx];
                    }
                }
            }
        }

        _inner = new Int8DirectConv(rows, w, bias, scale, inputZero, outputZero, min, max, Int8Path.Avx2, isa, threads, inputPixelMajor: true, outputPixelMajor: outputPixelMajor);
        _pixels = new PixelMajorCodes.Passes(new PixelMajorCodes.PaddedRows(s, _paddedWidth, 4, false, (byte)inputZero, false), _paddedHeight, 4, Channels, 1);
        _paddedBytes = MemoryPlan.Align(((long)_paddedHeight * _paddedWidth * 4) + Slack);
        _rowsBytes = MemoryPlan.Align(((long)_paddedHeight * s.OutWidth * _rowBytes) + Slack);
        Algorithm = "int8-direct-rows-" + Int8Paths.Name(Int8Path.Avx2) + QuantizedLayout.Suffix(false, outputPixelMajor);
    }

    /// <inheritdoc/>
    public string Algorithm { get; }

    /// <inheritdoc/>
    public long Macs => _s.Macs;

    /// <inheritdoc/>
    public long ScratchBytes => _paddedBytes + _rowsBytes + _inner.ScratchBytes;

    /// <summary>
    /// Whether this kernel takes <paramref name="s"/>: one group, 3 input channels, 5 to 8 taps wide (a window row of
    /// pixels is one 32-byte load of the 4-byte copy), no dilation, and AVX2. Per operator, 1 thread, Zen 3, two
    /// processes each: the 7×7 stems of ResNet-18 2.38 / 2.46 → 2.16 / 2.04 ms and GoogLeNet 2.31 → 2.03; 3×3 ones slower
    /// (MobileNetV2's 0.32 → 0.45, SqueezeNet's 0.56 → 0.68: 17 % fewer multiplies do not pay for rows 3× the image).
    /// </summary>
    public static bool Fits(in Conv2dShape s) =>
        Avx2.IsSupported && s.Groups == 1 && s.InChannels == Channels && s.KernelWidth is >= 5 and <= 8
        && s.DilationHeight == 1 && s.DilationWidth == 1 && Int8DirectConv.Supports(s, Int8Path.Avx2);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _padded = scratch;
        _rows = scratch + _paddedBytes;
        _pixels.CopyIn(pool, x, _padded);
        pool.Run(this, _paddedHeight);
        _inner.Run(_rows, y, _rows + _rowsBytes, pool);
    }

    /// <summary>Builds rows [begin, end) of the kw-pixel rows from the padded pixel-major copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Execute(int begin, int end, int threadIndex)
    {
        // Per 128-bit lane, 4 pixels of 4 bytes → their 3 codes (12 bytes; the lane's last 4 bytes are left over).
        var compact = Vector256.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);
        byte* last = stackalloc byte[32];
        int ow = _s.OutWidth, sw = _s.StrideWidth, rowBytes = _rowBytes;

        // The columns whose two stores stay inside the output row (the next column overwrites what they write past
        // their own bytes); the others go through a small buffer, so no store reaches the next row (another thread's).
        int whole = Math.Max(0, ow - ((28 + rowBytes - 1) / rowBytes));
        for (int r = begin; r < end; r++)
        {
            byte* src = _padded + ((long)r * _paddedWidth * 4);
            byte* dst = _rows + ((long)r * ow * rowBytes);
            int ox = 0;
            for (; ox < whole; ox++, dst += rowBytes)
            {
                Vector256<byte> v = Avx2.Shuffle(Vector256.Load(src + (ox * sw * 4)), compact);
                v.GetLower().Store(dst);
                v.GetUpper().Store(dst + 12);
            }

            for (; ox < ow; ox++, dst += rowBytes)
            {
                Vector256<byte> v = Avx2.Shuffle(Vector256.Load(src + (ox * sw * 4)), compact);
                v.GetLower().Store(last);
                v.GetUpper().Store(last + 12);
                Buffer.MemoryCopy(last, dst, rowBytes, rowBytes);
            }
        }
    }
}

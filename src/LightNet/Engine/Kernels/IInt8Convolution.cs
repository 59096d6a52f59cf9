using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>A compiled dense or grouped integer convolution of one image (uint8 NCHW in, requantized uint8 NCHW out).</summary>
internal unsafe interface IInt8Convolution : IParallelWork
{
    /// <summary>The algorithm and integer path, for profiles.</summary>
    string Algorithm { get; }

    /// <summary>Multiply-accumulates of one image.</summary>
    long Macs { get; }

    /// <summary>Scratch bytes of one run.</summary>
    long ScratchBytes { get; }

    /// <summary>Convolves one image.</summary>
    void Run(byte* x, byte* y, byte* scratch, WorkerPool pool);
}

/// <summary>Which kernel runs a dense or grouped integer convolution: the one place that chooses.</summary>
internal static class Int8Convolutions
{
    /// <summary>
    /// <see cref="Int8Winograd"/> where <see cref="WinogradFits"/> and <paramref name="path"/> is the level's own
    /// (<see cref="Int8Paths.ForConvolution"/>: a caller holding a layer to another path gets that path's kernels); else a
    /// 3-channel stem 5 to 8 taps wide on the AVX2 path, reading NCHW codes, <see cref="Int8StemRows"/>; else,
    /// reading or writing pixel-major codes,
    /// <see cref="Int8DirectConv"/> on the level's dense path (<see cref="QuantizedLayout.DensePath"/>); else
    /// <see cref="Int8DirectConv"/> where the path is AVX-VNNI and <see cref="DirectFits"/>, else <see cref="Int8Conv"/>'s
    /// GEMM. Weights that do not fit in int8 (uint8 weights with a zero point) keep the GEMM, which widens them.
    /// </summary>
    public static IInt8Convolution Create(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        int inputZero, int outputZero, int min, int max, Int8Path path, Isa isa, int threads, bool inputPixelMajor = false, bool outputPixelMajor = false)
    {
        if (WinogradFits(s, weights, isa) && path == Int8Paths.ForConvolution(s, isa))
        {
            return new Int8Winograd(s, weights, bias, scale, inputZero, outputZero, min, max, isa, threads, inputPixelMajor, outputPixelMajor);
        }

        if (!inputPixelMajor && (outputPixelMajor || DirectFits(s, path)) && QuantizedLayout.DensePath(isa) == Int8Path.Avx2 && path == Int8Path.Avx2
            && Int8StemRows.Fits(s))
        {
            return new Int8StemRows(s, weights, bias, scale, inputZero, outputZero, min, max, isa, threads, outputPixelMajor);
        }

        if (inputPixelMajor || outputPixelMajor)
        {
            return new Int8DirectConv(s, weights, bias, scale, inputZero, outputZero, min, max, QuantizedLayout.DensePath(isa)!.Value, isa, threads,
                inputPixelMajor, outputPixelMajor);
        }

        if (DirectFits(s, path) && (path != Int8Path.AvxVnni || FitInBytes(weights)))
        {
            return new Int8DirectConv(s, weights, bias, scale, inputZero, outputZero, min, max, path, isa, threads);
        }

        return new Int8Conv(s, weights, bias, scale, inputZero, outputZero, min, max, path, threads);
    }

    /// <summary>
    /// Whether <see cref="Int8DirectConv"/> is the faster kernel for <paramref name="s"/> (where the CPU has AVX-VNNI): a
    /// dense convolution with im2col to save (not 1×1 stride 1, whose k rows are the input planes: there the two
    /// transposes cost more than the GEMM's packing, 1.1–1.3× on MobileNetV2's 1×1 layers) and a depth Cin·kh·kw of at
    /// least <see cref="DirectMinDepth"/>, so each tile's sum is long enough to pay for its epilogue. Kernel timings on
    /// Zen 5, 1 thread, direct / best GEMM: ResNet-18's 3×3 layers 0.58–0.67, 3×3 from 16 and 32 channels 0.64–0.65,
    /// its 7×7 stem (147) 0.92–0.97, 1×1 stride 2 from 128 channels 0.74 but from 64 channels 1.23.
    /// </summary>
    public static bool DirectFits(in Conv2dShape s, Int8Path path) =>
        Int8DirectConv.Supports(s, path) && !s.IsPointwise && s.InChannels * s.KernelHeight * s.KernelWidth >= DirectMinDepth;

    /// <summary>
    /// Whether <see cref="Int8Winograd"/> runs <paramref name="s"/> (<see cref="Int8Winograd.Supports"/>) and pays: a map
    /// of at least <see cref="WinogradMinPixels"/> output pixels and at least <see cref="WinogradMinChannels"/> input
    /// channels, on the AVX-512 level, or on the AVX2 level of a CPU without AVX-VNNI (there the direct kernel's
    /// alternative is the same <c>vpmaddwd</c> on 2.25× the products; with AVX-VNNI its <c>vpdpbusd</c> does 4 products a
    /// lane per instruction to Winograd's 2 in two instructions, and wins).
    /// </summary>
    public static bool WinogradFits(in Conv2dShape s, ReadOnlySpan<short> weights, Isa isa) =>
        s.OutHeight * s.OutWidth >= WinogradMinPixels(isa) && s.InChannels >= WinogradMinChannels
        && (isa == Isa.Avx512 || (isa == Isa.Avx2 && !AvxVnni.IsSupported)) && Int8Winograd.Supports(s, weights, isa);

    /// <summary>
    /// The smallest output map (pixels) <see cref="WinogradFits"/> takes at <paramref name="isa"/>: 14×14 on the AVX-512
    /// level of a CPU with AVX-VNNI (at 7×7 a third of the tiles' outputs are cut off and the 8 MB of transformed weights
    /// of a 512-channel layer stream from memory: 143–155 GMAC/s against the direct VNNI kernel's 185, Zen 5), else 7×7:
    /// without AVX-VNNI the alternatives are 16-bit kernels (ResNet-18's 7×7 layers: AVX-512 Winograd 171 GMAC/s against
    /// the GEMM's 103–108; AVX2 96–108 against the direct kernel's 85; the whole INT8 model on AVX2 13.3–13.8 ms against
    /// 14.1–14.3 with 14×14 as the limit; Zen 5 with AVX-VNNI, and AVX-512, turned off).
    /// </summary>
    public static int WinogradMinPixels(Isa isa) => isa == Isa.Avx512 && AvxVnni.IsSupported ? 14 * 14 : 7 * 7;

    /// <summary>The fewest input channels <see cref="WinogradFits"/> takes (its input pixels are padded to 32 channels).</summary>
    public const int WinogradMinChannels = 32;

    /// <summary>The smallest depth Cin·kh·kw <see cref="DirectFits"/> takes.</summary>
    public const int DirectMinDepth = 128;

    /// <summary>Whether every weight fits in a signed byte (what <c>vpdpbusd</c> takes).</summary>
    public static bool FitInBytes(ReadOnlySpan<short> weights)
    {
        foreach (short v in weights)
        {
            if (v is < sbyte.MinValue or > sbyte.MaxValue)
            {
                return false;
            }
        }

        return true;
    }
}

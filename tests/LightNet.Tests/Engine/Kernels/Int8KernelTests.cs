using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// Every integer kernel on every path this machine runs (AVX-512BW, AVX-VNNI, AVX2, Vector128, scalar), against a
/// naive integer reference: the sums are exact int32 and the requantization is the same float formula, so the codes
/// must be identical. Re-run with AVX-512 and AVX2 switched off by <see cref="IsaChildProcessTests"/>.
/// </summary>
[Trait("Category", "SimdKernels")]
public sealed unsafe class Int8KernelTests
{
    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (Int8Path p in Enum.GetValues<Int8Path>().Where(Int8Paths.IsSupported))
        {
            data.Add(Int8Paths.Name(p));
        }

        return data;
    }

    private static Int8Path Path(string name) => Enum.GetValues<Int8Path>().Single(p => Int8Paths.Name(p) == name);

    // cin, h, w, cout, k, stride, pad, dilation, groups
    public static TheoryData<string, int, int, int, int, int, int, int, int, int> ConvCases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int, int, int>();
        foreach (Int8Path p in Enum.GetValues<Int8Path>().Where(Int8Paths.IsSupported))
        {
            string n = Int8Paths.Name(p);
            data.Add(n, 16, 7, 9, 13, 1, 1, 0, 1, 1);   // 1×1 direct, tails in rows and columns
            data.Add(n, 5, 11, 10, 17, 3, 1, 1, 1, 1);  // 3×3 pad 1, depth not a multiple of 4
            data.Add(n, 3, 15, 13, 8, 7, 2, 3, 1, 1);   // 7×7 stride 2 (a stem)
            data.Add(n, 8, 9, 9, 6, 3, 2, 1, 2, 2);     // grouped, dilated
            data.Add(n, 12, 9, 8, 12, 3, 1, 1, 1, 12);  // depthwise stride 1
            data.Add(n, 12, 13, 14, 12, 3, 2, 1, 1, 12); // depthwise stride 2
            data.Add(n, 21, 7, 7, 21, 5, 1, 2, 1, 21);   // depthwise 5×5 on a 7×7 map, a partial channel block
            data.Add(n, 12, 6, 70, 12, 3, 1, 1, 1, 12);  // depthwise rows wider than the blocked path takes (70 > 56)
            data.Add(n, 12, 9, 130, 12, 3, 2, 1, 1, 12); // depthwise stride 2, 65 output columns (per-channel path)
            data.Add(n, 6, 5, 161, 6, 3, 2, 1, 1, 6);    // depthwise stride 2, 163 padded columns: 32- and 16-byte phase splits and a byte tail
            data.Add(n, 40, 6, 6, 24, 1, 2, 0, 1, 1);   // 1×1 stride 2 (im2col path)
            data.Add(n, 6, 20, 21, 20, 3, 1, 1, 1, 1);  // 7 blocks of 64 positions: each cut into row ranges for 2 threads
            data.Add(n, 5, 16, 40, 9, 3, 1, 1, 1, 1);   // 10 blocks: one item per block
            data.Add(n, 3, 40, 70, 8, 7, 2, 3, 1, 1);   // 7×7 stride 2 with 35-wide rows: the vector stride-2 gather and its tail
            data.Add(n, 3, 23, 37, 20, 5, 2, 2, 1, 1);  // 5×5 stride 2 stem, odd sizes: rows of 15 codes (Int8StemRows)
            data.Add(n, 3, 18, 44, 17, 8, 1, 3, 1, 1);  // 8×8 stride 1 stem: 24 codes a row, one whole 32-byte load a column
            data.Add(n, 4, 30, 66, 8, 3, 2, 1, 2, 1);   // dilation 2 with stride 2 on 32-wide rows
            data.Add(n, 16, 8, 8, 32, 1, 1, 0, 1, 1);   // two full 16-row AVX-512 tiles, requantized from registers
            data.Add(n, 32, 10, 11, 32, 3, 1, 1, 1, 32); // depthwise, full 16-channel blocks: 110 pixels = 6 transposes + 14
            data.Add(n, 48, 14, 14, 48, 3, 2, 1, 1, 48); // depthwise stride 2 on 16-channel blocks (14×14 → 7×7)
            data.Add(n, 20, 15, 56, 20, 3, 2, 1, 1, 20); // depthwise stride 2 to 28-wide rows, blocked
            data.Add(n, 20, 40, 56, 20, 3, 1, 1, 1, 20); // depthwise, the widest blocked rows (56), cut into several row bands
            data.Add(n, 20, 60, 56, 20, 3, 2, 1, 1, 20); // depthwise stride 2 in several row bands
            data.Add(n, 9, 30, 56, 9, 5, 1, 2, 1, 9);    // depthwise 5×5 sliding in row bands, a partial block
            data.Add(n, 4, 12, 20, 4, 3, 1, 2, 2, 4);    // depthwise dilation 2, blocked (every tap from memory)
            data.Add(n, 4, 9, 70, 4, 5, 1, 2, 1, 4);      // depthwise 5×5 per channel: two tap pairs and a single per row
            data.Add(n, 4, 12, 70, 4, 3, 1, 2, 2, 4);     // depthwise dilation 2 per channel: no taps adjacent, all single
            data.Add(n, 8, 10, 10, 29, 3, 1, 1, 1, 1);  // 16-row tiles, the last with 13 rows; 100 columns: a 4-column tile
            data.Add(n, 32, 10, 9, 29, 3, 1, 1, 1, 1);  // direct: 16-channel input transposes with a 9-pixel row (8 + 1), 29 outputs (16 + 13)
            data.Add(n, 24, 7, 7, 40, 3, 1, 1, 1, 1);   // direct: 16 + 8 input channels, 49 pixels (8 tiles of 6 + 1), 40 outputs (8-channel output transposes)
            data.Add(n, 19, 15, 17, 16, 3, 2, 1, 1, 1); // direct: stride 2, odd sizes, 16 + 3 input channels (byte tail), a bottom pad row
            data.Add(n, 16, 12, 13, 16, 3, 1, 2, 2, 1); // direct: dilation 2
            data.Add(n, 20, 9, 8, 24, 1, 2, 0, 1, 1);   // direct: 1×1 stride 2, input rows and columns beyond the last tap
            data.Add(n, 64, 6, 7, 72, 3, 1, 1, 1, 1);   // direct: 5 channel blocks in two weight groups (3 + 2), the last block partial
            data.Add(n, 32, 12, 30, 32, 3, 1, 1, 1, 32); // depthwise row tiles, 4 a row (the last of 6 pixels)
            data.Add(n, 32, 13, 40, 32, 3, 2, 1, 1, 32); // the same at stride 2 (17 input pixels a tile), 3 a row
            data.Add(n, 96, 14, 14, 64, 3, 1, 1, 1, 1);  // Winograd: 49 tiles (5 runs, the last of one tile), 3 groups of 32 input channels
            data.Add(n, 16, 9, 9, 32, 3, 1, 0, 1, 1);    // Winograd: no padding, a 7×7 map (odd: tiles cut at the right and bottom)
            data.Add(n, 8, 6, 7, 24, 3, 1, 2, 1, 1);     // Winograd: padding 2 (an 8×9 map), a partial output block
            data.Add(n, 24, 7, 7, 24, 1, 1, 0, 1, 1);    // direct 1×1: a last block of 8 channels (the 8-wide tile), a last tile of 1 pixel (the 3-pixel tile)
            data.Add(n, 18, 5, 4, 20, 1, 1, 0, 1, 1);    // direct 1×1: 4 channels in the last block, a last tile of 2 pixels, an odd depth (a padded pair)
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionMatchesTheIntegerReference(string path, int cin, int h, int w, int cout, int k, int stride, int pad, int dilation, int groups) =>
        CheckConvolution(path, cin, h, w, cout, k, stride, pad, dilation, groups, 128);

    // Weights in [-64, 64]: every pair fits the AVX2 direct kernel's vpmaddubsw step (Int8DirectConv.BytePairsFit).
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionWithSevenBitWeightsMatchesTheIntegerReference(string path, int cin, int h, int w, int cout, int k, int stride, int pad, int dilation, int groups) =>
        CheckConvolution(path, cin, h, w, cout, k, stride, pad, dilation, groups, 64);

    private static void CheckConvolution(string path, int cin, int h, int w, int cout, int k, int stride, int pad, int dilation, int groups, int weightBound)
    {
        int oh = ((h + (2 * pad) - (((k - 1) * dilation) + 1)) / stride) + 1, ow = ((w + (2 * pad) - (((k - 1) * dilation) + 1)) / stride) + 1;
        var shape = new Conv2dShape(cin, h, w, cout, oh, ow, k, k, stride, stride, dilation, dilation, pad, pad, groups);
        var rng = new Random(cin * 31 + k);
        int depth = cin / groups * k * k;
        byte[] x = Bytes(rng, cin * h * w);
        short[] wt = Enumerable.Range(0, cout * depth).Select(_ => (short)rng.Next(-weightBound, Math.Min(weightBound + 1, 128))).ToArray();
        int[] bias = Enumerable.Range(0, cout).Select(_ => rng.Next(-5000, 5000)).ToArray();
        float[] scale = Enumerable.Range(0, cout).Select(_ => 0.0005f + (rng.NextSingle() * 0.002f)).ToArray();
        const int zx = 37, zy = 120, min = 3, max = 250;
        var requant = new Requantizer(bias, scale, zy, min, max);
        byte[] expected = new byte[cout * oh * ow];
        for (int co = 0; co < cout; co++)
        {
            int g = co / (cout / groups);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    int acc = 0;
                    for (int ci = 0; ci < cin / groups; ci++)
                    {
                        for (int ky = 0; ky < k; ky++)
                        {
                            for (int kx = 0; kx < k; kx++)
                            {
                                int iy = (oy * stride) - pad + (ky * dilation), ix = (ox * stride) - pad + (kx * dilation);
                                int xv = iy < 0 || iy >= h || ix < 0 || ix >= w ? zx : x[(((g * (cin / groups)) + ci) * h * w) + (iy * w) + ix];
                                acc += (xv - zx) * wt[(co * depth) + (((ci * k) + ky) * k) + kx];
                            }
                        }
                    }

                    expected[(co * oh * ow) + (oy * ow) + ox] = requant.Apply(acc, co);
                }
            }
        }

        byte[] actual = new byte[expected.Length];
        using var pool = new WorkerPool(2);
        fixed (byte* px = x, py = actual)
        {
            if (shape.IsDepthwise)
            {
                using var dw = new Int8Depthwise(shape, wt, bias, scale, zx, zy, min, max, Path(path));

                // Maps the float kernel blocks go through its tiles (float sums, exact here: 9 or 25 taps of 255·128).
                var isa = Path(path) switch { Int8Path.Avx512 => Isa.Avx512, Int8Path.Avx2 or Int8Path.AvxVnni => Isa.Avx2, Int8Path.Vector128 => Isa.Vector128, _ => Isa.Scalar };
                Assert.Equal(ow <= Int8Depthwise.BlockedMaxWidth(isa, stride), dw.Algorithm.Contains("blocked", StringComparison.Ordinal));
                byte[] scratch = new byte[dw.ScratchBytes(2)];
                fixed (byte* ps = scratch)
                {
                    dw.Run(px, py, ps, pool);
                }

                if (Int8Depthwise.IsBlocked(shape, wt, Path(path)))
                {
                    AssertPixelMajorForms((i, o) => new Int8Depthwise(shape, wt, bias, scale, zx, zy, min, max, Path(path), i, o),
                        k => ((Int8Depthwise)k).ScratchBytes(2), (k, a, b, c) => ((Int8Depthwise)k).Run(a, b, c, pool));
                }

                // The direct depthwise kernel (16 and 8 lanes) in every layout, NCHW to NCHW included.
                foreach (Isa level in new[] { Isa.Avx512, Isa.Avx2 }.Where(l => Path(path) == Int8Path.Scalar && Int8DepthwiseDirect.Fits(shape, wt, bias, l)))
                {
                    var planar = new Int8DepthwiseDirect(shape, wt, bias, scale, zx, zy, min, max, level, 2, false, false);
                    byte[] planarOut = new byte[expected.Length];
                    byte[] planarScratch = Enumerable.Repeat((byte)0xA5, (int)planar.ScratchBytes).ToArray();
                    fixed (byte* ps = planarScratch, pd = planarOut)
                    {
                        planar.Run(px, pd, ps, pool);
                    }

                    Assert.True(expected.AsSpan().SequenceEqual(planarOut), planar.Algorithm);
                    AssertPixelMajorForms((i, o) => new Int8DepthwiseDirect(shape, wt, bias, scale, zx, zy, min, max, level, 2, i, o),
                        k => ((Int8DepthwiseDirect)k).ScratchBytes, (k, a, b, c) => ((Int8DepthwiseDirect)k).Run(a, b, c, pool));
                }
            }
            else
            {
                var conv = new Int8Conv(shape, wt, bias, scale, zx, zy, min, max, Path(path), 2);
                byte[] scratch = new byte[conv.ScratchBytes];
                fixed (byte* ps = scratch)
                {
                    conv.Run(px, py, ps, pool);
                }

                // The direct kernel on the same case (both of its forms; the VNNI one with the 256- and 512-bit
                // epilogues), with poisoned scratch: every byte it reads it wrote.
                foreach (Isa level in new[] { Isa.Avx2, Isa.Avx512 }.Where(l => Int8DirectConv.Supports(shape, Path(path)) && IsaSupport.IsSupported(l)
                    && (l == Isa.Avx2 || Path(path) == Int8Path.AvxVnni)))
                {
                    var direct = new Int8DirectConv(shape, wt, bias, scale, zx, zy, min, max, Path(path), level, 2);
                    byte[] directOut = new byte[expected.Length];
                    byte[] directScratch = Enumerable.Repeat((byte)0xA5, (int)direct.ScratchBytes).ToArray();
                    fixed (byte* ps = directScratch, pd = directOut)
                    {
                        direct.Run(px, pd, ps, pool);
                    }

                    Assert.True(expected.AsSpan().SequenceEqual(directOut), $"{direct.Algorithm} at {level}");
                    Assert.Equal(Path(path) == Int8Path.Avx2 && Int8DirectConv.BytePairsFit(shape, wt), direct.Algorithm.Contains("-u8s8", StringComparison.Ordinal));
                    AssertPixelMajorForms((i, o) => new Int8DirectConv(shape, wt, bias, scale, zx, zy, min, max, Path(path), level, 2, i, o),
                        k => ((Int8DirectConv)k).ScratchBytes, (k, a, b, c) => ((Int8DirectConv)k).Run(a, b, c, pool));
                }

                // A 3-channel stem as kh × 1 rows of 3·kw codes (AVX2), NCHW and pixel-major output, poisoned scratch.
                if (Path(path) == Int8Path.Scalar && Int8StemRows.Fits(shape))
                {
                    foreach (bool outPixels in new[] { false, true })
                    {
                        var stem = new Int8StemRows(shape, wt, bias, scale, zx, zy, min, max, Isa.Avx2, 2, outPixels);
                        byte[] stemOut = Enumerable.Repeat((byte)0x5A, expected.Length).ToArray();
                        byte[] stemScratch = Enumerable.Repeat((byte)0xA5, (int)stem.ScratchBytes).ToArray();
                        fixed (byte* ps = stemScratch, pd = stemOut)
                        {
                            stem.Run(px, pd, ps, pool);
                        }

                        Assert.True((outPixels ? ToPixelMajor(expected, cout, oh * ow) : expected).AsSpan().SequenceEqual(stemOut), $"{stem.Algorithm}, pixel-major output {outPixels}");
                    }
                }

                // Integer Winograd (AVX-512BW and AVX2 forms) on every 3×3 stride-1 case, in every layout.
                foreach (Isa level in new[] { Isa.Avx512, Isa.Avx2 }.Where(l => Path(path) == Int8Path.Scalar && Int8Winograd.Supports(shape, wt, l)))
                {
                    var winograd = new Int8Winograd(shape, wt, bias, scale, zx, zy, min, max, level, 2);
                    byte[] winogradOut = new byte[expected.Length];
                    byte[] winogradScratch = Enumerable.Repeat((byte)0xA5, (int)winograd.ScratchBytes).ToArray();
                    fixed (byte* ps = winogradScratch, pd = winogradOut)
                    {
                        winograd.Run(px, pd, ps, pool);
                    }

                    Assert.True(expected.AsSpan().SequenceEqual(winogradOut), winograd.Algorithm);
                    AssertPixelMajorForms((i, o) => new Int8Winograd(shape, wt, bias, scale, zx, zy, min, max, level, 2, i, o),
                        k => ((Int8Winograd)k).ScratchBytes, (k, a, b, c) => ((Int8Winograd)k).Run(a, b, c, pool));
                }
            }
        }

        Assert.Equal(expected, actual);

        // The kernel reading and/or writing pixel-major codes ([H][W][C], QuantizedLayout) gives the same codes.
        void AssertPixelMajorForms(Func<bool, bool, object> create, Func<object, long> scratchBytes, RunKernel run)
        {
            byte[] xPixels = ToPixelMajor(x, cin, h * w);
            byte[] expectedPixels = ToPixelMajor(expected, cout, oh * ow);
            foreach ((bool inPixels, bool outPixels) in new[] { (true, false), (false, true), (true, true) })
            {
                object kernel = create(inPixels, outPixels);
                byte[] y = Enumerable.Repeat((byte)0x5A, expected.Length).ToArray();
                byte[] scratch = Enumerable.Repeat((byte)0xA5, (int)scratchBytes(kernel)).ToArray();
                fixed (byte* pxIn = inPixels ? xPixels : x, py = y, ps = scratch)
                {
                    run(kernel, pxIn, py, ps);
                }

                Assert.True((outPixels ? expectedPixels : expected).AsSpan().SequenceEqual(y), $"{path}: pixel-major input {inPixels}, output {outPixels}");
                (kernel as IDisposable)?.Dispose();
            }
        }
    }

    private delegate void RunKernel(object kernel, byte* x, byte* y, byte* scratch);

    [Fact]
    public void DirectBytePairsAreExactAtTheSaturationBoundary()
    {
        var shape = new Conv2dShape(8, 3, 5, 16, 3, 5, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        if (!Int8DirectConv.Supports(shape, Int8Path.Avx2))
        {
            return;
        }

        // Every code 255 (zero point 0) against pairs that reach ±255·128 = ±32,640, int16's edge: (64, 64), (-64, -64),
        // (127, 1), (-1, -127); one pair of 129 instead must take the 16-bit step, and both must be exact. A centred
        // uint8 weight of 128 is no signed byte, even beside a zero.
        Assert.False(Int8BytePairs.Fit([128, 0], 1, 2, 1));
        Assert.True(Int8BytePairs.Fit([-128, 0, 64, -64], 1, 4, 1));
        Assert.False(Int8BytePairs.Fit([65, 0, 64, 0], 1, 2, 2)); // 2 channels × 2 taps: tap 0 pairs 65 with 64, not with its own tap 1

        short[][] pairs = [[64, 64], [-64, -64], [127, 1], [-1, -127]];
        short[] wt = new short[16 * 8];
        for (int o = 0; o < 16; o++)
        {
            for (int c = 0; c < 8; c += 2)
            {
                short[] pair = pairs[(o + (c / 2)) % 4];
                (wt[(o * 8) + c], wt[(o * 8) + c + 1]) = (pair[0], pair[1]);
            }
        }

        byte[] x = Enumerable.Repeat((byte)255, 8 * 15).ToArray();
        int[] bias = new int[16];
        float[] scale = Enumerable.Repeat(0.0004f, 16).ToArray();
        var requant = new Requantizer(bias, scale, 128, 0, 255);
        using var pool = new WorkerPool(2);
        foreach (bool saturating in new[] { false, true })
        {
            if (saturating)
            {
                wt[8] = 65; // output 1's first pair: (65, 64)
            }

            byte[] expected = new byte[16 * 15];
            for (int o = 0; o < 16; o++)
            {
                int acc = 0;
                for (int c = 0; c < 8; c++)
                {
                    acc += 255 * wt[(o * 8) + c];
                }

                expected.AsSpan(o * 15, 15).Fill(requant.Apply(acc, o));
            }

            var direct = new Int8DirectConv(shape, wt, bias, scale, 0, 128, 0, 255, Int8Path.Avx2, Isa.Avx2, 2);
            Assert.Equal(!saturating, direct.Algorithm.Contains("-u8s8", StringComparison.Ordinal));
            byte[] actual = new byte[expected.Length];
            byte[] scratch = new byte[direct.ScratchBytes];
            fixed (byte* px = x, py = actual, ps = scratch)
            {
                direct.Run(px, py, ps, pool);
            }

            Assert.Equal(expected, actual);
        }
    }

    // NCHW (one image) to [H·W][C].
    private static byte[] ToPixelMajor(byte[] planar, int channels, int pixels)
    {
        byte[] result = new byte[planar.Length];
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                result[(p * channels) + c] = planar[(c * pixels) + p];
            }
        }

        return result;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DenseMatchesTheIntegerReference(string path)
    {
        // Full-range weights (on AVX2 without VNNI widened from bytes in registers), then 7-bit ones (there the byte-pair
        // step), then centred weights reaching 128 (int16 weights).
        foreach (int bound in new[] { 127, 64, 128 })
        {
            CheckDense(path, bound);
        }
    }

    private static void CheckDense(string path, int bound)
    {
        var rng = new Random(5);
        const int rows = 2, inF = 71, outF = 19, zx = 128, zy = 10;
        byte[] x = Bytes(rng, rows * inF);
        short[] wt = Enumerable.Range(0, outF * inF).Select(_ => (short)rng.Next(-bound, bound + 1)).ToArray();
        int[] bias = Enumerable.Range(0, outF).Select(_ => rng.Next(-900, 900)).ToArray();
        float[] scale = Enumerable.Range(0, outF).Select(_ => 0.001f + (rng.NextSingle() * 0.003f)).ToArray();
        var requant = new Requantizer(bias, scale, zy, 0, 255);
        var expected = new byte[rows * outF];
        for (int n = 0; n < rows; n++)
        {
            for (int m = 0; m < outF; m++)
            {
                int acc = 0;
                for (int k = 0; k < inF; k++)
                {
                    acc += (x[(n * inF) + k] - zx) * wt[(m * inF) + k];
                }

                expected[(n * outF) + m] = requant.Apply(acc, m);
            }
        }

        var dense = new Int8Dense(wt, outF, inF, bias, scale, zx, zy, 0, 255, Path(path));
        bool pairs = Path(path) == Int8Path.Avx2 || (Path(path) == Int8Path.AvxVnni && !Int8Paths.IsSupported(Int8Path.AvxVnni));
        Assert.Equal(pairs && bound == 64, dense.Algorithm.EndsWith("-u8s8", StringComparison.Ordinal));
        Assert.Equal(pairs && bound == 127, dense.Algorithm.EndsWith("-s8", StringComparison.Ordinal));
        var actual = new byte[expected.Length];
        var scratch = new byte[dense.ScratchBytes];
        using var pool = new WorkerPool(2);
        fixed (byte* px = x, py = actual, ps = scratch)
        {
            dense.Run(px, rows, py, ps, pool);
        }

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RequantizedRowsMatchTheScalarFormulaIncludingTies(string path)
    {
        // Multiplier 0.5: odd sums land exactly on .5 and must round half to even, as ONNX Runtime's MLAS does.
        var requant = new Requantizer([0], [0.5f], 100, 0, 255);
        int[] acc = Enumerable.Range(-300, 333).ToArray();
        var actual = new byte[acc.Length];
        fixed (int* pa = acc)
        fixed (byte* py = actual)
        {
            requant.Row(pa, acc.Length, 0, py, Path(path));
        }

        for (int i = 0; i < acc.Length; i++)
        {
            Assert.Equal((byte)Math.Clamp((int)Math.Round(acc[i] * 0.5, MidpointRounding.ToEven) + 100, 0, 255), actual[i]);
        }
    }

    [Fact]
    public void KernelSuitesPixelMajorCasesRunTheChainKernels()
    {
        var pointwise = new Conv2dShape(24, 9, 10, 40, 9, 10, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        var depthwise = new Conv2dShape(32, 11, 9, 32, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1, 32);
        foreach (Isa isa in new[] { Isa.Avx512, Isa.Avx2, Isa.Vector128 }.Where(IsaSupport.IsSupported))
        {
            using Int8Harness? dense = Int8Harness.PixelMajor(pointwise, isa, 2);
            using Int8Harness? dw = Int8Harness.PixelMajor(depthwise, isa, 2);
            Assert.Equal(LightNet.Engine.QuantizedLayout.DensePath(isa) is not null, dense is not null);
            Assert.Equal(LightNet.Engine.QuantizedLayout.DensePath(isa) is not null, dw is not null);
            if (dense is null || dw is null)
            {
                continue;
            }

            Assert.Equal($"int8-direct-{Int8Paths.Name(LightNet.Engine.QuantizedLayout.DensePath(isa)!.Value)}-nhwc", dense.Algorithm);
            Assert.Equal($"int8-depthwise-direct-{IsaSupport.Name(isa)}-nhwc", dw.Algorithm);
            Assert.Equal(pointwise.Macs, dense.Macs);
            dense.Run();
            dw.Run();
        }
    }

    [Fact]
    public void DirectDepthwiseRunsOnlyWhereItsFloatSumsWithTheBiasStayExact()
    {
        // 3×3 taps of 255·127 and the start −zero·Σw: 2·9·255·127 = 582,930; the bias adds to it, below 2²⁴ = 16,777,216.
        var s = new Conv2dShape(16, 8, 8, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 16);
        short[] w = Enumerable.Repeat((short)-127, 16 * 9).ToArray();
        int[] bias = new int[16];
        foreach (Isa isa in new[] { Isa.Avx512, Isa.Avx2 }.Where(IsaSupport.IsSupported))
        {
            bias[5] = -(16_777_216 - 582_930 - 1);
            Assert.True(Int8DepthwiseDirect.Fits(s, w, bias, isa));
            bias[5]--;
            Assert.False(Int8DepthwiseDirect.Fits(s, w, bias, isa));
            Assert.Throws<LightNetException>(() => new Int8DepthwiseDirect(s, w, bias, new float[16], 0, 0, 0, 255, isa, 1, true, true));
            bias[5] = 0;
            w[0] = -16_000;
            Assert.False(Int8DepthwiseDirect.Fits(s, w, bias, isa));
            w[0] = -127;
        }
    }

    [Fact]
    public void DenseConvolutionsWithIm2ColToSaveTakeTheDirectKernelOnAvxVnni()
    {
        var stem = new Conv2dShape(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1);      // depth 147
        var narrow = new Conv2dShape(16, 56, 56, 32, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1);     // depth 144 (below the GEMM's VNNI depth)
        var small = new Conv2dShape(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1);     // depth 27
        var downsample = new Conv2dShape(64, 56, 56, 128, 28, 28, 1, 1, 2, 2, 1, 1, 0, 0, 1); // 1×1 stride 2, depth 64
        var pointwise = new Conv2dShape(960, 7, 7, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        var grouped = new Conv2dShape(64, 14, 14, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        const Int8Path Vnni = Int8Path.AvxVnni;
        Assert.True(Int8Convolutions.DirectFits(stem, Vnni) == System.Runtime.Intrinsics.X86.AvxVnni.IsSupported);
        Assert.True(Int8Convolutions.DirectFits(narrow, Int8Path.Avx2) == System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        foreach (var path in new[] { Vnni, Int8Path.Avx2, Int8Path.Avx512, Int8Path.Vector128 })
        {
            Assert.False(Int8Convolutions.DirectFits(small, path));
            Assert.False(Int8Convolutions.DirectFits(downsample, path));
            Assert.False(Int8Convolutions.DirectFits(pointwise, path));
            Assert.False(Int8Convolutions.DirectFits(grouped, path));
        }

        Assert.False(Int8Convolutions.DirectFits(narrow, Int8Path.Avx512));
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            // Without AVX-VNNI the AVX2 level takes the direct kernel's 16-bit form, or with weights whose pairs cannot
            // saturate (7 bits) its vpmaddubsw form.
            short[] fullRange = Enumerable.Repeat((short)100, 32 * 144).ToArray();
            Assert.Equal("int8-direct-avx2", Int8Convolutions.Create(narrow, fullRange, new int[32], new float[32], 0, 0, 0, 255, Int8Path.Avx2, Isa.Avx2, 1).Algorithm);
            Assert.Equal("int8-direct-avx2-u8s8", Int8Convolutions.Create(narrow, new short[32 * 144], new int[32], new float[32], 0, 0, 0, 255, Int8Path.Avx2, Isa.Avx2, 1).Algorithm);
        }

        if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
        {
            return;
        }

        foreach (Isa isa in new[] { Isa.Avx512, Isa.Avx2 }.Where(IsaSupport.IsSupported))
        {
            Assert.Equal(Vnni, Int8Paths.ForConvolution(narrow, isa));
            Assert.Equal("int8-direct-avxvnni", Create(narrow, isa).Algorithm);
            Assert.IsType<Int8Conv>(Create(downsample, isa));
            Assert.IsType<Int8Conv>(Create(pointwise, isa));
        }

        // uint8 weights with a zero point do not fit vpdpbusd's signed bytes: the GEMM widens them.
        short[] wide = Enumerable.Repeat((short)200, 32 * 144).ToArray();
        Assert.IsType<Int8Conv>(Int8Convolutions.Create(narrow, wide, new int[32], new float[32], 0, 0, 0, 255, Int8Path.AvxVnni, Isa.Avx2, 1));

        static IInt8Convolution Create(in Conv2dShape s, Isa isa)
        {
            int depth = s.InChannels * s.KernelHeight * s.KernelWidth;
            return Int8Convolutions.Create(s, new short[s.OutChannels * depth], new int[s.OutChannels], new float[s.OutChannels], 0, 0, 0, 255, Int8Paths.ForConvolution(s, isa), isa, 1);
        }
    }

    [Fact]
    public void IntegerWinogradRunsThreeByThreeStrideOneLayersOfFourteenSquareOrMoreWhereItBeatsTheDirectKernel()
    {
        var l1 = new Conv2dShape(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var l3 = new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var l4 = new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1);           // 7×7: a third of its tiles' outputs cut off
        var strided = new Conv2dShape(128, 28, 28, 256, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        var dilated = new Conv2dShape(64, 28, 28, 64, 28, 28, 3, 3, 1, 1, 2, 2, 2, 2, 1);
        var narrow = new Conv2dShape(16, 56, 56, 32, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1);     // 16 channels: half of each 32-channel step
        bool avx512 = System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && IsaSupport.IsSupported(Isa.Avx512);
        Assert.Equal(avx512, Fits(l1, Isa.Avx512));
        Assert.Equal(avx512, Fits(l3, Isa.Avx512));
        Assert.Equal(avx512 && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported, Fits(l4, Isa.Avx512)); // with AVX-VNNI the direct kernel wins at 7×7
        Assert.False(Fits(strided, Isa.Avx512));
        Assert.False(Fits(dilated, Isa.Avx512));
        Assert.False(Fits(narrow, Isa.Avx512));
        bool avx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported; // with AVX-VNNI the direct kernel is faster
        Assert.Equal(avx2, Fits(l1, Isa.Avx2));
        Assert.Equal(avx2, Fits(l4, Isa.Avx2));
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, Int8Winograd.Supports(l1, new short[64 * 64 * 9], Isa.Avx2));
        Assert.False(Fits(l1, Isa.Vector128));

        // The exactness bound: 4·9·Cin·255·max|w| below 2³¹.
        var deep = new Conv2dShape(1024, 14, 14, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        short[] w = Enumerable.Repeat((short)58, 1024 * 9).ToArray(); // 4·9·1024·255·58 = 545,218,560
        Assert.Equal(avx512, Int8Winograd.Supports(deep, w, Isa.Avx512));
        w[7] = 233;                                                    // 2,190,274,560: past int32
        Assert.False(Int8Winograd.Supports(deep, w, Isa.Avx512));
        Assert.Throws<LightNetException>(() => new Int8Winograd(deep, w, new int[1], new float[1], 0, 0, 0, 255, Isa.Avx512, 1));
        Assert.Throws<LightNetException>(() => new Int8Winograd(l1, new short[64 * 64 * 9], new int[64], new float[64], 0, 0, 0, 255, Isa.Vector128, 1));
        if (!avx512)
        {
            return;
        }

        // Where it fits, the level's own path takes it, in either layout; a layer held to another path keeps that path's kernels.
        Assert.StartsWith("int8-winograd-avx512", Create(l1, Int8Paths.ForConvolution(l1, Isa.Avx512), false).Algorithm, StringComparison.Ordinal);
        Assert.Equal("int8-winograd-avx512-nhwc", Create(l3, Int8Paths.ForConvolution(l3, Isa.Avx512), true).Algorithm);
        Assert.DoesNotContain("winograd", Create(l1, Int8Path.Vector128, false).Algorithm, StringComparison.Ordinal);

        static bool Fits(in Conv2dShape s, Isa isa) => Int8Convolutions.WinogradFits(s, new short[s.OutChannels * s.InChannels * 9], isa);

        static IInt8Convolution Create(in Conv2dShape s, Int8Path path, bool pixelMajor) =>
            Int8Convolutions.Create(s, new short[s.OutChannels * s.InChannels * 9], new int[s.OutChannels], new float[s.OutChannels], 0, 0, 0, 255, path, Isa.Avx512, 1,
                pixelMajor, pixelMajor);
    }

    [Fact]
    public void ConvolutionPathTakesVnniOnlyForDeepGemmsAtTheAvx512Level()
    {
        var deep = new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1); // depth 4608
        var shallow = new Conv2dShape(16, 56, 56, 96, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1); // depth 16
        var depthwise = new Conv2dShape(96, 56, 56, 96, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 96);
        if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
        {
            bool vnni = System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;
            Assert.Equal(vnni ? Int8Path.AvxVnni : Int8Path.Avx512, Int8Paths.ForConvolution(deep, Isa.Avx512));
            Assert.Equal(vnni ? Int8Path.AvxVnni : Int8Path.Avx512, Int8Paths.ForGemm(Isa.Avx512, Int8Paths.VnniMinDepth));
            Assert.Equal(Int8Path.Avx512, Int8Paths.ForGemm(Isa.Avx512, Int8Paths.VnniMinDepth - 1));
            Assert.Equal(Int8Path.Avx512, Int8Paths.ForConvolution(shallow, Isa.Avx512));
            Assert.Equal(Int8Path.Avx512, Int8Paths.ForConvolution(depthwise, Isa.Avx512));
        }

        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            // Without AVX-512 VNNI wins at every depth.
            var expected = System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? Int8Path.AvxVnni : Int8Path.Avx2;
            Assert.Equal(expected, Int8Paths.ForConvolution(shallow, Isa.Avx2));
            Assert.Equal(expected, Int8Paths.ForConvolution(deep, Isa.Avx2));
        }

        Assert.Equal(Int8Path.Scalar, Int8Paths.ForConvolution(deep, Isa.Scalar));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    public void ConcatInRangesMatchesTheWholeConcat(int step)
    {
        // Blocks of 5, 0, 130 and 64 bytes per outer index (the third mapped through a table), 3 outer indices; the
        // output written in pieces of `step` bytes must be the plain concatenation.
        long[] inner = [5, 0, 130, 64];
        const int outer = 3;
        var rng = new Random(step);
        byte[][] data = inner.Select(n => Enumerable.Range(0, (int)n * outer).Select(_ => (byte)rng.Next(256)).ToArray()).ToArray();
        byte[] table = Enumerable.Range(0, 256).Select(v => (byte)(255 - v)).ToArray();
        byte[]?[] tables = [null, null, table, null];
        var expected = new List<byte>();
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner.Length; i++)
            {
                expected.AddRange(data[i].Skip(o * (int)inner[i]).Take((int)inner[i]).Select(v => tables[i] is { } t ? t[v] : v));
            }
        }

        var handles = data.Select(d => System.Runtime.InteropServices.GCHandle.Alloc(d, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            nint[] inputs = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
            var actual = new byte[expected.Count];
            fixed (byte* y = actual)
            {
                for (long b = 0; b < actual.Length; b += step)
                {
                    QuantizedElementwise.Concat(inputs, inner, tables, y, b, Math.Min(actual.Length, b + step));
                }
            }

            Assert.Equal(expected, actual);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    [Fact]
    public void StridedByteCopiesMatchTheScalarGather()
    {
        var rng = new Random(5);
        byte[] src = Bytes(rng, 400);
        foreach (int stride in new[] { 1, 2, 3 })
        {
            for (int count = 0; count <= 130 && ((count - 1) * stride) < src.Length; count++)
            {
                byte[] dst = Enumerable.Repeat((byte)0xAB, count + 8).ToArray();
                fixed (byte* ps = src, pd = dst)
                {
                    StridedBytes.Copy(ps + 3, stride, pd, count);
                }

                for (int i = 0; i < count; i++)
                {
                    Assert.True(dst[i] == src[3 + (i * stride)], $"stride {stride}, count {count}, byte {i}");
                }

                Assert.All(dst.Skip(count), b => Assert.Equal(0xAB, b));
            }
        }
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(8, 16)]
    [InlineData(16, 8)]
    [InlineData(8, 8)]
    public void ByteTransposeMovesRowsToColumns(int rows, int columns)
    {
        byte[] src = Bytes(new Random(9), 40 * 16), dst = Enumerable.Repeat((byte)0xCD, 16 * 50).ToArray();
        fixed (byte* ps = src, pd = dst)
        {
            StridedBytes.Transpose(ps + 3, 40, rows, columns, pd + 1, 50);
        }

        for (int c = 0; c < 16; c++)
        {
            for (int r = 0; r < 50; r++)
            {
                // Inside the block: the transposed byte; outside: untouched.
                byte expected = c < columns && r >= 1 && r <= rows ? src[3 + ((r - 1) * 40) + c] : (byte)0xCD;
                Assert.Equal(expected, dst[(c * 50) + r]);
            }
        }
    }

    [Theory]
    [InlineData(2, 49, 40)]   // 16 + 16 + 8 channels: vector blocks and a scalar tail
    [InlineData(1, 196, 1280)]
    [InlineData(3, 5, 7)]
    public void GlobalAveragePoolOfPixelMajorCodesMatchesThePlanarOne(int images, int pixels, int channels)
    {
        var rng = new Random(pixels + channels);
        byte[] planar = Enumerable.Range(0, images * pixels * channels).Select(_ => (byte)rng.Next(256)).ToArray();
        byte[] pixelMajor = new byte[planar.Length];
        for (int n = 0; n < images; n++)
        {
            ToPixelMajor(planar.AsSpan(n * pixels * channels, pixels * channels).ToArray(), channels, pixels).CopyTo(pixelMajor, n * pixels * channels);
        }

        var px = new QuantParams(0.04f, 17);
        var py = new QuantParams(0.03f, 120);
        byte[] expected = new byte[images * channels], actual = new byte[images * channels];
        fixed (byte* a = planar, b = pixelMajor, e = expected, y = actual)
        {
            QuantizedElementwise.GlobalAveragePool(a, e, images * channels, pixels, px, py);
            QuantizedElementwise.GlobalAveragePoolPixelMajor(b, y, images, pixels, channels, px, py);
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ElementwiseKernelsMatchTheirScalarDefinitions()
    {
        var rng = new Random(9);
        var pa = new QuantParams(0.05f, 100);
        var pb = new QuantParams(0.02f, 30);
        var py = new QuantParams(0.07f, 90);
        const int n = 103;
        byte[] a = Bytes(rng, n), b = Bytes(rng, n), y = new byte[n];
        float[] f = Enumerable.Range(0, n).Select(_ => (rng.NextSingle() * 20) - 10).ToArray(), back = new float[n];
        fixed (byte* qa = a, qb = b, qy = y)
        fixed (float* pf = f, pback = back)
        {
            QuantizedElementwise.Add(qa, pa, qb, pb, qy, py, n, 0, 255, Int8Path.Scalar);
            for (int i = 0; i < n; i++)
            {
                // The float graph's value; float rounding may move a tie by one step.
                Assert.Equal(py.Quantize(pa.Dequantize(a[i]) + pb.Dequantize(b[i])), y[i], (l, r) => Math.Abs(l - r) <= 1);
            }

            // Every vector width gives the scalar codes exactly (same float expression), a clamp included.
            foreach (Int8Path p in Enum.GetValues<Int8Path>().Where(Int8Paths.IsSupported))
            {
                byte[] again = new byte[n], clamped = new byte[n], reference = new byte[n];
                fixed (byte* qa2 = again, qc = clamped, qr = reference)
                {
                    QuantizedElementwise.Add(qa, pa, qb, pb, qa2, py, n, 0, 255, p);
                    QuantizedElementwise.Add(qa, pa, qb, pb, qc, py, n, 90, 200, p);
                    QuantizedElementwise.Add(qa, pa, qb, pb, qr, py, n, 90, 200, Int8Path.Scalar);
                }

                Assert.Equal(y, again);
                Assert.Equal(reference, clamped);
            }

            QuantizedElementwise.Quantize(pf, qy, n, py);
            Assert.Equal(f.Select(py.Quantize).ToArray(), y);
            QuantizedElementwise.Dequantize(qy, pback, n, py);
            Assert.Equal(y.Select(q => py.Dequantize(q)).ToArray(), back);

            // Max pools 3×3 pad 1: a small one (byte tails), a stride-2 one with 53-wide rows (vectors and an overlapping
            // tail), and a stride-1 one.
            foreach ((int planesCount, int h, int w, int stride) in new[] { (2, 7, 9, 2), (3, 40, 53, 2), (2, 20, 37, 1) })
            {
                int oh = ((h + 2 - 3) / stride) + 1, ow = ((w + 2 - 3) / stride) + 1;
                var pool = new Pool2dShape(planesCount, h, w, oh, ow, 3, 3, stride, stride, 1, 1, 1, 1, 1, 1);
                var pooled = new byte[planesCount * oh * ow];
                byte[] rowBuffer = new byte[QuantizedElementwise.MaxPoolRowBytes(pool)];
                byte[] planes = Bytes(rng, planesCount * h * w);
                fixed (byte* pp = pooled, px = planes, row = rowBuffer)
                {
                    QuantizedElementwise.MaxPool(px, pp, pool, row);
                }

                Assert.Equal(ReferenceMaxPool(planes, pool), pooled);
            }

            // Undilated pools run over whole planes (one vector run per tap row at stride 1, flat shifts across rows, the
            // columns whose windows reach past a row's end recomputed): GoogLeNet's 3×3 pad 1 on 14×14 and 7×7 planes
            // (vector runs and their overlapping tails), its 3×3 stride 2 and 2×2 stride 2 with ceil mode, a 5×5 pad 2,
            // a 2×2 padded on one side only, a 3×3 without padding, rows narrower than the window, one row, and pads
            // taller than the input.
            foreach ((int planesCount, int h, int w, int k, int stride, int top, int left, int oh, int ow) in new[]
            {
                (5, 14, 14, 3, 1, 1, 1, 14, 14), (3, 7, 7, 3, 1, 1, 1, 7, 7), (3, 28, 28, 3, 2, 0, 0, 14, 14), (4, 14, 14, 2, 2, 0, 0, 7, 7),
                (2, 13, 13, 2, 2, 0, 0, 7, 7), (2, 9, 13, 5, 1, 2, 2, 9, 13), (2, 6, 17, 2, 1, 0, 0, 5, 16), (2, 6, 17, 2, 1, 1, 1, 6, 17),
                (2, 8, 19, 3, 1, 0, 0, 6, 17), (2, 5, 2, 3, 1, 1, 1, 5, 2), (2, 1, 40, 3, 1, 1, 1, 1, 40), (2, 2, 9, 3, 1, 2, 1, 3, 9),
                (2, 9, 11, 3, 2, 1, 1, 5, 6),
            })
            {
                int bottom = Math.Max(0, ((oh - 1) * stride) + k - h - top), right = Math.Max(0, ((ow - 1) * stride) + k - w - left);
                var pool = new Pool2dShape(planesCount, h, w, oh, ow, k, k, stride, stride, 1, 1, top, left, bottom, right);
                var pooled = new byte[planesCount * oh * ow];
                byte[] scratch = new byte[QuantizedElementwise.MaxPoolRowBytes(pool)];
                byte[] planes = Bytes(rng, planesCount * h * w);
                fixed (byte* pp = pooled, px = planes, row = scratch)
                {
                    QuantizedElementwise.MaxPool(px, pp, pool, row);
                }

                Assert.True(ReferenceMaxPool(planes, pool).AsSpan().SequenceEqual(pooled), $"{k}×{k} stride {stride} pads {top}/{left} on {h}×{w}");

                // The same split over 2 threads (planes each with their own scratch), and pixel-major split by rows.
                var kernel = new Int8MaxPool(pool, 0);
                var shared = new byte[pooled.Length];
                byte[] threadScratch = new byte[kernel.ScratchBytes(2)];
                using var workers = new WorkerPool(2);
                fixed (byte* pp = shared, px = planes, ps = threadScratch)
                {
                    kernel.Run(px, pp, ps, workers);
                }

                Assert.Equal(pooled, shared);
                var byRows = new Int8MaxPool(pool, planesCount);
                byte[] pixels = ToPixelMajor(planes, planesCount, h * w), pooledPixels = new byte[pooled.Length];
                fixed (byte* qp = pooledPixels, qx = pixels)
                {
                    byRows.Run(qx, qp, null, workers);
                }

                Assert.Equal(ToPixelMajor(pooled, planesCount, oh * ow), pooledPixels);
            }

            // Dilated pools stay row by row: 3×3 dilation 2 pad 2, strides 1 and 2.
            foreach (int stride in new[] { 1, 2 })
            {
                int oh = ((11 + 4 - 5) / stride) + 1, ow = ((23 + 4 - 5) / stride) + 1;
                var pool = new Pool2dShape(3, 11, 23, oh, ow, 3, 3, stride, stride, 2, 2, 2, 2, 2, 2);
                var pooled = new byte[3 * oh * ow];
                byte[] scratch = new byte[QuantizedElementwise.MaxPoolRowBytes(pool)];
                byte[] planes = Bytes(rng, 3 * 11 * 23);
                fixed (byte* pp = pooled, px = planes, row = scratch)
                {
                    QuantizedElementwise.MaxPool(px, pp, pool, row);
                }

                Assert.Equal(ReferenceMaxPool(planes, pool), pooled);
            }

            // The pixel-major max pool gives the planar one's codes: 3×3 pad 1 strides 1 and 2, 2×2 stride 2 unpadded
            // and padded, channels 64 (two 32-wide vectors), 40 (32 + the last 16, overlapping), 24 (16 + the last 16:
            // ShuffleNetV2's stem pool), 16 and 5 (one code at a time), two images.
            foreach ((int channels, int h, int w, int k, int stride, int pad, int oh, int ow) in new[]
            {
                (64, 9, 11, 3, 2, 1, 5, 6), (40, 7, 6, 3, 1, 1, 7, 6), (5, 8, 8, 2, 2, 0, 4, 4), (16, 4, 4, 2, 2, 1, 3, 3),
                (24, 12, 12, 3, 2, 1, 6, 6),
            })
            {
                var pool = new Pool2dShape(2 * channels, h, w, oh, ow, k, k, stride, stride, 1, 1, pad, pad, Math.Max(0, ((oh - 1) * stride) + k - h - pad), Math.Max(0, ((ow - 1) * stride) + k - w - pad));
                byte[] planes = Bytes(rng, 2 * channels * h * w);
                byte[] planar = new byte[2 * channels * oh * ow];
                byte[] rowBuffer = new byte[QuantizedElementwise.MaxPoolRowBytes(pool)];
                byte[] pixels = new byte[planes.Length], pooledPixels = new byte[planar.Length];
                for (int image = 0; image < 2; image++)
                {
                    ToPixelMajor(planes.AsSpan(image * channels * h * w, channels * h * w).ToArray(), channels, h * w).CopyTo(pixels, image * channels * h * w);
                }

                fixed (byte* px = planes, pp = planar, row = rowBuffer, qx = pixels, qp = pooledPixels)
                {
                    QuantizedElementwise.MaxPool(px, pp, pool, row);
                    QuantizedElementwise.MaxPoolPixelMajor(qx, qp, pool, channels);
                }

                byte[] expected = new byte[planar.Length];
                for (int image = 0; image < 2; image++)
                {
                    ToPixelMajor(planar.AsSpan(image * channels * oh * ow, channels * oh * ow).ToArray(), channels, oh * ow).CopyTo(expected, image * channels * oh * ow);
                }

                Assert.Equal(expected, pooledPixels);
            }

            var gap = new byte[3];
            fixed (byte* pg = gap)
            {
                QuantizedElementwise.GlobalAveragePool(qa, pg, 3, 34, pa, py);
            }

            for (int c = 0; c < 3; c++)
            {
                float mean = a.Skip(c * 34).Take(34).Select(q => pa.Dequantize(q)).Average();
                Assert.Equal(py.Quantize(mean), gap[c], (l, r) => Math.Abs(l - r) <= 1);
            }
        }

        byte[] table = pa.Table(py, v => Math.Max(v, 0));
        byte[] codes = Bytes(rng, 203), mapped = new byte[203];
        fixed (byte* pc = codes, pm = mapped)
        {
            QuantizedElementwise.Lookup(pc, pm, codes.Length, table);
        }

        Assert.Equal(codes.Select(c => table[c]).ToArray(), mapped);
        Assert.Equal(py.Quantize(0), table[pa.ZeroPoint - 1]);
        Assert.Equal(py.Quantize(pa.Dequantize(200)), table[200]);
    }

    // Max of each window's codes inside the plane (0 where none: the smallest code).
    private static byte[] ReferenceMaxPool(byte[] planes, in Pool2dShape s)
    {
        var y = new byte[s.Planes * s.OutHeight * s.OutWidth];
        for (int i = 0; i < y.Length; i++)
        {
            int plane = i / (s.OutHeight * s.OutWidth), oy = i % (s.OutHeight * s.OutWidth) / s.OutWidth, ox = i % s.OutWidth;
            for (int ky = 0; ky < s.KernelHeight; ky++)
            {
                for (int kx = 0; kx < s.KernelWidth; kx++)
                {
                    int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight), ix = (ox * s.StrideWidth) - s.PadLeft + (kx * s.DilationWidth);
                    if (iy >= 0 && iy < s.InHeight && ix >= 0 && ix < s.InWidth)
                    {
                        y[i] = Math.Max(y[i], planes[(((plane * s.InHeight) + iy) * s.InWidth) + ix]);
                    }
                }
            }
        }

        return y;
    }

    private static byte[] Bytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}

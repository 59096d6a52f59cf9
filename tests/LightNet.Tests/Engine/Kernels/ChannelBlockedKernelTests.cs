using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// The kernels on channel-blocked tensors (NCHWc, <see cref="ConvLayout"/>): the 1×1 convolution, the depthwise and
/// dense convolutions converting between layouts, max pooling and global pooling, against the scalar reference on planar tensors, with
/// partial blocks (channels not a multiple of the lanes), pixel counts that leave a remainder after the 6-pixel tiles,
/// every group width, and the padding channels checked to stay zero.
/// </summary>
[Trait("Category", "SimdKernels")]
public sealed unsafe class ChannelBlockedKernelTests
{
    public static TheoryData<string> BlockedIsas()
    {
        var data = new TheoryData<string>();
        foreach (var isa in KernelReference.Isas().Where(i => ConvLayout.LanesFor(i) > 0))
        {
            data.Add(isa.ToString());
        }

        return data;
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 7)]
    [InlineData(3, 9)]
    [InlineData(1, 5)]
    [InlineData(2, 3)]
    public void FourLaneTilesTransposeEveryChannelAndPixel(int channels, int pixels)
    {
        // The 4-lane depthwise tiles' 4×4 transposes (SSE here, NEON on Arm64): a pixel's lanes past the channels repeat
        // the last channel on the way in; only the real channels come back out. Pixel counts below 4 and not a multiple
        // of 4 take the scalar copies or an overlapping last group.
        var rng = new Random(channels * 100 + pixels);
        float[] planes = OpTest.Random(rng, channels * pixels);
        int[] offsets = Enumerable.Range(0, pixels).Select(p => (p * 4) + (p / 3 * 4)).ToArray(); // gaps, as padding leaves
        var tile = new float[(offsets[^1] + 4) * 2];
        fixed (float* src = planes, t = tile)
        fixed (int* o = offsets)
        {
            DepthwiseTiles.ChannelsToTile(src, pixels, pixels, channels, 4, t, o);
        }

        for (int p = 0; p < pixels; p++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(planes[(Math.Min(j, channels - 1) * pixels) + p], tile[offsets[p] + j]);
            }
        }

        float[] packed = Enumerable.Range(0, pixels * 4).Select(i => (float)i).ToArray();
        var back = new float[channels * pixels + 1];
        back[^1] = -7f;
        fixed (float* src = packed, d = back)
        {
            DepthwiseTiles.TileToChannels(src, pixels, pixels, channels, 4, d);
        }

        for (int j = 0; j < channels; j++)
        {
            for (int p = 0; p < pixels; p++)
            {
                Assert.Equal(packed[(p * 4) + j], back[(j * pixels) + p]);
            }
        }

        Assert.Equal(-7f, back[^1]); // nothing written past the real channels
    }

    /// <summary>Planar [C][P] → blocked [ceil(C/v)][P][v], padding channels zero.</summary>
    // Each of the images [C][P] to its own blocked image, one after the other.
    private static float[] ToBlockedImages(float[] planar, int images, int channels, int pixels, int v) =>
        Enumerable.Range(0, images).SelectMany(n => ToBlocked(planar.AsSpan(n * channels * pixels, channels * pixels).ToArray(), channels, pixels, v)).ToArray();

    internal static float[] ToBlocked(float[] planar, int channels, int pixels, int v)
    {
        var b = new float[ConvLayout.BlockedElements(channels, pixels, v)];
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                b[((c / v) * pixels * v) + (p * v) + (c % v)] = planar[(c * pixels) + p];
            }
        }

        return b;
    }

    /// <summary>Blocked → planar; asserts that every padding channel is exactly zero.</summary>
    internal static float[] FromBlocked(float[] blocked, int channels, int pixels, int v, string what)
    {
        var planar = new float[channels * pixels];
        int padded = (channels + v - 1) / v * v;
        for (int c = 0; c < padded; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                float value = blocked[((c / v) * pixels * v) + (p * v) + (c % v)];
                if (c < channels)
                {
                    planar[(c * pixels) + p] = value;
                }
                else
                {
                    Assert.True(value == 0f, $"{what}: padding channel {c} at pixel {p} is {value}, not 0.");
                }
            }
        }

        return planar;
    }

    private static float[] Run(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, Isa isa, int threads, ConvLayout layout, Action<Conv2dKernel>? inspect = null,
        ConvAlgorithm algorithm = ConvAlgorithm.Auto)
    {
        int v = layout.Lanes, inPixels = s.InHeight * s.InWidth, outPixels = s.OutHeight * s.OutWidth;
        float[] xin = layout.InputBlocked ? ToBlocked(x, s.InChannels, inPixels, v) : x;
        int outLength = layout.OutputBlocked ? (int)ConvLayout.BlockedElements(s.OutChannels, outPixels, v) : s.OutChannels * outPixels;
        using var kernel = Conv2dKernel.Create(s, w, bias, act, residual != null, isa, threads, algorithm, layout);
        inspect?.Invoke(kernel);
        using var px = new OpBuffer(xin);
        using var py = new OpBuffer(outLength);

        // Garbage in the output's padding lanes must be overwritten with zeros.
        py.Span.Fill(float.NaN);
        if (residual != null)
        {
            (layout.OutputBlocked ? ToBlocked(residual, s.OutChannels, outPixels, v) : residual).CopyTo(py.Span);
        }

        using var scratch = new ScratchBuffer(kernel.ScratchBytes);
        using var pool = new WorkerPool(threads);
        kernel.Run(px.Pointer, py.Pointer, residual != null ? py.Pointer : null, scratch.Pointer, pool);
        float[] y = py.ToArray();
        return layout.OutputBlocked ? FromBlocked(y, s.OutChannels, outPixels, v, $"{isa} {s}") : y;
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void PointwiseOnBlockedTensorsMatchesReference(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        int v = ConvLayout.LanesFor(isa);
        var rng = new Random(17);

        // (Cin, H, W, Cout): partial blocks on both sides and a 49-pixel map (8 tiles + 1); whole blocks; a deep K
        // with five-block groups (4 + 1 on 16 lanes); few input channels and many output blocks over a wide map; seven
        // blocks on 8 lanes (3 + 2 + 2 on 16 registers).
        foreach (var (cin, h, w, cout) in new[] { (24, 7, 7, 37), (16, 5, 6, 16), (96, 3, 5, 72), (5, 13, 11, 130), (40, 2, 2, 8), (33, 14, 14, 24), (16, 9, 10, 56) })
        {
            var s = new Conv2dShape(cin, h, w, cout, h, w, 1, 1, 1, 1, 1, 1, 0, 0, 1);
            float[] x = OpTest.Random(rng, cin * h * w), wt = OpTest.Random(rng, cout * cin, 0.3f), bias = OpTest.Random(rng, cout);
            float[] residual = OpTest.Random(rng, cout * h * w);
            foreach (var (act, res, threads, planarInput) in new[]
            {
                (Activation.None, false, 1, false), (Activation.Clip(0f, 6f), true, 2, false), (new Activation(ActivationKind.HardSwish), false, 3, true), (new Activation(ActivationKind.Relu), true, 1, true),
            })
            {
                // A planar input is read in place (broadcast from [K][P]); the output is blocked either way.
                float[] y = Run(s, x, wt, bias, act, res ? residual : null, isa, threads, new ConvLayout(v, !planarInput, true),
                    k => Assert.Equal($"pointwise-{(planarInput ? "to-" : "")}nchw{v}c-{IsaSupport.Name(isa)}", k.Algorithm));
                KernelReference.Close(KernelReference.Conv(s, x, wt, bias, act, res ? residual : null), y, $"{isa} pointwise {s} {act.Kind} residual {res} threads {threads} planar input {planarInput}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void DepthwiseConvertsBetweenLayoutsAndMatchesReference(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        int v = ConvLayout.LanesFor(isa);
        var rng = new Random(23);

        // (C, H, W, k, stride, pad before, pad after, dilation): rows wider than the planar rule's blocked limit (56),
        // stride 2, 5×5, a dilated one (every-tap kernel), a partial block. Then rows wide enough for a blocked input to be
        // read in place, with edge groups at both ends (symmetric padding), only at the right (SAME-style 0/1 padding,
        // an odd width), none (no padding), an interior ending four or more columns before the row's end (pad 2 with a
        // 3×3 kernel), a 5×5 stride-2 kernel, and 3×3 stride-1 rows at the threshold and one column short of it.
        foreach (var (c, h, w, k, st, pb, pe, dil) in new[]
        {
            (20, 9, 60, 3, 1, 1, 1, 1), (17, 12, 64, 3, 2, 1, 1, 1), (9, 14, 14, 5, 1, 2, 2, 1), (24, 11, 13, 5, 2, 2, 2, 1), (5, 10, 12, 3, 1, 2, 2, 2),
            (16, 6, 75, 3, 1, 1, 1, 1), (12, 7, 57, 3, 2, 0, 1, 1), (9, 5, 58, 3, 2, 0, 0, 1), (8, 6, 61, 3, 2, 2, 2, 1), (11, 6, 120, 5, 2, 2, 2, 1),
            (19, 4, 72, 3, 1, 1, 1, 1), (8, 4, 71, 3, 1, 1, 1, 1),
        })
        {
            int oh = KernelReference.OutSize(h, k, st, dil, pb, pe), ow = KernelReference.OutSize(w, k, st, dil, pb, pe);
            var s = new Conv2dShape(c, h, w, c, oh, ow, k, k, st, st, dil, dil, pb, pb, c);
            float[] x = OpTest.Random(rng, c * h * w), wt = OpTest.Random(rng, c * k * k, 0.5f), bias = OpTest.Random(rng, c);
            foreach (var (inBlocked, outBlocked, threads) in new[] { (true, true, 2), (false, true, 1), (true, false, 2), (true, true, 3) })
            {
                var act = Activation.Clip(-0.5f, 1.5f);
                float[] y = Run(s, x, wt, bias, act, null, isa, threads, new ConvLayout(v, inBlocked, outBlocked),
                    kernel => Assert.Contains($"-nchw{v}c-", kernel.Algorithm, StringComparison.Ordinal));
                KernelReference.Close(KernelReference.Conv(s, x, wt, bias, act, null), y, $"{isa} depthwise {s} pads {pb}/{pe} in {inBlocked} out {outBlocked} threads {threads}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void DepthwiseReadInPlaceSharesRowBandsBetweenThreadsBitForBit(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        int v = ConvLayout.LanesFor(isa);
        var rng = new Random(29);

        // Rows wide enough to be read in place (3×3 stride 2 from 54 columns, 5×5 stride 2 from 110) and enough of them
        // for band-major items at 2 and 3 threads (BandMajorMinRows per thread); a partial channel block; then rows read
        // through the tile copy, which stay block-major.
        foreach (var (c, h, w, k, inPlace) in new[] { (20, 180, 60, 3, true), (11, 172, 112, 5, true), (20, 180, 40, 3, false) })
        {
            int pad = k / 2, oh = KernelReference.OutSize(h, k, 2, 1, pad, pad), ow = KernelReference.OutSize(w, k, 2, 1, pad, pad);
            var s = new Conv2dShape(c, h, w, c, oh, ow, k, k, 2, 2, 1, 1, pad, pad, c);
            float[] x = OpTest.Random(rng, c * h * w), wt = OpTest.Random(rng, c * k * k, 0.5f), bias = OpTest.Random(rng, c);
            var act = Activation.Clip(0f, 6f);
            float[] one = Run(s, x, wt, bias, act, null, isa, 1, new ConvLayout(v, true, true), kernel => Assert.False(kernel.Depthwise!.Tiles!.BandMajor));
            KernelReference.Close(KernelReference.Conv(s, x, wt, bias, act, null), one, $"{isa} depthwise {s} 1 thread");
            foreach (int threads in new[] { 2, 3 })
            {
                float[] y = Run(s, x, wt, bias, act, null, isa, threads, new ConvLayout(v, true, true), kernel =>
                {
                    var tiles = kernel.Depthwise!.Tiles!;
                    Assert.Equal(inPlace && oh >= DepthwiseTiles.BandMajorMinRows * threads, tiles.BandMajor);
                    if (tiles.BandMajor)
                    {
                        // Each thread's home share of the items is its own share of the bands, every block of them.
                        Assert.Equal(0, tiles.Bands % threads);
                        for (int item = 0; item < tiles.Items; item++)
                        {
                            Assert.Equal(item * threads / tiles.Items, tiles.ItemAt(item).Band * threads / tiles.Bands);
                        }
                    }
                });
                Assert.True(one.AsSpan().SequenceEqual(y), $"{isa} depthwise {s}: {threads} threads differ from 1");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void GlobalPoolingReadsBlockedTensors(string isaName)
    {
        int v = ConvLayout.LanesFor(Enum.Parse<Isa>(isaName));
        var rng = new Random(5);
        const int images = 2, channels = 21, pixels = 13;
        float[] x = OpTest.Random(rng, images * channels * pixels);
        float[] blocked = ToBlockedImages(x, images, channels, pixels, v);

        foreach (var kind in new[] { PoolKind.Average, PoolKind.Max })
        {
            var kernel = GlobalPoolKernel.Create(kind, images * channels, pixels, v, channels);
            using var px = new OpBuffer(blocked);
            using var py = new OpBuffer(images * channels);
            using var pool = new WorkerPool(2);
            kernel.Run(px.Pointer, py.Pointer, pool);
            var expected = Enumerable.Range(0, images * channels).Select(p =>
            {
                var plane = x.AsSpan(p * pixels, pixels).ToArray();
                return kind == PoolKind.Max ? plane.Max() : plane.Sum() / pixels;
            }).ToArray();
            KernelReference.Close(expected, py.ToArray(), $"{kind} blocked by {v}");
        }
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void DenseConvolutionsTakeEitherLayoutAndMatchReference(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        int v = ConvLayout.LanesFor(isa);
        var rng = new Random(29);

        // (Cin, H, W, Cout, k, stride, pad): rows of 20 (direct on 16 lanes, im2col on 8), a stem with 3 input channels
        // (planar taps, direct on 16 lanes only), a small map (im2col on both), a stride-2 one; Cout leaves partial blocks.
        // Without padding the direct kernel reads a blocked input where it lies: a 1×1 stride-2 downsample of an odd map
        // (its last row and column unread) and a 3×3 pad-0 one.
        foreach (var (cin, h, w, cout, k, st, pad) in new[]
        {
            (16, 20, 20, 40, 3, 1, 1), (3, 40, 38, 20, 3, 2, 1), (32, 9, 9, 24, 3, 1, 1), (16, 41, 40, 36, 3, 2, 1), (32, 15, 14, 40, 1, 2, 0), (16, 10, 12, 24, 3, 1, 0),
        })
        {
            int oh = KernelReference.OutSize(h, k, st, 1, pad, pad), ow = KernelReference.OutSize(w, k, st, 1, pad, pad);
            var s = new Conv2dShape(cin, h, w, cout, oh, ow, k, k, st, st, 1, 1, pad, pad, 1);
            // Where dense convolutions stay planar (AVX2 on 16 registers) the blocked im2col is forced: the kernels still take blocked tensors.
            var algorithm = ConvLayout.BlocksDenseConvolutions(isa) ? ConvAlgorithm.Auto : ConvAlgorithm.Im2ColBlocked;
            if (algorithm == ConvAlgorithm.Auto ? !Conv2dKernel.TakesBlocked(s, Activation.Relu, isa, inputBlocked: false) : !ConvIm2ColBlocked.Supports(s, Activation.Relu, v))
            {
                Assert.True(cin % v != 0 && isa == Isa.Avx2, $"{isa} {s} should run blocked");
                continue;
            }

            float[] x = OpTest.Random(rng, cin * h * w), wt = OpTest.Random(rng, cout * cin * k * k, 0.4f), bias = OpTest.Random(rng, cout);
            float[] residual = OpTest.Random(rng, cout * oh * ow);
            foreach (var (inBlocked, outBlocked, act, res, threads) in new[]
            {
                (true, true, Activation.Relu, true, 2), (false, true, Activation.Clip(0f, 6f), false, 1), (true, false, new Activation(ActivationKind.HardSwish), true, 3), (false, true, Activation.None, true, 2),
            })
            {
                if (inBlocked && algorithm == ConvAlgorithm.Auto && !Conv2dKernel.TakesBlocked(s, act, isa, inputBlocked: true))
                {
                    continue; // a stem's 3 channels are never blocked
                }

                float[] y = Run(s, x, wt, bias, act, res ? residual : null, isa, threads, new ConvLayout(v, inBlocked, outBlocked),
                    kernel => Assert.Contains($"-nchw{v}c-", kernel.Algorithm, StringComparison.Ordinal), algorithm);
                KernelReference.Close(KernelReference.Conv(s, x, wt, bias, act, res ? residual : null), y, $"{isa} dense {s} in {inBlocked} out {outBlocked} {act.Kind} residual {res}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void MaxPoolingOnBlockedTensorsMatchesThePlanarKernel(string isaName)
    {
        int v = ConvLayout.LanesFor(Enum.Parse<Isa>(isaName));
        var rng = new Random(31);

        // (images, C, H, W, k, stride, pad, ceil): SqueezeNet's 3×3 stride-2 ceil-mode pools on odd maps, ResNet's padded
        // one, a 2×2 one; 21 channels leave a partial block.
        foreach (var (images, c, h, w, k, st, pad, ceil) in new[] { (1, 21, 27, 27, 3, 2, 0, true), (2, 16, 13, 15, 3, 2, 1, false), (1, 40, 8, 9, 2, 2, 0, true), (1, 8, 5, 5, 3, 1, 1, false) })
        {
            int oh = PoolGeometry.OutputSize(h, k, st, 1, pad, pad, ceil), ow = PoolGeometry.OutputSize(w, k, st, 1, pad, pad, ceil);
            var planar = new Pool2dShape(images * c, h, w, oh, ow, k, k, st, st, 1, 1, pad, pad, pad, pad);
            Assert.True(BlockedMaxPoolKernel.Supports(planar));
            float[] x = OpTest.Random(rng, images * c * h * w);
            float[] expected;
            using (var px = new OpBuffer(x))
            using (var py = new OpBuffer(images * c * oh * ow))
            {
                Pool2dKernel.Create(planar, PoolKind.Max).Run(px.Pointer, py.Pointer, null);
                expected = py.ToArray();
            }

            int blocks = (c + v - 1) / v;
            var kernel = BlockedMaxPoolKernel.Create(planar with { Planes = images * blocks }, v);
            Assert.Equal($"max-pool-nchw{v}c", kernel.Algorithm);
            using var bx = new OpBuffer(ToBlockedImages(x, images, c, h * w, v));
            using var by = new OpBuffer(images * blocks * v * oh * ow);
            by.Span.Fill(float.NaN);
            using var pool = new WorkerPool(2);
            kernel.Run(bx.Pointer, by.Pointer, pool);
            float[] y = by.ToArray();
            int image = blocks * v * oh * ow;
            float[] actual = Enumerable.Range(0, images).SelectMany(n => FromBlocked(y.AsSpan(n * image, image).ToArray(), c, oh * ow, v, $"max pool {planar}")).ToArray();
            Assert.Equal(expected, actual);
        }

        // A window wholly in the padding has no blocked form (its padding channels would not stay zero).
        var empty = new Pool2dShape(1, 4, 4, 4, 4, 2, 2, 2, 2, 1, 1, 3, 3, 3, 3);
        Assert.False(BlockedMaxPoolKernel.Supports(empty));
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => BlockedMaxPoolKernel.Create(empty, v)).Code);
    }

    [Theory]
    [MemberData(nameof(BlockedIsas))]
    public void ChannelScaleMultipliesBlockedTensorsInPlace(string isaName)
    {
        int v = ConvLayout.LanesFor(Enum.Parse<Isa>(isaName));
        var rng = new Random(9);
        const int images = 2, channels = 19, pixels = 10;
        float[] x = OpTest.Random(rng, images * channels * pixels);
        foreach (int scaleImages in new[] { 1, images })
        {
            float[] s = OpTest.Random(rng, scaleImages * channels);
            float[] blocked = ToBlockedImages(x, images, channels, pixels, v);

            var kernel = BlockedChannelScaleKernel.Create(images, channels, pixels, v, scaleImages);
            using var px = new OpBuffer(blocked);
            using var ps = new OpBuffer(s);
            using var pool = new WorkerPool(2);
            kernel.Run(px.Pointer, ps.Pointer, px.Pointer, pool);
            float[] y = px.ToArray();
            int image = (int)ConvLayout.BlockedElements(channels, pixels, v);
            for (int n = 0; n < images; n++)
            {
                float[] planar = FromBlocked(y.AsSpan(n * image, image).ToArray(), channels, pixels, v, $"scale by {v}");
                for (int c = 0; c < channels; c++)
                {
                    for (int p = 0; p < pixels; p++)
                    {
                        int i = (((n * channels) + c) * pixels) + p;
                        Assert.Equal(x[i] * s[((scaleImages == 1 ? 0 : n) * channels) + c], planar[(c * pixels) + p]);
                    }
                }
            }
        }

        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => BlockedChannelScaleKernel.Create(2, 4, 4, v, 3)).Code);
    }

    [Fact]
    public void LayoutsNoKernelTakesAreRefused()
    {
        var pointwise = new Conv2dShape(8, 4, 4, 8, 4, 4, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        var dense3x3 = new Conv2dShape(8, 4, 4, 8, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        float[] w1 = new float[64], w3 = new float[288];
        // A pointwise convolution with one planar side, a grouped 3×3 one, lanes that are not the ISA's, a LeakyRelu.
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(pointwise, w1, [], Activation.None, false, Isa.Avx2, 1, ConvAlgorithm.Auto, new ConvLayout(8, true, false))).Code);
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(dense3x3, w3, [], Activation.None, false, Isa.Avx2, 1, ConvAlgorithm.Auto, new ConvLayout(8, true, true))).Code);
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(pointwise, w1, [], Activation.None, false, Isa.Avx512, 1, ConvAlgorithm.Auto, new ConvLayout(8, true, true))).Code);
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(pointwise, w1, [], new Activation(ActivationKind.LeakyRelu, 0.1f), false, Isa.Avx2, 1, ConvAlgorithm.Auto, new ConvLayout(8, true, true))).Code);
    }
}

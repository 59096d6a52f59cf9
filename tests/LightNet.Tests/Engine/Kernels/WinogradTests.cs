using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// Winograd F(4×4, 3×3) and F(2×2, 3×3) (<see cref="Winograd3x3"/>) against the scalar reference convolution on every ISA path.
/// Bound: |winograd − reference| ≤ <see cref="RelativeBound"/> · Σ|w·x| (+ |bias| + |residual|) for every output,
/// i.e. relative to the sum of the magnitudes of the products the output adds up (the scale fp32 rounding works on).
/// </summary>
[Trait("Category", "SimdKernels")]
public sealed class WinogradTests
{
    /// <summary>The asserted error bound relative to each output's Σ|products|; the largest error observed on these cases is 1.2e-6.</summary>
    private const double RelativeBound = 1e-5;

    // (Cin, H, W, Cout, pad top, left, bottom, right)
    private static readonly (int Cin, int H, int W, int Cout, int Pt, int Pl, int Pb, int Pr)[] Shapes =
    [
        (64, 14, 14, 64, 1, 1, 1, 1), // a ResNet-18 block at 14×14
        (19, 13, 11, 23, 1, 1, 1, 1), // odd sizes: partial tiles on both edges
        (16, 10, 9, 8, 0, 0, 0, 0), // no padding
        (7, 9, 17, 5, 1, 0, 0, 1), // asymmetric padding
        (3, 2, 3, 4, 1, 1, 1, 1), // a map smaller than one tile
        (5, 7, 45, 6, 1, 1, 1, 1), // wide rows: four tiles gathered by transposes
        (6, 30, 30, 5, 1, 1, 1, 1), // 64 tiles: a block per thread (smaller maps share one block between threads)
        (72, 7, 7, 80, 1, 1, 1, 1), // ResNet-18's layer 4 map: F(2×2)'s 16 tiles, one column panel
    ];

    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var isa in KernelReference.Isas())
        {
            for (int i = 0; i < Shapes.Length; i++)
            {
                data.Add(isa.ToString(), i, 4);
                data.Add(isa.ToString(), i, 2);
            }
        }

        return data;
    }

    private static Conv2dShape ShapeOf(int index)
    {
        var c = Shapes[index];
        int oh = c.H + c.Pt + c.Pb - 2, ow = c.W + c.Pl + c.Pr - 2;
        return new Conv2dShape(c.Cin, c.H, c.W, c.Cout, oh, ow, 3, 3, 1, 1, 1, 1, c.Pt, c.Pl, 1);
    }

    private static float[] Run(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, Isa isa, int threads, bool inPlace = false, int tile = 4) =>
        ConvKernelTests.RunConv(s, x, w, bias, act, residual, isa, threads, inPlace,
            k => Assert.Equal((tile == 4 ? "winograd-3x3-" : "winograd-2x2-3x3-") + IsaSupport.Name(isa), k.Algorithm),
            tile == 4 ? ConvAlgorithm.Winograd : ConvAlgorithm.Winograd2x2);

    // Σ|w·x| + |bias| + |residual| per output: the reference convolution of the magnitudes.
    internal static float[] Scale(in Conv2dShape s, float[] x, float[] w, float[] bias, float[]? residual) =>
        KernelReference.Conv(s, Abs(x), Abs(w), Abs(bias), Activation.None, residual == null ? null : Abs(residual));

    private static float[] Abs(float[] a) => a.Select(MathF.Abs).ToArray();

    internal static double WorstRelativeError(float[] expected, float[] actual, float[] scale)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / Math.Max(scale[i], 1e-30));
        }

        return worst;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceWithinBound(string isaName, int index, int tile)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var s = ShapeOf(index);
        var rng = new Random(41 + index);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth, 2f);
        float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * 9, 0.5f);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);

        var plain = Run(s, x, w, bias, Activation.None, null, isa, 1, tile: tile);
        double e1 = WorstRelativeError(KernelReference.Conv(s, x, w, bias, Activation.None, null), plain, Scale(s, x, w, bias, null));
        Assert.True(e1 <= RelativeBound, $"{isa} {s}: relative error {e1:E2} > {RelativeBound:E0}");

        // Residual + ReLU fused, the residual being the output buffer itself, on 3 threads.
        var fused = Run(s, x, w, bias, Activation.Relu, residual, isa, 3, inPlace: true, tile: tile);
        double e2 = WorstRelativeError(KernelReference.Conv(s, x, w, bias, Activation.Relu, residual), fused, Scale(s, x, w, bias, residual));
        Assert.True(e2 <= RelativeBound, $"{isa} {s} residual+relu: relative error {e2:E2} > {RelativeBound:E0}");

        // An activation without a register form (applied by its own pass).
        var act = new Activation(ActivationKind.LeakyRelu, 0.1f);
        var leaky = Run(s, x, w, bias, act, residual, isa, 2, tile: tile);
        double e3 = WorstRelativeError(KernelReference.Conv(s, x, w, bias, act, residual), leaky, Scale(s, x, w, bias, residual));
        Assert.True(e3 <= RelativeBound, $"{isa} {s} residual+leaky: relative error {e3:E2} > {RelativeBound:E0}");
    }

    [Fact]
    public void ThreadsShareOutputChannelsWhereBlocksWouldNotShareTheWorkEvenly()
    {
        // 49 tiles (27×27 by F(4×4), 14×14 by F(2×2)) are a block of 32 and one of 17 on 2 threads: the threads split
        // the output channels instead (whole row panels), every thread transforming all tiles. Same bits as one thread.
        foreach (var (s, tile) in new[]
        {
            (new Conv2dShape(24, 27, 27, 96, 27, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1), 4),
            (new Conv2dShape(40, 14, 14, 100, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2),
        })
        {
            var rng = new Random(9);
            float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
            float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * 9, 0.5f);
            float[] bias = OpTest.Random(rng, s.OutChannels);
            float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);
            var isa = IsaSupport.Best;
            var algorithm = tile == 4 ? ConvAlgorithm.Winograd : ConvAlgorithm.Winograd2x2;
            var one = ConvKernelTests.RunConv(s, x, w, bias, Activation.Relu, residual, isa, 1, inspect: k => Assert.False(k.Winograd!.SplitsOutputChannels), algorithm: algorithm);
            var two = ConvKernelTests.RunConv(s, x, w, bias, Activation.Relu, residual, isa, 2, residualInOutput: true, inspect: k => Assert.True(k.Winograd!.SplitsOutputChannels, $"{s}"), algorithm: algorithm);
            Assert.Equal(one, two);
            double e = WorstRelativeError(KernelReference.Conv(s, x, w, bias, Activation.Relu, residual), two, Scale(s, x, w, bias, residual));
            Assert.True(e <= RelativeBound, $"{s} split by output channels: relative error {e:E2} > {RelativeBound:E0}");
        }
    }

    [Fact]
    public void AgreesWithIm2ColAndEveryThreadCountGivesTheSameBits()
    {
        foreach (var (index, tile) in new[] { (1, 4), (6, 4), (1, 2), (6, 2), (7, 2) })
        {
            var s = ShapeOf(index);
            var rng = new Random(5);
            float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
            float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * 9, 0.5f);
            float[] bias = OpTest.Random(rng, s.OutChannels);
            var isa = IsaSupport.Best;
            var one = Run(s, x, w, bias, Activation.Relu, null, isa, 1, tile: tile);
            Assert.Equal(one, Run(s, x, w, bias, Activation.Relu, null, isa, 2, tile: tile));
            Assert.Equal(one, Run(s, x, w, bias, Activation.Relu, null, isa, 3, tile: tile));
            Assert.Equal(one, Run(s, x, w, bias, Activation.Relu, null, isa, 3, tile: tile));
            var im2col = ConvKernelTests.RunConv(s, x, w, bias, Activation.Relu, null, isa, 1, algorithm: ConvAlgorithm.Im2Col);
            double e = WorstRelativeError(im2col, one, Scale(s, x, w, bias, null));
            Assert.True(e <= RelativeBound, $"{s} against im2col: {e:E2}");
        }
    }

    [Fact]
    public void SelectionPicksWinogradOnlyWhereItMeasuresFaster()
    {
        var r18 = new Conv2dShape(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(Conv2dKernel.PrefersWinograd(r18, Isa.Avx512));
        // 28×28 and 14×14: the direct blocked kernel on AVX-512 (Winograd 1.4× its time at 14×14), Winograd on AVX2 and Vector128.
        var layer2 = r18 with { InChannels = 128, OutChannels = 128, InHeight = 28, InWidth = 28, OutHeight = 28, OutWidth = 28 };
        Assert.False(Conv2dKernel.PrefersWinograd(layer2, Isa.Avx512));
        Assert.True(Conv2dKernel.PrefersDirectBlocked(layer2, Activation.Relu, Isa.Avx512));
        Assert.True(Conv2dKernel.PrefersWinograd(layer2, Isa.Avx2));
        var layer3 = r18 with { InChannels = 256, OutChannels = 256, InHeight = 14, InWidth = 14, OutHeight = 14, OutWidth = 14 };
        Assert.False(Conv2dKernel.PrefersWinograd(layer3, Isa.Avx512));
        Assert.True(Conv2dKernel.PrefersDirectBlocked(layer3, Activation.Relu, Isa.Avx512));
        Assert.True(Conv2dKernel.PrefersWinograd(layer3, Isa.Avx2));
        Assert.True(Conv2dKernel.PrefersWinograd(layer3, Isa.Vector128));
        var layer4 = r18 with { InChannels = 512, OutChannels = 512, InHeight = 7, InWidth = 7, OutHeight = 7, OutWidth = 7 };
        Assert.False(Conv2dKernel.PrefersWinograd(layer4, Isa.Avx512));

        // 7×7 to 9×9 maps on AVX2: F(2×2) (16 tiles at 7×7, where F(4×4) has 4), with 64 channels or more either side.
        Assert.Equal(ConvLayout.BlocksDenseConvolutions(Isa.Avx2) ? 0 : 2, Conv2dKernel.PreferredWinogradTile(layer4, Isa.Avx2)); // 32 registers: blocked im2col
        Assert.Equal(0, Conv2dKernel.PreferredWinogradTile(layer4, Isa.Vector128));
        Assert.Equal(0, Conv2dKernel.PreferredWinogradTile(layer4 with { OutChannels = 32 }, Isa.Avx2));
        Assert.Equal(0, Conv2dKernel.PreferredWinogradTile(layer4 with { InHeight = 6, InWidth = 6, OutHeight = 6, OutWidth = 6 }, Isa.Avx2));
        Assert.Equal(ConvLayout.BlocksDenseConvolutions(Isa.Avx2) ? 0 : 2, Conv2dKernel.PreferredWinogradTile(layer4 with { InHeight = 9, InWidth = 9, OutHeight = 9, OutWidth = 9 }, Isa.Avx2));
        Assert.Equal(0, Conv2dKernel.PreferredWinogradTile(layer4 with { InHeight = 10, InWidth = 10, OutHeight = 10, OutWidth = 10 }, Isa.Avx2));
        Assert.Equal(4, Conv2dKernel.PreferredWinogradTile(layer3, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersWinograd(r18 with { StrideHeight = 2, StrideWidth = 2, OutHeight = 28, OutWidth = 28 }, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersWinograd(r18 with { DilationHeight = 2, DilationWidth = 2, PadTop = 2, PadLeft = 2 }, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersWinograd(r18 with { Groups = 2 }, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersWinograd(r18 with { InChannels = 3 }, Isa.Avx512));

        // SqueezeNet's 13×13 expand layers: Winograd on AVX2 (0.65–0.86 of im2col's time), im2col on AVX-512 (0.81–1.29).
        var squeezeExpand = r18 with { InHeight = 13, InWidth = 13, OutHeight = 13, OutWidth = 13, OutChannels = 256 };
        Assert.True(Conv2dKernel.PrefersWinograd(squeezeExpand, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersWinograd(squeezeExpand, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersWinograd(squeezeExpand with { InHeight = 12, InWidth = 12, OutHeight = 12, OutWidth = 12 }, Isa.Avx2));

        // SqueezeNet's 27×27 32→128 layer: Winograd on AVX2, the direct kernels on AVX-512 (Winograd 1.3–1.5× their time on Zen 5).
        var squeeze27 = r18 with { InChannels = 32, OutChannels = 128, InHeight = 27, InWidth = 27, OutHeight = 27, OutWidth = 27 };
        Assert.True(Conv2dKernel.PrefersWinograd(squeeze27, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersWinograd(squeeze27, Isa.Avx512));

        // The profile label names the algorithm the rule chose.
        var s = ShapeOf(0) with { InHeight = 56, InWidth = 56, OutHeight = 56, OutWidth = 56 };
        var rng = new Random(3);
        ConvKernelTests.RunConv(s, OpTest.Random(rng, s.InChannels * 56 * 56), OpTest.Random(rng, s.OutChannels * s.InChannels * 9), new float[s.OutChannels], Activation.Relu, null, IsaSupport.Best, 1,
            inspect: k => Assert.StartsWith("winograd-3x3-", k.Algorithm, StringComparison.Ordinal));
        if (IsaSupport.IsSupported(Isa.Avx2) && !ConvLayout.BlocksDenseConvolutions(Isa.Avx2))
        {
            var small = ShapeOf(7);
            ConvKernelTests.RunConv(small, OpTest.Random(rng, small.InChannels * 49), OpTest.Random(rng, small.OutChannels * small.InChannels * 9), new float[small.OutChannels], Activation.Relu, null, Isa.Avx2, 1,
                inspect: k => Assert.Equal("winograd-2x2-3x3-avx2", k.Algorithm));
        }
    }

    [Fact]
    public void ForcingWinogradOnAnUnsupportedShapeThrows()
    {
        var s = new Conv2dShape(8, 10, 10, 8, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        foreach (var algorithm in new[] { ConvAlgorithm.Winograd, ConvAlgorithm.Winograd2x2 })
        {
            var ex = Assert.Throws<LightNetException>(() => Conv2dKernel.Create(s, new float[8 * 8 * 9], [], Activation.None, false, Isa.Scalar, 1, algorithm));
            Assert.Equal(ErrorCode.InvalidShape, ex.Code);
            Assert.Contains("Winograd", ex.Message, StringComparison.Ordinal);
        }
    }
}

using System.Runtime.Intrinsics.X86;
using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// The direct stem kernel (<see cref="ConvStemDirect"/>: phase-split planes read in place by the 6×16 micro-kernel)
/// against the scalar reference: strides 1 and 2, 3×3 and 7×7, dilation, asymmetric padding, partial 6-row panels,
/// bias + residual (aliasing the output) + activation, and every thread count giving the same bits.
/// </summary>
public class ConvStemDirectTests
{
    // (Cin, H, W, Cout, kh, kw, sh, sw, dilation, pad top, left, bottom, right); every output row a multiple of 16 wide.
    private static readonly (int Cin, int H, int W, int Cout, int Kh, int Kw, int Sh, int Sw, int D, int Pt, int Pl, int Pb, int Pr)[] Shapes =
    [
        (3, 64, 64, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1), // MobileNetV2's stem at 64²: 32 rows = 5 panels of 6 + 2
        (3, 40, 32, 13, 7, 7, 2, 2, 1, 3, 3, 3, 3), // ResNet-18's 7×7 stem at 32 wide, 13 output channels
        (4, 18, 64, 64, 7, 7, 2, 2, 1, 3, 3, 3, 3), // 4 channels, 64 out (10 panels of 6 + 4), 32-wide rows
        (2, 9, 16, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2), // stride 1, dilation 2
        (1, 11, 32, 6, 3, 3, 1, 2, 1, 0, 1, 2, 0), // strides (1, 2), asymmetric padding, one channel, one whole panel
        (3, 27, 47, 64, 3, 3, 2, 2, 1, 0, 0, 0, 0), // SqueezeNet's stem at 47 wide: 23-wide rows, the last tile overlapping
        (3, 35, 67, 10, 11, 11, 4, 4, 1, 2, 2, 2, 2), // AlexNet's 11×11 stride-4 stem at 67 wide: 16-wide rows
        (2, 20, 38, 9, 5, 5, 2, 2, 1, 2, 2, 2, 2), // 19-wide rows: one whole tile and one shifted by 13
    ];

    private static Conv2dShape ShapeOf(int i)
    {
        var c = Shapes[i];
        int oh = KernelReference.OutSize(c.H, c.Kh, c.Sh, c.D, c.Pt, c.Pb);
        int ow = KernelReference.OutSize(c.W, c.Kw, c.Sw, c.D, c.Pl, c.Pr);
        return new Conv2dShape(c.Cin, c.H, c.W, c.Cout, oh, ow, c.Kh, c.Kw, c.Sh, c.Sw, c.D, c.D, c.Pt, c.Pl, 1);
    }

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Shapes.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReferenceOnEveryThreadCount(int index)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return; // the kernel is the AVX2 level's; Create refuses it elsewhere (below)
        }

        var s = ShapeOf(index);
        Assert.True(s.OutWidth >= ConvStemDirect.Tile);
        bool wholeTiles = s.OutWidth % ConvStemDirect.Tile == 0; // rows of whole tiles take a residual too
        var rng = new Random(100 + index);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
        float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * s.KernelHeight * s.KernelWidth, 0.5f);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);
        foreach (var act in new[] { Activation.Relu, new Activation(ActivationKind.Clip, 0f, 6f), new Activation(ActivationKind.HardSwish), Activation.None })
        {
            string label = string.Empty;
            var one = ConvKernelTests.RunConv(s, x, w, bias, act, null, Isa.Avx2, 1, inspect: k => label = k.Algorithm, algorithm: ConvAlgorithm.StemDirect);
            Assert.Equal("direct-stem-avx2", label);
            KernelReference.Close(KernelReference.Conv(s, x, w, bias, act, null), one, $"stem {s} {act.Kind}");
            Assert.Equal(one, ConvKernelTests.RunConv(s, x, w, bias, act, null, Isa.Avx2, 2, algorithm: ConvAlgorithm.StemDirect));
            Assert.Equal(one, ConvKernelTests.RunConv(s, x, w, bias, act, null, Isa.Avx2, 3, algorithm: ConvAlgorithm.StemDirect));

            // The residual in the output buffer itself (read before each tile is stored), on 2 threads.
            if (!wholeTiles)
            {
                continue;
            }

            var fused = ConvKernelTests.RunConv(s, x, w, bias, act, residual, Isa.Avx2, 2, residualInOutput: true, algorithm: ConvAlgorithm.StemDirect);
            KernelReference.Close(KernelReference.Conv(s, x, w, bias, act, residual), fused, $"stem {s} {act.Kind} + residual");
        }
    }

    [Fact]
    public void AutoTakesItOnPlanarAvx2PlansAndRefusesWhatItDoesNotSupport()
    {
        var stem = new Conv2dShape(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        float[] w = new float[32 * 27];
        float[] bias = new float[32];
        if (ConvStemDirect.Prefers(stem, Activation.Relu, false, Isa.Avx2))
        {
            using var auto = Conv2dKernel.Create(stem, w, bias, Activation.Relu, false, Isa.Avx2, 1);
            Assert.Equal("direct-stem-avx2", auto.Algorithm);
        }

        // Other levels keep their kernels.
        using (var scalar = Conv2dKernel.Create(stem, w, bias, Activation.Relu, false, Isa.Scalar, 1))
        {
            Assert.NotEqual("direct-stem-avx2", scalar.Algorithm);
        }

        // Rows narrower than a tile, rows that are not whole tiles with a residual (SqueezeNet's 111-wide stem takes none),
        // too many channels, an activation without a register form.
        var narrow = new Conv2dShape(3, 24, 24, 8, 12, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        Assert.False(ConvStemDirect.Supports(narrow, Activation.Relu, false));
        var odd = new Conv2dShape(3, 224, 224, 64, 111, 111, 3, 3, 2, 2, 1, 1, 0, 0, 1);
        Assert.True(ConvStemDirect.Supports(odd, Activation.Relu, false) || !Avx2.IsSupported);
        Assert.False(ConvStemDirect.Supports(odd, Activation.Relu, true));
        var deep = new Conv2dShape(8, 32, 32, 8, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        Assert.False(ConvStemDirect.Supports(deep, Activation.Relu, false));
        Assert.False(ConvStemDirect.Supports(stem, new Activation(ActivationKind.LeakyRelu, 0.1f), false));
        var ex = Assert.Throws<LightNetException>(() => Conv2dKernel.Create(narrow, new float[8 * 27], new float[8], Activation.Relu, false, Isa.Avx2, 1, ConvAlgorithm.StemDirect));
        Assert.Equal(ErrorCode.UnsupportedOperator, ex.Code);
        ex = Assert.Throws<LightNetException>(() => Conv2dKernel.Create(odd, new float[64 * 27], new float[64], Activation.Relu, true, Isa.Avx2, 1, ConvAlgorithm.StemDirect));
        Assert.Equal(ErrorCode.UnsupportedOperator, ex.Code);
    }
}

using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// The channel-blocked convolutions (<see cref="ConvIm2ColBlocked"/>: input to channel blocks, blocked im2col, the
/// blocked 1×1 kernel with its K in chunks, back to planar with residual and activation; and the direct form, reading
/// the taps from a padded blocked input) against the scalar reference on every ISA with channel blocks, and the rules
/// that pick them.
/// </summary>
[Trait("Category", "SimdKernels")]
public sealed class Im2ColBlockedTests
{
    /// <summary>Error bound relative to each output's Σ|products| (+ |bias| + |residual|): only the order of the sums differs.</summary>
    private const double RelativeBound = 1e-5;

    // (Cin, H, W, Cout, OH, OW, kernel, stride, pad, dilation): channels whole blocks of 16 (so of 8 too).
    private static readonly (int Cin, int H, int W, int Cout, int OH, int OW, int K, int S, int P, int D)[] Shapes =
    [
        (32, 7, 7, 40, 7, 7, 3, 1, 1, 1), // ResNet-18 layer 4 in small: Cout not whole blocks, 3 K chunks
        (16, 14, 14, 24, 7, 7, 3, 2, 1, 1), // stride 2 into 7×7
        (48, 13, 13, 20, 13, 13, 3, 1, 1, 1), // SqueezeNet's 13×13 expand layer
        (16, 9, 11, 8, 5, 6, 1, 2, 0, 1), // a 1×1 stride-2 downsample on an odd map
        (16, 12, 12, 16, 12, 12, 3, 1, 2, 2), // dilation 2
        (256, 5, 5, 20, 5, 5, 3, 1, 1, 1), // K = 2304: 18 chunks, partial sums carried through the output
        (32, 3, 10, 33, 1, 4, 3, 2, 0, 1), // one output row, no padding
        (16, 30, 29, 24, 30, 29, 3, 1, 1, 1), // rows of 29: four tiles of 6 and one of 5
        (16, 8, 8, 16, 4, 4, 3, 2, 0, 1), // SAME_UPPER-like: the last window runs one row and column past the input
        (32, 23, 20, 48, 12, 10, 3, 2, 1, 1), // stride 2 on an odd map, three blocks in a group
        (3, 33, 35, 24, 16, 17, 3, 2, 0, 1), // a stem: 3 channels, planar taps (direct only)
        (20, 11, 18, 16, 11, 18, 3, 1, 1, 1), // 20 channels: planar taps (direct only)
    ];

    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var isa in KernelReference.Isas().Where(i => ConvLayout.LanesFor(i) > 0))
        {
            for (int i = 0; i < Shapes.Length; i++)
            {
                if (Shapes[i].Cin % ConvLayout.LanesFor(isa) == 0)
                {
                    data.Add(isa.ToString(), i, nameof(ConvAlgorithm.Im2ColBlocked));
                }

                data.Add(isa.ToString(), i, nameof(ConvAlgorithm.DirectBlocked));
            }
        }

        return data;
    }

    private static Conv2dShape ShapeOf(int index)
    {
        var c = Shapes[index];
        return new Conv2dShape(c.Cin, c.H, c.W, c.Cout, c.OH, c.OW, c.K, c.K, c.S, c.S, c.D, c.D, c.P, c.P, 1);
    }

    private static float[] Run(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, Isa isa, int threads, bool inPlace = false,
        ConvAlgorithm algorithm = ConvAlgorithm.Im2ColBlocked)
    {
        string form = algorithm != ConvAlgorithm.DirectBlocked ? "im2col" : s.InChannels % ConvLayout.LanesFor(isa) == 0 ? "direct" : "direct-planar";
        return ConvKernelTests.RunConv(s, x, w, bias, act, residual, isa, threads, inPlace,
            k => Assert.Equal($"{form}-nchw{ConvLayout.LanesFor(isa)}c-{IsaSupport.Name(isa)}", k.Algorithm), algorithm);
    }

    // Against the reference, relative to Σ|w·x| (+ |bias| + |residual|) per output (WinogradTests' measure).
    private static double WorstRelativeError(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, float[] actual) =>
        WinogradTests.WorstRelativeError(KernelReference.Conv(s, x, w, bias, act, residual), actual, WinogradTests.Scale(s, x, w, bias, residual));

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceWithinBound(string isaName, int index, string algorithmName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var algorithm = Enum.Parse<ConvAlgorithm>(algorithmName);
        var s = ShapeOf(index);
        var rng = new Random(71 + index);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth, 2f);
        float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * s.KernelHeight * s.KernelWidth, 0.5f);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);

        double e1 = WorstRelativeError(s, x, w, bias, Activation.None, null, Run(s, x, w, bias, Activation.None, null, isa, 1, algorithm: algorithm));
        Assert.True(e1 <= RelativeBound, $"{isa} {algorithm} {s}: relative error {e1:E2}");

        // Residual + ReLU, the residual being the output buffer itself, on 3 threads.
        double e2 = WorstRelativeError(s, x, w, bias, Activation.Relu, residual, Run(s, x, w, bias, Activation.Relu, residual, isa, 3, inPlace: true, algorithm));
        Assert.True(e2 <= RelativeBound, $"{isa} {algorithm} {s} residual in place + relu: relative error {e2:E2}");

        // A separate residual and ReLU6 on 2 threads; hard swish alone (applied in the registers, no residual).
        double e3 = WorstRelativeError(s, x, w, bias, Activation.Clip(0f, 6f), residual, Run(s, x, w, bias, Activation.Clip(0f, 6f), residual, isa, 2, algorithm: algorithm));
        Assert.True(e3 <= RelativeBound, $"{isa} {algorithm} {s} residual + relu6: relative error {e3:E2}");
        var hardSwish = new Activation(ActivationKind.HardSwish);
        double e4 = WorstRelativeError(s, x, w, bias, hardSwish, null, Run(s, x, w, bias, hardSwish, null, isa, 2, algorithm: algorithm));
        Assert.True(e4 <= RelativeBound, $"{isa} {algorithm} {s} hard swish: relative error {e4:E2}");
    }

    [Fact]
    public void EveryThreadCountGivesTheSameBits()
    {
        var isa = IsaSupport.Best;
        if (ConvLayout.LanesFor(isa) == 0)
        {
            return; // No channel blocks on this CPU (the ISA theory above covers the emulated levels).
        }

        foreach (var (index, algorithm) in new[] { (0, ConvAlgorithm.Im2ColBlocked), (7, ConvAlgorithm.DirectBlocked) })
        {
            var s = ShapeOf(index);
            var rng = new Random(9);
            float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
            float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * 9, 0.5f);
            float[] bias = OpTest.Random(rng, s.OutChannels);
            var one = Run(s, x, w, bias, Activation.Relu, null, isa, 1, algorithm: algorithm);
            Assert.Equal(one, Run(s, x, w, bias, Activation.Relu, null, isa, 2, algorithm: algorithm));
            Assert.Equal(one, Run(s, x, w, bias, Activation.Relu, null, isa, 3, algorithm: algorithm));
        }
    }

    [Fact]
    public void SelectionTakesSmallMapsWithWholeChannelBlocksAndLeavesTheRest()
    {
        // AVX2 takes the blocked im2col where dense convolutions run blocked (32 vector registers), else none at all.
        bool avx2Blocked = ConvLayout.BlocksDenseConvolutions(Isa.Avx2);
        var layer4 = new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.Equal(avx2Blocked, Conv2dKernel.PrefersIm2ColBlocked(layer4, Activation.Relu, Isa.Avx2));
        Assert.Equal(avx2Blocked, Conv2dKernel.PrefersIm2ColBlocked(layer4 with { InChannels = 256, InHeight = 14, InWidth = 14, StrideHeight = 2, StrideWidth = 2 }, Activation.None, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4, Activation.Relu, Isa.Vector128));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4, Activation.Relu, Isa.Scalar));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4 with { InChannels = 4 }, Activation.Relu, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4 with { Groups = 2 }, Activation.Relu, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4, new Activation(ActivationKind.LeakyRelu, 0.1f), Isa.Avx2));

        // On AVX2 Winograd keeps the 13×13 and larger stride-1 3×3 layers; maps above 28×28 stay with the planar GEMM.
        var layer3 = layer4 with { InChannels = 256, OutChannels = 256, InHeight = 14, InWidth = 14, OutHeight = 14, OutWidth = 14 };
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer3, Activation.Relu, Isa.Avx2));
        Assert.Equal(avx2Blocked, Conv2dKernel.PrefersIm2ColBlocked(layer3 with { DilationHeight = 2, DilationWidth = 2, PadTop = 2, PadLeft = 2 }, Activation.Relu, Isa.Avx2));
        var pointwise = layer4 with { KernelHeight = 1, KernelWidth = 1, PadTop = 0, PadLeft = 0 };
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(pointwise, Activation.Relu, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(pointwise, Activation.Relu, Isa.Avx512));
        var large = new Conv2dShape(64, 29, 29, 64, 29, 29, 3, 3, 2, 2, 1, 1, 1, 1, 1) with { InHeight = 57, InWidth = 57 };
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(large, Activation.Relu, Isa.Avx2));
        Assert.Equal(avx2Blocked, Conv2dKernel.PrefersIm2ColBlocked(large with { OutHeight = 28, OutWidth = 28, InHeight = 56, InWidth = 56 }, Activation.Relu, Isa.Avx2));

        // On AVX-512 every map goes to the direct kernel (its tiles run on across rows), on AVX2 to im2col up to 28×28.
        Assert.True(Conv2dKernel.PrefersDirectBlocked(large, Activation.Relu, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(large, Activation.Relu, Isa.Avx512));
        var squeezeNet55 = new Conv2dShape(16, 55, 55, 64, 55, 55, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(Conv2dKernel.PrefersDirectBlocked(squeezeNet55, Activation.Relu, Isa.Avx512));
        Assert.True(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 32, OutChannels = 128, InHeight = 27, InWidth = 27, OutHeight = 27, OutWidth = 27 }, Activation.Relu, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55, Activation.Relu, Isa.Avx2));
        Assert.True(Conv2dKernel.PrefersDirectBlocked(layer4, Activation.Relu, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersIm2ColBlocked(layer4, Activation.Relu, Isa.Avx512));
        Assert.Equal(avx2Blocked, Conv2dKernel.PrefersIm2ColBlocked(layer4, Activation.Relu, Isa.Avx2));
        Assert.True(Conv2dKernel.PrefersDirectBlocked(layer4, Activation.Relu, Isa.Vector128)); // 4 lanes: every width
        Assert.True(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 3 }, Activation.Relu, Isa.Vector128));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 64 }, Activation.Relu, Isa.Vector128)); // Winograd's
        Assert.False(Conv2dKernel.PrefersDirectBlocked(layer4, Activation.Relu, Isa.Scalar));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 64, InHeight = 56, InWidth = 56, OutHeight = 56, OutWidth = 56 }, Activation.Relu, Isa.Avx512)); // Winograd's
        Assert.True(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 64 }, Activation.Relu, Isa.Avx512)); // below 56×56
        Assert.True(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 3 }, Activation.Relu, Isa.Avx512)); // planar taps
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 3 }, Activation.Relu, Isa.Avx2));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { InChannels = 32, OutChannels = 32, Groups = 2 }, Activation.Relu, Isa.Avx512));
        Assert.False(Conv2dKernel.PrefersDirectBlocked(squeezeNet55 with { KernelHeight = 1, KernelWidth = 1, PadTop = 0, PadLeft = 0 }, Activation.Relu, Isa.Avx512));

        // The profile label names the algorithm the rule chose on this CPU.
        var isa = IsaSupport.Best;
        var s = ShapeOf(0);
        var rng = new Random(3);
        ConvKernelTests.RunConv(s, OpTest.Random(rng, s.InChannels * 49), OpTest.Random(rng, s.OutChannels * s.InChannels * 9), new float[s.OutChannels], Activation.Relu, null, isa, 1,
            inspect: k => Assert.Equal(isa == Isa.Avx2 ? (avx2Blocked ? "im2col-nchw8c-avx2" : "im2col-gemm-avx2")
                : isa is Isa.Avx512 or Isa.Vector128 ? $"direct-nchw{ConvLayout.LanesFor(isa)}c-{IsaSupport.Name(isa)}" : $"im2col-gemm-{IsaSupport.Name(isa)}", k.Algorithm));
    }

    [Fact]
    public void ForcingItOnAShapeItDoesNotTakeThrows()
    {
        // im2col needs whole input blocks; the direct form takes 3 channels (planar taps) but not groups.
        var s = new Conv2dShape(3, 8, 8, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var grouped = new Conv2dShape(32, 8, 8, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        foreach (var (shape, weights, algorithm) in new[] { (s, 16 * 3 * 9, ConvAlgorithm.Im2ColBlocked), (grouped, 16 * 16 * 9, ConvAlgorithm.DirectBlocked) })
        {
            var ex = Assert.Throws<LightNetException>(() => Conv2dKernel.Create(shape, new float[weights], [], Activation.None, false, Isa.Avx512, 1, algorithm));
            Assert.Equal(ErrorCode.UnsupportedOperator, ex.Code);
            Assert.Contains("whole blocks of input channels", ex.Message, StringComparison.Ordinal);
        }
    }
}

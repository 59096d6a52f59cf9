using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// The fused depthwise → 1×1 kernel against the two kernels run one after the other (within rounding: a band's last
/// column panel may take another GEMM tail kernel than the whole map's) and against the
/// reference convolution: direct rows on wide maps (odd rows, a last band of three, asymmetric padding), channel tiles at
/// stride 1 and 2 and 5×5, a residual, activations on both layers, one and two threads, poisoned scratch.
/// </summary>
[Trait("Category", "SimdKernels")]
public sealed unsafe class ConvDepthwisePointwiseTests
{
    // (name, channels, H, W, kernel, stride, pad top, pad left, pad bottom, pad right, 1×1 outputs)
    private static readonly (string Name, int C, int H, int W, int K, int S, int Pt, int Pl, int Pb, int Pr, int M)[] Shapes =
    [
        // Each depthwise output at least ConvDepthwisePointwise.MinDepthwiseOutputBytes (smaller pairs are not fused).
        ("direct-rows-112", 32, 56, 112, 3, 1, 1, 1, 1, 1, 16),
        ("direct-rows-odd-asym", 72, 47, 61, 3, 1, 0, 1, 2, 1, 13),
        ("tiles-56", 96, 41, 56, 3, 1, 1, 1, 1, 1, 24),
        ("tiles-s2", 64, 112, 111, 3, 2, 1, 1, 1, 1, 40),
        ("tiles-5x5-s2", 72, 113, 112, 5, 2, 2, 2, 2, 2, 20),
        ("tiles-5x5-partial-block", 61, 70, 49, 5, 1, 2, 2, 2, 2, 7),
    ];

    public static TheoryData<string, string, int, bool> Cases()
    {
        var data = new TheoryData<string, string, int, bool>();
        foreach (var s in Shapes)
        {
            data.Add(s.Name, "relu6", 1, false);
            data.Add(s.Name, "hardswish", 2, true);
        }

        return data;
    }

    private static (Conv2dShape Dw, Conv2dShape Pw) ShapesOf(string name)
    {
        var c = Shapes.Single(s => s.Name == name);
        int oh = KernelReference.OutSize(c.H, c.K, c.S, 1, c.Pt, c.Pb), ow = KernelReference.OutSize(c.W, c.K, c.S, 1, c.Pl, c.Pr);
        return (new Conv2dShape(c.C, c.H, c.W, c.C, oh, ow, c.K, c.K, c.S, c.S, 1, 1, c.Pt, c.Pl, c.C),
                new Conv2dShape(c.C, oh, ow, c.M, oh, ow, 1, 1, 1, 1, 1, 1, 0, 0, 1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_pair_matches_the_two_kernels(string name, string activation, int threads, bool residual)
    {
        (Conv2dShape dw, Conv2dShape pw) = ShapesOf(name);
        var rng = new Random(name.Length * 31 + threads);
        float[] x = OpTest.Random(rng, dw.InChannels * dw.InHeight * dw.InWidth);
        float[] dwW = OpTest.Random(rng, dw.OutChannels * dw.KernelHeight * dw.KernelWidth), dwB = OpTest.Random(rng, dw.OutChannels);
        float[] pwW = OpTest.Random(rng, pw.OutChannels * pw.InChannels, 0.5f), pwB = OpTest.Random(rng, pw.OutChannels);
        float[]? res = residual ? OpTest.Random(rng, pw.OutChannels * pw.OutHeight * pw.OutWidth) : null;
        Activation dwAct = activation == "relu6" ? Activation.Clip(0f, 6f) : new Activation(ActivationKind.HardSwish);
        Activation pwAct = residual ? new Activation(ActivationKind.Relu) : Activation.None;

        Assert.True((long)dw.OutChannels * dw.OutHeight * dw.OutWidth * sizeof(float) >= ConvDepthwisePointwise.MinDepthwiseOutputBytes, name);
        // AVX2 (direct rows or tiles) and Vector128 (tiles at every width) fuse every shape here; AVX-512 (emulated
        // without the hardware) fuses the tiles' widths (56 and less) and keeps wider rows per channel, unfused.
        Isa[] isas = KernelReference.Isas().Where(i => ConvDepthwisePointwise.Supports(dw, dwAct, pw, i)).ToArray();
        Assert.Equal(KernelReference.Isas().Where(i => i is Isa.Avx2 or Isa.Vector128 || (i == Isa.Avx512 && dw.OutWidth <= 56)), isas);
        foreach (Isa isa in isas)
        {
            float[] middle = ConvKernelTests.RunConv(dw, x, dwW, dwB, dwAct, null, isa, threads);
            float[] separate = ConvKernelTests.RunConv(pw, middle, pwW, pwB, pwAct, res, isa, threads);
            float[] fused = RunFused(dw, pw, x, dwW, dwB, dwAct, pwW, pwB, pwAct, res, isa, threads);
            OpTest.Close(separate, fused, 2e-6f, 2e-6f, $"{name} {isa} against the two kernels");

            float[] reference = KernelReference.Conv(pw, KernelReference.Conv(dw, x, dwW, dwB, dwAct, null), pwW, pwB, pwAct, res);
            OpTest.Close(reference, fused, 1e-4f, 1e-4f, $"{name} {isa}");
        }
    }

    [Fact]
    public void Small_maps_and_unfusable_pairs_are_not_fused()
    {
        (Conv2dShape dw, Conv2dShape pw) = ShapesOf("tiles-56");
        Assert.True(ConvDepthwisePointwise.Supports(dw, Activation.None, pw, Isa.Avx2));
        Assert.False(ConvDepthwisePointwise.Supports(dw, new Activation(ActivationKind.Sigmoid), pw, Isa.Avx2)); // not fused into the store
        Assert.False(ConvDepthwisePointwise.Supports(dw, Activation.None, pw, Isa.Scalar));
        var small = dw with { InHeight = 14, InWidth = 14, OutHeight = 14, OutWidth = 14 }; // 75 KB of output: stays in L2 unfused
        Assert.False(ConvDepthwisePointwise.Supports(small, Activation.None, pw with { InHeight = 14, InWidth = 14, OutHeight = 14, OutWidth = 14 }, Isa.Avx2));
        Assert.False(ConvDepthwisePointwise.Supports(dw, Activation.None, pw with { InChannels = 95 }, Isa.Avx2));
        var ex = Assert.Throws<LightNetException>(() => ConvDepthwisePointwise.Create(small, new float[small.OutChannels * 9], [], Activation.None,
            pw with { InHeight = 14, InWidth = 14, OutHeight = 14, OutWidth = 14 }, new float[pw.OutChannels * pw.InChannels], [], Activation.None, Isa.Avx2, 1));
        Assert.Equal(ErrorCode.UnsupportedOperator, ex.Code);
    }

    private static float[] RunFused(in Conv2dShape dw, in Conv2dShape pw, float[] x, float[] dwW, float[] dwB, Activation dwAct,
        float[] pwW, float[] pwB, Activation pwAct, float[]? residual, Isa isa, int threads)
    {
        using var kernel = ConvDepthwisePointwise.Create(dw, dwW, dwB, dwAct, pw, pwW, pwB, pwAct, isa, threads);
        Assert.Contains("+gemm-1x1-", kernel.Algorithm, StringComparison.Ordinal);
        return ConvKernelTests.RunKernel(kernel.ScratchBytes, x, pw.OutChannels * pw.OutHeight * pw.OutWidth, residual, false, threads, kernel.Run);
    }
}

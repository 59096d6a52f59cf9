using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

[Trait("Category", "SimdKernels")]
public sealed unsafe class ConvKernelTests
{
    // (name, Cin, H, W, Cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups, expected algorithm prefix)
    private static readonly (string Name, int Cin, int H, int W, int Cout, int Kh, int Kw, int Sh, int Sw, int Dh, int Dw, int Pt, int Pl, int Pb, int Pr, int G, string Algo)[] Shapes =
    [
        ("pointwise", 24, 13, 11, 37, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, "gemm-1x1"),
        ("pointwise-wide", 5, 20, 21, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, "gemm-1x1"),
        ("pointwise-s2", 6, 9, 8, 10, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, "im2col-gemm"),
        ("3x3-s1-p1", 5, 9, 10, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("3x3-s2-asym", 4, 11, 12, 9, 3, 3, 2, 2, 1, 1, 0, 1, 2, 0, 1, "im2col-gemm"),
        ("5x3-dilated", 3, 12, 13, 8, 5, 3, 1, 2, 2, 1, 3, 1, 2, 2, 1, "im2col-gemm"),
        ("7x7-s2-p3", 3, 17, 15, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, "im2col-gemm"),
        ("deep-k", 64, 7, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("deep-k-12-rows", 32, 10, 10, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("deep-k-partial-block", 60, 7, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("3x3-winograd", 32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "winograd-3x3"),
        ("grouped", 6, 8, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, "im2col-gemm-grouped"),
        ("grouped-1x1", 8, 5, 6, 12, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 4, "gemm-1x1-grouped"),
        ("dw-3x3-s1", 11, 17, 19, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 11, "depthwise-3x3"),
        ("dw-3x3-s1-7x7", 13, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 13, "depthwise-3x3"),
        ("dw-3x3-s1-14x14", 9, 14, 14, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 9, "depthwise-3x3"),
        ("dw-3x3-s1-tiny", 3, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, "depthwise-3x3"),
        ("dw-3x3-s1-wide", 3, 5, 64, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, "depthwise-3x3"),
        ("dw-3x3-s2-even", 5, 16, 16, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, "depthwise-3x3"),
        ("dw-3x3-s2-odd", 3, 15, 21, 3, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 3, "depthwise-3x3"),
        ("dw-3x3-s2-wide", 6, 12, 121, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 6, "depthwise-3x3"),
        ("dw-3x3-s2-wide-p0", 2, 6, 120, 2, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 2, "depthwise-3x3"),
        ("dw-5x5-dilated", 4, 14, 23, 4, 5, 5, 1, 1, 2, 2, 4, 4, 4, 4, 4, "depthwise"),
        ("dw-3x3-s3-nopad", 2, 13, 29, 2, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 2, "depthwise-3x3"),
        ("dw-multiplier-2", 3, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, "im2col-gemm-grouped"),
        ("3x3-s1-wide", 4, 5, 75, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("3x3-s2-wide", 5, 7, 70, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("7x7-s2-wide", 3, 9, 61, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, "im2col-gemm"),
        // Small maps (output rows up to GemmWork.GatherMaxOutWidth) that are not "same" stride-1 convolutions: the AVX2
        // im2col packed by masked gathers — strides 2 and 3, dilation, asymmetric padding, a 1×1 stride-2 downsample,
        // a stride-1 valid convolution, and a map of many panels whose blocks start mid-row.
        ("3x3-s2-gathered-7", 19, 14, 13, 21, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("1x1-s2-gathered", 24, 13, 14, 10, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, "im2col-gemm"),
        ("3x3-s3x2-dilated-asym-gathered", 7, 17, 20, 9, 3, 3, 3, 2, 2, 1, 2, 0, 1, 2, 1, "im2col-gemm"),
        ("2x2-s1-valid-gathered", 5, 9, 12, 7, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, "im2col-gemm"),
        ("3x3-s2-gathered-tall", 6, 60, 27, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, "im2col-gemm"),
        ("dw-5x5-s1", 5, 20, 23, 5, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 5, "depthwise"),
        ("dw-5x5-s1-wide", 2, 6, 70, 2, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 2, "depthwise"),
        ("dw-5x5-s2", 3, 29, 30, 3, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 3, "depthwise"),
        ("pointwise-1x1-map", 40, 1, 1, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, "gemv"),
        ("dw-5x5-s1-7x7", 20, 7, 7, 20, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 20, "depthwise"),
        ("dw-3x3-dilated-small", 18, 9, 10, 18, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 18, "depthwise-3x3"),
        ("dw-3x3-s2-14-to-7", 35, 14, 14, 35, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 35, "depthwise-3x3"),
        // Rows wider than the blocked path takes (56), per channel: computed two at a time (odd row count, 16-wide tail;
        // even rows, a 256-bit half-vector step at 72).
        ("dw-3x3-s2-row-pairs", 4, 9, 130, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, "depthwise-3x3"),
        ("dw-3x3-s1-row-pairs-72", 3, 6, 72, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, "depthwise-3x3"),
        // 3×3 stride 1 with one column of padding each side on 8 lanes: input rows read where they lie (rows of
        // padding: a zero row; the first and last vector from edge copies), no plane copy. Asymmetric top/bottom
        // padding with an odd row count and a width of 8k + 5; two rows, both reading a padding row; 8k wide.
        ("dw-3x3-s1-direct-rows-asym", 2, 7, 61, 2, 3, 3, 1, 1, 1, 1, 0, 1, 2, 1, 2, "depthwise-3x3"),
        ("dw-3x3-s1-direct-rows-2", 3, 2, 59, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, "depthwise-3x3"),
        ("dw-3x3-s1-direct-rows-112", 2, 5, 112, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, "depthwise-3x3"),
        // AVX-512 stride 2 on rows of 57+ outputs: taps split by permutes from an unsplit padded plane (no padding; asymmetric).
        ("dw-3x3-s2-even-odd-p0", 3, 7, 131, 3, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 3, "depthwise-3x3"),
        ("dw-3x3-s2-even-odd-asym", 2, 8, 126, 2, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 2, "depthwise-3x3"),
        ("dw-3x3-s2-even-odd-60", 5, 10, 120, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, "depthwise-3x3"),
        // Channel-blocked: stride 2 to 28-wide rows, the widest (56) rows at stride 1 for 3×3 (on AVX2 the direct rows
        // instead) and 5×5 (these three cut into several row bands), 5×5 stride 1 sliding over a row of 10 (4 + 4 + an
        // overlapping 4), and whole and partial 16-channel blocks.
        ("dw-3x3-s2-blocked-28", 5, 60, 56, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, "depthwise-3x3"),
        ("dw-3x3-s1-blocked-56", 17, 40, 56, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 17, "depthwise-3x3"),
        ("dw-5x5-s1-blocked-56", 9, 30, 56, 9, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 9, "depthwise"),
        ("dw-5x5-s1-blocked-10", 40, 9, 10, 40, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 40, "depthwise"),
    ];

    public static TheoryData<string, string> ShapeCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var isa in KernelReference.Isas())
        {
            foreach (var s in Shapes)
            {
                data.Add(isa.ToString(), s.Name);
            }
        }

        return data;
    }

    internal static Conv2dShape ShapeOf(string name)
    {
        var c = Shapes.Single(s => s.Name == name);
        int oh = KernelReference.OutSize(c.H, c.Kh, c.Sh, c.Dh, c.Pt, c.Pb);
        int ow = KernelReference.OutSize(c.W, c.Kw, c.Sw, c.Dw, c.Pl, c.Pr);
        return new Conv2dShape(c.Cin, c.H, c.W, c.Cout, oh, ow, c.Kh, c.Kw, c.Sh, c.Sw, c.Dh, c.Dw, c.Pt, c.Pl, c.G);
    }

    internal static float[] RunConv(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, Isa isa, int threads, bool residualInOutput = false, Action<Conv2dKernel>? inspect = null, ConvAlgorithm algorithm = ConvAlgorithm.Auto)
    {
        using var kernel = Conv2dKernel.Create(s, w, bias, act, residual != null, isa, threads, algorithm);
        inspect?.Invoke(kernel);
        return RunKernel(kernel.ScratchBytes, x, s.OutChannels * s.OutHeight * s.OutWidth, residual, residualInOutput, threads, kernel.Run);
    }

    /// <summary>A convolution kernel's Run: (input, output, residual or null, scratch, pool).</summary>
    internal delegate void KernelRun(float* x, float* y, float* residual, byte* scratch, WorkerPool pool);

    /// <summary>
    /// Runs a kernel on <paramref name="x"/> into <paramref name="outputs"/> floats with poisoned scratch and returns the
    /// output; the residual in its own buffer, or copied into the output first (<paramref name="residualInOutput"/>).
    /// </summary>
    internal static float[] RunKernel(long scratchBytes, float[] x, int outputs, float[]? residual, bool residualInOutput, int threads, KernelRun run)
    {
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(outputs);
        using var pr = new OpBuffer(residual ?? []);
        using var scratch = new ScratchBuffer(scratchBytes);

        // Poisoned scratch (a memory planner hands kernels the bytes other kernels left): every float a kernel reads
        // there it must have written first.
        new Span<float>(scratch.Pointer, (int)(scratchBytes / sizeof(float))).Fill(1e6f);
        using var pool = new WorkerPool(threads);
        float* res = null;
        if (residual != null)
        {
            if (residualInOutput)
            {
                residual.CopyTo(py.Span);
                res = py.Pointer;
            }
            else
            {
                res = pr.Pointer;
            }
        }

        Assert.Equal(0, scratchBytes % 64);
        run(px.Pointer, py.Pointer, res, scratch.Pointer, pool);
        return py.ToArray();
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void ConvMatchesReference(string isaName, string name)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var s = ShapeOf(name);
        var rng = new Random(name.Length * 31 + (int)isa);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
        float[] w = OpTest.Random(rng, s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth, 0.5f);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);
        // Small maps take the channel-blocked depthwise path on the vector ISAs when nothing but a clamp is fused.
        string prefix = Shapes.Single(c => c.Name == name).Algo;
        if (prefix == "winograd-3x3" && !Conv2dKernel.PrefersWinograd(s, isa))
        {
            prefix = "im2col-gemm"; // AVX-512 keeps 32 input channels off Winograd (WinogradTests cover it forced).
        }

        bool blocked = prefix.StartsWith("depthwise", StringComparison.Ordinal) && s.OutWidth <= ConvDepthwise.BlockedMaxWidth(isa, s.StrideWidth)
            && !(isa == Isa.Avx2 && name == "dw-3x3-s1-blocked-56"); // 56-wide 3×3 stride 1 on AVX2: the direct rows (DirectRowsOverTilesFromWidth)
        string expectedAlgo = prefix + (blocked ? "-blocked-" : "-") + IsaSupport.Name(isa);
        if (prefix == "im2col-gemm" && Conv2dKernel.PrefersIm2ColBlocked(s, Activation.None, isa))
        {
            // Small maps with whole channel blocks go to the channel-blocked im2col on AVX-512 and AVX2 (Im2ColBlockedTests).
            expectedAlgo = $"im2col-nchw{ConvLayout.LanesFor(isa)}c-{IsaSupport.Name(isa)}";
        }
        else if (prefix == "im2col-gemm" && ConvStemDirect.Prefers(s, Activation.None, false, isa))
        {
            // Few input channels and rows of 16 or more on planar AVX2 plans: the direct stem kernel (ConvStemDirectTests).
            expectedAlgo = "direct-stem-avx2";
        }
        else if (prefix == "im2col-gemm" && Conv2dKernel.PrefersDirectBlocked(s, Activation.None, isa))
        {
            // Wide rows with whole channel blocks go to the direct channel-blocked kernel on AVX-512 (Im2ColBlockedTests).
            expectedAlgo = $"direct{(s.InChannels % ConvLayout.LanesFor(isa) == 0 ? "" : "-planar")}-nchw{ConvLayout.LanesFor(isa)}c-{IsaSupport.Name(isa)}";
        }

        var plain = RunConv(s, x, w, bias, Activation.None, null, isa, 1, inspect: k =>
        {
            Assert.Equal(expectedAlgo, k.Algorithm);
            Assert.Equal(s.Macs, k.Macs);
        });
        KernelReference.Close(KernelReference.Conv(s, x, w, bias, Activation.None, null), plain, $"{isa} {name}");

        var act = Activation.Clip(-0.5f, 1.5f);
        var fused = RunConv(s, x, w, bias, act, residual, isa, 3);
        KernelReference.Close(KernelReference.Conv(s, x, w, bias, act, residual), fused, $"{isa} {name} residual+clip");

        // The clamp alone is applied in registers before the store (no second pass).
        var clipped = RunConv(s, x, w, bias, act, null, isa, 2);
        KernelReference.Close(KernelReference.Conv(s, x, w, bias, act, null), clipped, $"{isa} {name} clip");
    }

    public static TheoryData<string> Activations()
    {
        var data = new TheoryData<string>();
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            data.Add(kind.ToString());
        }

        return data;
    }

    // The activation of each kind with test parameters (HardSigmoid with slope hardSigmoidAlpha, offset 0.5).
    private static Activation ActivationOf(ActivationKind kind, float hardSigmoidAlpha) => kind switch
    {
        ActivationKind.Clip => Activation.Clip(-1f, 2f),
        ActivationKind.LeakyRelu => new Activation(kind, 0.1f),
        ActivationKind.HardSigmoid => new Activation(kind, hardSigmoidAlpha, 0.5f),
        _ => new Activation(kind),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryActivationIsFusedWithResidualInPlace(string kindName)
    {
        var kind = Enum.Parse<ActivationKind>(kindName);
        var act = ActivationOf(kind, 0.2f);
        var rng = new Random(3 + (int)kind);
        foreach (var name in new[] { "deep-k", "pointwise", "dw-3x3-s1" })
        {
            var s = ShapeOf(name);
            float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
            float[] w = OpTest.Random(rng, s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth, 0.3f);
            float[] bias = OpTest.Random(rng, s.OutChannels);
            float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth, 4f);
            var expected = KernelReference.Conv(s, x, w, bias, act, residual);
            foreach (var isa in KernelReference.Isas().Where(i => i != Isa.Avx512))
            {
                // The residual is the output buffer itself (the in-place form a memory planner produces).
                var actual = RunConv(s, x, w, bias, act, residual, isa, 2, residualInOutput: true);
                KernelReference.Close(expected, actual, $"{kind} {isa} {name}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryActivationMatchesWithoutResidualOnEveryIsa(string kindName)
    {
        // Without a residual, clamps and the hard activations are applied in registers before the store (GEMM tiles,
        // depthwise rows); the others by a pass of their own. Every ISA, AVX-512 included, against the reference.
        var kind = Enum.Parse<ActivationKind>(kindName);
        var act = ActivationOf(kind, 1f / 6f);
        var rng = new Random(7 + (int)kind);
        foreach (var name in new[] { "deep-k-12-rows", "pointwise", "dw-3x3-s1-wide", "dw-5x5-s1-wide", "dw-5x5-s2", "pointwise-1x1-map" })
        {
            var s = ShapeOf(name);
            float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth, 4f);
            float[] w = OpTest.Random(rng, s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth, 0.5f);
            float[] bias = OpTest.Random(rng, s.OutChannels);
            var expected = KernelReference.Conv(s, x, w, bias, act, null);
            foreach (var isa in KernelReference.Isas())
            {
                KernelReference.Close(expected, RunConv(s, x, w, bias, act, null, isa, 2), $"{kind} {isa} {name}");
            }
        }
    }

    [Theory]
    [InlineData("deep-k")]
    [InlineData("pointwise-wide")]
    [InlineData("dw-3x3-s2-odd")]
    [InlineData("grouped")]
    public void ThreadCountsAgreeAndRerunsAreBitIdentical(string name)
    {
        var s = ShapeOf(name);
        var rng = new Random(17);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
        float[] w = OpTest.Random(rng, s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        var isa = IsaSupport.Best == Isa.Avx512 ? Isa.Avx512 : IsaSupport.Best;
        var expected = KernelReference.Conv(s, x, w, bias, Activation.Relu, null);
        var one = RunConv(s, x, w, bias, Activation.Relu, null, isa, 1);
        var three = RunConv(s, x, w, bias, Activation.Relu, null, isa, 3);
        var threeAgain = RunConv(s, x, w, bias, Activation.Relu, null, isa, 3);
        KernelReference.Close(expected, one, "1 thread");
        KernelReference.Close(expected, three, "3 threads");
        Assert.Equal(three, threeAgain);
    }

    [Fact]
    public void LargeShapeSpanningSeveralCacheBlocksMatches()
    {
        // K = 2·2·80 = 320 > KC and N = 30·31 = 930 > NC: every blocking edge at once, threaded.
        var s = new Conv2dShape(80, 31, 32, 19, 30, 31, 2, 2, 1, 1, 1, 1, 0, 0, 1);
        var rng = new Random(23);
        float[] x = OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth);
        float[] w = OpTest.Random(rng, s.OutChannels * s.InChannels * 4, 0.2f);
        float[] bias = OpTest.Random(rng, s.OutChannels);
        float[] residual = OpTest.Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);
        var expected = KernelReference.Conv(s, x, w, bias, Activation.Relu, residual);
        KernelReference.Close(expected, RunConv(s, x, w, bias, Activation.Relu, residual, IsaSupport.Best == Isa.Avx512 ? Isa.Avx512 : IsaSupport.Best, 2), "large");
        KernelReference.Close(expected, RunConv(s, x, w, bias, Activation.Relu, residual, Isa.Scalar, 3), "large scalar");
    }

    [Fact]
    public void CreateRejectsBadWeightsAndShapes()
    {
        var s = ShapeOf("3x3-s1-p1");
        var ex = Assert.Throws<LightNetException>(() => Conv2dKernel.Create(s, new float[3], [], Activation.None, false, Isa.Scalar, 1));
        Assert.Equal(ErrorCode.InvalidShape, ex.Code);
        var bad = s with { Groups = 2 };
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(bad, new float[1], [], Activation.None, false, Isa.Scalar, 1)).Code);
        int wl = s.OutChannels * s.InChannels * 9;
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => Conv2dKernel.Create(s, new float[wl], new float[2], Activation.None, false, Isa.Scalar, 1)).Code);
    }

    [Fact]
    public void RunAllocatesNothingAfterWarmUp()
    {
        foreach (var name in new[] { "deep-k", "dw-3x3-s1", "grouped", "3x3-winograd" })
        {
            var s = ShapeOf(name);
            var rng = new Random(1);
            using var kernel = Conv2dKernel.Create(s, OpTest.Random(rng, s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth), OpTest.Random(rng, s.OutChannels), Activation.Relu, true, IsaSupport.Best, 2);
            using var px = new OpBuffer(OpTest.Random(rng, s.InChannels * s.InHeight * s.InWidth));
            using var py = new OpBuffer(s.OutChannels * s.OutHeight * s.OutWidth);
            using var scratch = new ScratchBuffer(kernel.ScratchBytes);
            using var pool = new WorkerPool(2);
            for (int i = 0; i < 3; i++)
            {
                kernel.Run(px.Pointer, py.Pointer, py.Pointer, scratch.Pointer, pool);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                kernel.Run(px.Pointer, py.Pointer, py.Pointer, scratch.Pointer, pool);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 256, $"{name}: {allocated} bytes allocated in 10 runs");
        }
    }

    public static TheoryData<string> IsaCases() => KernelReference.IsaData();

    [Theory]
    [MemberData(nameof(IsaCases))]
    public void ConvTransposeMatchesReference(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var rng = new Random(29);
        // (Cin, H, W, Cout, k, stride, dilation, pads, output padding, groups)
        foreach (var (cin, h, w, cout, k, st, dil, pad, outPad, g) in new[]
        {
            (4, 5, 6, 3, 3, 2, 1, 1, 1, 1),
            (6, 4, 3, 4, 2, 2, 1, 0, 0, 2),
            (3, 7, 5, 5, 3, 1, 2, 2, 0, 1),
            (8, 3, 3, 16, 4, 2, 1, 1, 0, 1),
        })
        {
            int oh = ((h - 1) * st) - (2 * pad) + (dil * (k - 1)) + 1 + outPad;
            int ow = ((w - 1) * st) - (2 * pad) + (dil * (k - 1)) + 1 + outPad;
            var s = new Conv2dShape(cin, h, w, cout, oh, ow, k, k, st, st, dil, dil, pad, pad, g);
            float[] x = OpTest.Random(rng, cin * h * w);
            float[] wt = OpTest.Random(rng, cin * (cout / g) * k * k);
            float[] bias = OpTest.Random(rng, cout);
            float[] residual = OpTest.Random(rng, cout * oh * ow);
            var expected = KernelReference.ConvTranspose(s, x, wt, bias, Activation.Relu, residual);
            using var kernel = ConvTranspose2dKernel.Create(s, wt, bias, Activation.Relu, true, isa, 3);
            Assert.Equal((long)cin * h * w * (cout / g) * k * k, kernel.Macs);
            using var px = new OpBuffer(x);
            using var py = new OpBuffer(residual);
            using var scratch = new ScratchBuffer(kernel.ScratchBytes);
            using var pool = new WorkerPool(3);
            kernel.Run(px.Pointer, py.Pointer, py.Pointer, scratch.Pointer, pool);
            KernelReference.Close(expected, py.ToArray(), $"{isa} convT {s}");
        }
    }
}

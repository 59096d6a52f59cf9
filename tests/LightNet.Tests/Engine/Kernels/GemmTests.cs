using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>Scalar twins of the heavy kernels (plain loops straight from the ONNX definitions) and the ISA list tests run.</summary>
internal static class KernelReference
{
    /// <summary>Every ISA whose path runs here: the supported ones, plus AVX-512 (software-emulated without the hardware).</summary>
    public static IEnumerable<Isa> Isas()
    {
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Avx2 })
        {
            if (IsaSupport.IsSupported(isa))
            {
                yield return isa;
            }
        }

        yield return Isa.Avx512;
    }

    /// <summary><see cref="Isas"/> as theory data (names: the enum is internal).</summary>
    public static TheoryData<string> IsaData()
    {
        var data = new TheoryData<string>();
        foreach (var isa in Isas())
        {
            data.Add(isa.ToString());
        }

        return data;
    }

    public static int OutSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd) =>
        ((input + padBegin + padEnd - (dilation * (kernel - 1)) - 1) / stride) + 1;

    public static float[] Conv(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual)
    {
        int cinG = s.InChannels / s.Groups, coutG = s.OutChannels / s.Groups;
        var y = new float[s.OutChannels * s.OutHeight * s.OutWidth];
        for (int co = 0; co < s.OutChannels; co++)
        {
            int g = co / coutG;
            for (int oy = 0; oy < s.OutHeight; oy++)
            {
                for (int ox = 0; ox < s.OutWidth; ox++)
                {
                    double acc = 0;
                    for (int ci = 0; ci < cinG; ci++)
                    {
                        for (int ky = 0; ky < s.KernelHeight; ky++)
                        {
                            int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                            for (int kx = 0; kx < s.KernelWidth; kx++)
                            {
                                int ix = (ox * s.StrideWidth) - s.PadLeft + (kx * s.DilationWidth);
                                if (iy < 0 || iy >= s.InHeight || ix < 0 || ix >= s.InWidth)
                                {
                                    continue;
                                }

                                float xv = x[((((g * cinG) + ci) * s.InHeight) + iy) * s.InWidth + ix];
                                float wv = w[((((co * cinG) + ci) * s.KernelHeight) + ky) * s.KernelWidth + kx];
                                acc += (double)xv * wv;
                            }
                        }
                    }

                    int o = (((co * s.OutHeight) + oy) * s.OutWidth) + ox;
                    double v = acc + (bias.Length > 0 ? bias[co] : 0) + (residual != null ? residual[o] : 0);
                    y[o] = act.Apply((float)v);
                }
            }
        }

        return y;
    }

    public static float[] ConvTranspose(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual)
    {
        int cinG = s.InChannels / s.Groups, coutG = s.OutChannels / s.Groups;
        var acc = new double[s.OutChannels * s.OutHeight * s.OutWidth];
        for (int ci = 0; ci < s.InChannels; ci++)
        {
            int g = ci / cinG;
            for (int iy = 0; iy < s.InHeight; iy++)
            {
                for (int ix = 0; ix < s.InWidth; ix++)
                {
                    float xv = x[(((ci * s.InHeight) + iy) * s.InWidth) + ix];
                    for (int cog = 0; cog < coutG; cog++)
                    {
                        int co = (g * coutG) + cog;
                        for (int ky = 0; ky < s.KernelHeight; ky++)
                        {
                            int oy = (iy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                            for (int kx = 0; kx < s.KernelWidth; kx++)
                            {
                                int ox = (ix * s.StrideWidth) - s.PadLeft + (kx * s.DilationWidth);
                                if (oy < 0 || oy >= s.OutHeight || ox < 0 || ox >= s.OutWidth)
                                {
                                    continue;
                                }

                                float wv = w[((((ci * coutG) + cog) * s.KernelHeight) + ky) * s.KernelWidth + kx];
                                acc[(((co * s.OutHeight) + oy) * s.OutWidth) + ox] += (double)xv * wv;
                            }
                        }
                    }
                }
            }
        }

        var y = new float[acc.Length];
        int plane = s.OutHeight * s.OutWidth;
        for (int i = 0; i < y.Length; i++)
        {
            double v = acc[i] + (bias.Length > 0 ? bias[i / plane] : 0) + (residual != null ? residual[i] : 0);
            y[i] = act.Apply((float)v);
        }

        return y;
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C0.</summary>
    public static float[] Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c0, int ldc)
    {
        var c = (float[])c0.Clone();
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[(p * lda) + i] : a[(i * lda) + p];
                    float bv = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    acc += (double)av * bv;
                }

                c[(i * ldc) + j] = (float)((alpha * acc) + (beta == 0 ? 0 : beta * c0[(i * ldc) + j]));
            }
        }

        return c;
    }

    /// <summary>Relative-and-absolute closeness used by every heavy-kernel test (1e-4 relative).</summary>
    public static void Close(float[] expected, float[] actual, string what) =>
        OpTest.Close(expected, actual, rtol: 1e-4f, atol: 1e-4f, what: what);
}

/// <summary>Native scratch for one kernel run.</summary>
internal sealed unsafe class ScratchBuffer : IDisposable
{
    private readonly OpBuffer _buffer;

    public ScratchBuffer(long bytes) => _buffer = new OpBuffer((int)Math.Max(16, (bytes + 3) / 4));

    public byte* Pointer => (byte*)_buffer.Pointer;

    public void Dispose() => _buffer.Dispose();
}

[Trait("Category", "SimdKernels")]
public sealed unsafe class GemmTests
{
    public static TheoryData<string, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var isa in KernelReference.Isas())
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    data.Add(isa.ToString(), ta, tb);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmMatchesReferenceOnOddShapesWithAlphaBeta(string isaName, bool transA, bool transB)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var rng = new Random(11);
        foreach (var (m, n, k, threads) in new[] { (1, 1, 1, 1), (7, 13, 5, 3), (13, 37, 300, 3), (6, 16, 256, 1), (25, 3, 9, 2) })
        {
            float alpha = 0.75f, beta = m % 2 == 0 ? 0f : -0.5f;
            int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
            float[] a = OpTest.Random(rng, (transA ? k : m) * lda), b = OpTest.Random(rng, (transB ? n : k) * ldb), c0 = OpTest.Random(rng, m * ldc);
            if (beta == 0f)
            {
                Array.Fill(c0, float.NaN); // beta = 0 must not read C.
                for (int i = 0; i < m; i++)
                {
                    for (int j = n; j < ldc; j++)
                    {
                        c0[(i * ldc) + j] = 7f;
                    }
                }
            }

            var expected = KernelReference.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);
            using var pa = new OpBuffer(a);
            using var pb = new OpBuffer(b);
            using var pc = new OpBuffer(c0);
            using var scratch = new ScratchBuffer(Sgemm.ScratchBytes(m, n, k, threads));
            using var pool = new WorkerPool(threads);
            Sgemm.Multiply(transA, transB, m, n, k, alpha, pa.Pointer, lda, pb.Pointer, ldb, beta, pc.Pointer, ldc, scratch.Pointer, pool, isa);
            KernelReference.Close(expected, pc.ToArray(), $"{isa} {m}x{n}x{k} tA={transA} tB={transB}");
        }
    }

    [Fact]
    public void ZeroKScalesC()
    {
        using var pc = new OpBuffer(new float[] { 1, 2, 3, 4 });
        using var pool = new WorkerPool(1);
        Sgemm.Multiply(false, false, 2, 2, 0, 1f, null, 0, null, 2, 2f, pc.Pointer, 2, null, pool, Isa.Scalar);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, pc.ToArray());
    }

    [Fact]
    public void MicroKernelsAgreeOnAFullTile()
    {
        // Each ISA's micro-kernel on one packed tile, against the plain sum.
        var rng = new Random(5);
        // Both Vector128 forms, whichever this machine's register file picks (6×16 with 32 registers, 6×8 with 16).
        var configs = KernelReference.Isas().SelectMany(isa => new[] { GemmConfig.For(isa), GemmConfig.For(isa, 16) })
            .Concat(KernelReference.Isas().Contains(Isa.Vector128) ? [new GemmConfig(Isa.Vector128, 6, 8, 256, 192), new GemmConfig(Isa.Vector128, 6, 16, 256, 192)] : []);
        foreach (var cfg in configs.Distinct())
        {
            var isa = cfg.Isa;
            int kc = 19;
            float[] a = OpTest.Random(rng, kc * cfg.MR), b = OpTest.Random(rng, kc * cfg.NR);
            var expected = new float[cfg.MR * cfg.NR];
            for (int r = 0; r < cfg.MR; r++)
            {
                for (int j = 0; j < cfg.NR; j++)
                {
                    double s = 1.0; // accumulate onto C = 1
                    for (int p = 0; p < kc; p++)
                    {
                        s += (double)a[(p * cfg.MR) + r] * b[(p * cfg.NR) + j];
                    }

                    expected[(r * cfg.NR) + j] = (float)s;
                }
            }

            using var pa = new OpBuffer(a);
            using var pb = new OpBuffer(b);
            using var pc = new OpBuffer(Enumerable.Repeat(1f, cfg.MR * cfg.NR).ToArray());
            switch (isa)
            {
                case Isa.Avx2: GemmMicroKernels.Avx2x6x16(kc, pa.Pointer, pb.Pointer, pc.Pointer, cfg.NR, true); break;
                case Isa.Avx512 when cfg.MR == 12: GemmMicroKernels.Avx512x12x32(kc, pa.Pointer, pb.Pointer, pc.Pointer, cfg.NR, true, null, null, 0, FusedActivation.None); break;
                case Isa.Avx512: GemmMicroKernels.Avx512x8x32(kc, pa.Pointer, pb.Pointer, pc.Pointer, cfg.NR, true, null, null, 0, FusedActivation.None); break;
                case Isa.Vector128 when cfg.NR == 16: GemmMicroKernels.Vector128x6x16(kc, pa.Pointer, pb.Pointer, cfg.NR, pc.Pointer, cfg.NR, true); break;
                case Isa.Vector128: GemmMicroKernels.Vector128x6x8(kc, pa.Pointer, pb.Pointer, cfg.NR, pc.Pointer, cfg.NR, true); break;
                default: GemmMicroKernels.Scalar4x4(kc, pa.Pointer, pb.Pointer, pc.Pointer, cfg.NR, true); break;
            }

            KernelReference.Close(expected, pc.ToArray(), $"{isa} {cfg.MR}x{cfg.NR}");
        }
    }

    [Fact]
    public void EpilogueCombineGivesTheScalarBitsAndWritesOnlyItsValues()
    {
        // GemmEpilogue.CombineActivate on rows of 0–20 values (the vector loop, and the last 1–7 as one masked vector
        // on AVX): act(t + rowBias + colBias + beta·res) bit for bit as the scalar form computes it, for every activation
        // with a register form and one without (leaky ReLU: the combine, then Activate); nothing past n written; the
        // residual may be the destination itself.
        var rng = new Random(53);
        var activations = new[]
        {
            Activation.None, Activation.Relu, Activation.Clip(-0.25f, 0.5f), new Activation(ActivationKind.HardSigmoid, 0.2f, 0.5f),
            new Activation(ActivationKind.HardSwish), new Activation(ActivationKind.LeakyRelu, 0.1f),
        };
        const float sentinel = 12345f;
        for (int n = 0; n <= 20; n++)
        {
            float[] t = OpTest.Random(rng, n), colBias = OpTest.Random(rng, n), res = OpTest.Random(rng, n);
            foreach (var act in activations)
            {
                foreach (bool withColBias in new[] { false, true })
                {
                    foreach (bool aliased in new[] { false, true })
                    {
                        var expected = new float[n + 8];
                        Array.Fill(expected, sentinel);
                        for (int j = 0; j < n; j++)
                        {
                            float v = t[j] + 0.125f;
                            if (withColBias)
                            {
                                v += colBias[j];
                            }

                            v += 0.75f * res[j];
                            expected[j] = act.Apply(v);
                        }

                        var start = new float[n + 8];
                        Array.Fill(start, sentinel);
                        if (aliased)
                        {
                            res.CopyTo(start, 0);
                        }

                        using var pt = new OpBuffer(t);
                        using var pcb = new OpBuffer(colBias);
                        using var pres = new OpBuffer(res);
                        using var pd = new OpBuffer(start);
                        GemmEpilogue.CombineActivate(pt.Pointer, pd.Pointer, n, 0.125f, withColBias ? pcb.Pointer : null, aliased ? pd.Pointer : pres.Pointer, 0.75f, act);
                        Assert.True(expected.AsSpan().SequenceEqual(pd.ToArray()), $"n={n} {act.Kind} colBias={withColBias} aliased={aliased}");
                    }
                }
            }
        }
    }

    [Fact]
    public void MaskedEdgeKernelWritesOnlyItsRowsAndColumns()
    {
        // The AVX2 edge kernel of a last panel of 1–8 columns: (+C) + bias + residual, clamped, into exactly rows × cols
        // of C (ldc 20; everything else keeps its sentinel), for odd and even K (its two accumulator sets).
        if (!IsaSupport.IsSupported(Isa.Avx2))
        {
            return;
        }

        Assert.True(FusedActivation.TryCreate(Activation.Clip(-0.5f, 0.75f), out var clamp));
        var rng = new Random(31);
        const int ldc = 20, sentinel = 12345;
        foreach (int kc in new[] { 1, 7, 36 })
        {
            float[] a = OpTest.Random(rng, kc * 6), b = OpTest.Random(rng, kc * 16), bias = OpTest.Random(rng, 6), res = OpTest.Random(rng, 6 * ldc);
            float[] c0 = OpTest.Random(rng, 6 * ldc);
            for (int rows = 1; rows <= 6; rows++)
            {
                for (int cols = 1; cols <= 8; cols++)
                {
                    foreach (bool accumulate in new[] { false, true })
                    {
                        var (start, expected) = EdgeCase(a, b, 16, kc, rows, cols, ldc, c0, bias, res, accumulate, sentinel);

                        using var pa = new OpBuffer(a);
                        using var pb = new OpBuffer(b);
                        using var pbias = new OpBuffer(bias);
                        using var pres = new OpBuffer(res);
                        using var pc = new OpBuffer(start);
                        GemmMicroKernels.Avx2x6x8Masked(kc, pa.Pointer, pb.Pointer, 16, pc.Pointer, ldc, accumulate, pbias.Pointer, pres.Pointer, ldc, clamp, rows, cols);
                        KernelReference.Close(expected, pc.ToArray(), $"kc={kc} rows={rows} cols={cols} accumulate={accumulate}");
                    }
                }
            }
        }
    }

    [Fact]
    public void NarrowStripKernelWritesOnlyItsRowsAndColumns()
    {
        // The AVX2 strip kernel of a last panel of 1–4 columns (more than the GEMM gives it) over 1–6 row panels (A panels
        // kc·6 floats apart, as packed): (+C) + bias + residual, clamped, into exactly the panels' rows (the last one's
        // lastRows) × cols of C (ldc 20; everything else keeps its sentinel); B rows 16 apart (packed) or 23 (read in place).
        if (!IsaSupport.IsSupported(Isa.Avx2))
        {
            return;
        }

        Assert.True(FusedActivation.TryCreate(Activation.Clip(-0.5f, 0.75f), out var clamp));
        var rng = new Random(37);
        const int ldc = 20, sentinel = 12345;
        foreach (int kc in new[] { 1, 7, 36 })
        {
            foreach (int ldb in new[] { 16, 23 })
            {
                for (int panels = 1; panels <= 6; panels++)
                {
                    int m = panels * 6;
                    float[] a = OpTest.Random(rng, panels * kc * 6), b = OpTest.Random(rng, kc * ldb), bias = OpTest.Random(rng, m), res = OpTest.Random(rng, m * ldc);
                    float[] c0 = OpTest.Random(rng, m * ldc);
                    foreach (int lastRows in new[] { 1, 4, 6 })
                    {
                        for (int cols = 1; cols <= 4; cols++)
                        {
                            foreach (bool accumulate in new[] { false, true })
                            {
                                var (start, expected) = EdgeCase(a, b, ldb, kc, m - 6 + lastRows, cols, ldc, c0, bias, res, accumulate, sentinel);

                                using var pa = new OpBuffer(a);
                                using var pb = new OpBuffer(b);
                                using var pbias = new OpBuffer(bias);
                                using var pres = new OpBuffer(res);
                                using var pc = new OpBuffer(start);
                                GemmMicroKernels.Avx2NarrowStrip(kc, pa.Pointer, kc * 6, panels, lastRows, pb.Pointer, ldb, cols,
                                    pc.Pointer, ldc, accumulate, pbias.Pointer, pres.Pointer, ldc, clamp);
                                KernelReference.Close(expected, pc.ToArray(), $"kc={kc} ldb={ldb} panels={panels} lastRows={lastRows} cols={cols} accumulate={accumulate}");
                            }
                        }
                    }
                }
            }
        }
    }

    // An edge kernel's C before and after: the first `rows` × `cols` of C (ldc apart) from c0, the rest a sentinel; the
    // expected result (+C) + Σ A·B + bias + residual clamped to [-0.5, 0.75] there (A packed in 6-row panels of kc
    // steps, B rows ldb apart), the sentinel elsewhere.
    private static (float[] Start, float[] Expected) EdgeCase(float[] a, float[] b, int ldb, int kc, int rows, int cols, int ldc,
        float[] c0, float[] bias, float[] res, bool accumulate, float sentinel)
    {
        var start = new float[c0.Length];
        var expected = new float[c0.Length];
        for (int i = 0; i < start.Length; i++)
        {
            int r = i / ldc, j = i % ldc;
            bool inside = r < rows && j < cols;
            start[i] = inside ? c0[i] : sentinel;
            if (!inside)
            {
                expected[i] = sentinel;
                continue;
            }

            double v = accumulate ? start[i] : 0;
            for (int k = 0; k < kc; k++)
            {
                v += (double)a[((r / 6) * kc * 6) + (k * 6) + (r % 6)] * b[(k * ldb) + j];
            }

            expected[i] = Math.Clamp((float)(v + bias[r] + res[i]), -0.5f, 0.75f);
        }

        return (start, expected);
    }

    [Fact]
    public void NarrowEdgeKernelsGiveTheFullTilesBitsForTheirColumns()
    {
        // The 16- and 8-column remainder kernels must do each element's FMAs in the full tile's order: same bits.
        var rng = new Random(23);
        foreach (var cfg in new[] { GemmConfig.For(Isa.Avx512), GemmConfig.For(Isa.Avx512, 16), GemmConfig.For(Isa.Avx2) })
        {
            if (cfg.Isa == Isa.Avx2 && !IsaSupport.IsSupported(Isa.Avx2))
            {
                continue;
            }

            int kc = 37;
            float[] a = OpTest.Random(rng, kc * cfg.MR), b = OpTest.Random(rng, kc * cfg.NR), c = OpTest.Random(rng, cfg.MR * cfg.NR);
            foreach (bool accumulate in new[] { false, true })
            {
                using var pa = new OpBuffer(a);
                using var pb = new OpBuffer(b);
                using var full = new OpBuffer(c);
                using var narrow = new OpBuffer(c);
                if (cfg.Isa == Isa.Avx2)
                {
                    GemmMicroKernels.Avx2x6x16(kc, pa.Pointer, pb.Pointer, full.Pointer, cfg.NR, accumulate);
                    GemmMicroKernels.Narrow8<Count6>(kc, pa.Pointer, pb.Pointer, cfg.NR, narrow.Pointer, cfg.NR, accumulate);
                    GemmMicroKernels.Narrow8<Count6>(kc, pa.Pointer, pb.Pointer + 8, cfg.NR, narrow.Pointer + 8, cfg.NR, accumulate);
                }
                else
                {
                    if (cfg.MR == 12)
                    {
                        GemmMicroKernels.Avx512x12x32(kc, pa.Pointer, pb.Pointer, full.Pointer, cfg.NR, accumulate, null, null, 0, FusedActivation.None);
                        GemmMicroKernels.Narrow16<Count12>(kc, pa.Pointer, pb.Pointer, cfg.NR, narrow.Pointer, cfg.NR, accumulate);
                        GemmMicroKernels.Narrow8<Count12>(kc, pa.Pointer, pb.Pointer + 16, cfg.NR, narrow.Pointer + 16, cfg.NR, accumulate);
                        GemmMicroKernels.Narrow8<Count12>(kc, pa.Pointer, pb.Pointer + 24, cfg.NR, narrow.Pointer + 24, cfg.NR, accumulate);
                    }
                    else
                    {
                        GemmMicroKernels.Avx512x8x32(kc, pa.Pointer, pb.Pointer, full.Pointer, cfg.NR, accumulate, null, null, 0, FusedActivation.None);
                        GemmMicroKernels.Narrow16<Count8>(kc, pa.Pointer, pb.Pointer, cfg.NR, narrow.Pointer, cfg.NR, accumulate);
                        GemmMicroKernels.Narrow16<Count8>(kc, pa.Pointer, pb.Pointer + 16, cfg.NR, narrow.Pointer + 16, cfg.NR, accumulate);
                    }
                }

                Assert.Equal(full.ToArray(), narrow.ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelReference.IsaData), MemberType = typeof(KernelReference))]
    public void EveryColumnRemainderMatchesAndThreadCountsGiveTheSameBits(string isaName)
    {
        // N = 64 + r for every remainder r of the widest tile (the edge tiles of 16 and 8 columns and the full one),
        // with two K blocks (the accumulate path) and rows that do not fill the last panel.
        var isa = Enum.Parse<Isa>(isaName);
        var rng = new Random(29);
        int m = 29, k = 300;
        for (int n = 65; n <= 96; n += isa == Isa.Avx512 ? 1 : 3)
        {
            float[] a = OpTest.Random(rng, m * k), b = OpTest.Random(rng, k * n), c0 = OpTest.Random(rng, m * n);
            var expected = KernelReference.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0.5f, c0, n);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var pa = new OpBuffer(a);
                using var pb = new OpBuffer(b);
                using var pc = new OpBuffer(c0);
                using var scratch = new ScratchBuffer(Sgemm.ScratchBytes(m, n, k, threads));
                using var pool = new WorkerPool(threads);
                Sgemm.Multiply(false, false, m, n, k, 1f, pa.Pointer, k, pb.Pointer, n, 0.5f, pc.Pointer, n, scratch.Pointer, pool, isa);
                float[] got = pc.ToArray();
                KernelReference.Close(expected, got, $"{isa} n={n} threads={threads}");
                first ??= got;
                Assert.Equal(first, got);
            }
        }
    }

    public static TheoryData<string> InPlaceBIsas()
    {
        var data = new TheoryData<string>();
        foreach (var isa in new[] { Isa.Vector128, Isa.Avx2 }.Where(IsaSupport.IsSupported))
        {
            data.Add(isa.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InPlaceBIsas))]
    public void RowMajorBReadInPlaceGivesThePackedBits(string isaName)
    {
        // 1×1 convolutions (B = the input, row-major): maps whose rows are not a whole number of panels (27×27, 7×7) and
        // whose row stride is not a multiple of a vector; K of one and of two blocks (the accumulate path); row counts
        // that leave a partial last panel; bias, residual and a clamp (the fused store) and a leaky ReLU (the tile copy);
        // 1 and 2 threads (shared by columns, or by rows where there are fewer columns than rows: 5×5 64→40). On AVX2 the
        // last partial panel is read in place too (masked and strip kernels, masked loads up to B's last element). Read in
        // place and packed, the FMAs are the same, in the same order (the same K blocks): the bits must be too.
        var isa = Enum.Parse<Isa>(isaName);
        var rng = new Random(41);
        foreach (var (cin, hw, cout) in new[] { (64, 27, 29), (300, 7, 16), (144, 14, 24), (96, 4, 6), (64, 5, 40) })
        {
            var s = new Conv2dShape(cin, hw, hw, cout, hw, hw, 1, 1, 1, 1, 1, 1, 0, 0, 1);
            float[] x = OpTest.Random(rng, cin * hw * hw), w = OpTest.Random(rng, cout * cin), bias = OpTest.Random(rng, cout);
            float[] residual = OpTest.Random(rng, cout * hw * hw);
            foreach (var act in new[] { Activation.Clip(0f, 6f), new Activation(ActivationKind.LeakyRelu, 0.1f) })
            {
                foreach (bool withResidual in new[] { false, true })
                {
                    var expected = KernelReference.Conv(s, x, w, bias, act, withResidual ? residual : null);
                    foreach (int threads in new[] { 1, 2 })
                    {
                        float[] inPlace = RunPointwise(s, x, w, bias, act, withResidual ? residual : null, isa, threads, allowBInPlace: true);
                        float[] packed = RunPointwise(s, x, w, bias, act, withResidual ? residual : null, isa, threads, allowBInPlace: false);
                        string what = $"{isa} {cin}->{cout} {hw}x{hw} {act.Kind} residual={withResidual} threads={threads}";
                        KernelReference.Close(expected, inPlace, what);
                        Assert.True(packed.AsSpan().SequenceEqual(inPlace), $"{what}: read in place differs from packed.");
                    }
                }
            }
        }
    }

    private static float[] RunPointwise(in Conv2dShape s, float[] x, float[] w, float[] bias, Activation act, float[]? residual, Isa isa, int threads, bool allowBInPlace)
    {
        using var kernel = Conv2dKernel.Create(s, w, bias, act, residual != null, isa, threads, ConvAlgorithm.Auto, ConvLayout.Planar);
        Assert.NotNull(kernel.Gemm);
        kernel.Gemm!.AllowBInPlace = allowBInPlace;
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(s.OutChannels * s.OutHeight * s.OutWidth);
        if (residual != null)
        {
            residual.CopyTo(py.Span);
        }

        using var scratch = new ScratchBuffer(kernel.ScratchBytes);
        using var pool = new WorkerPool(threads);
        kernel.Run(px.Pointer, py.Pointer, residual != null ? py.Pointer : null, scratch.Pointer, pool);
        Assert.Equal(allowBInPlace, kernel.Gemm.ReadsBInPlace);
        return py.ToArray();
    }

    [Fact]
    public void ReadInPlaceTheWorkIsCutIntoAboutFourItemsPerThread()
    {
        var cfg = GemmConfig.For(Isa.Avx2);

        // SqueezeNet's 13×13 64→256 (fewer columns than rows): one column block; packed, one row half per thread, read
        // in place, 8 row ranges.
        var rows = new GemmWork(cfg, 256, 169, 64, 2) { AllowBInPlace = false };
        Assert.Equal((1, 2), (rows.ColumnBlocks, rows.RowChunks));
        rows.AllowBInPlace = true;
        Assert.True(rows.ReadsBInPlace);
        Assert.Equal((1, 8), (rows.ColumnBlocks, rows.RowChunks));
        Assert.Equal(8, rows.Items);

        // MobileNetV2's 14×14 576→96 (more columns than rows): 2 blocks of 6–7 panels in 2 row halves packed, 8 column
        // ranges read in place; one thread keeps the 2 blocks.
        var columns = new GemmWork(cfg, 96, 196, 576, 2) { AllowBInPlace = false };
        Assert.Equal((2, 2), (columns.ColumnBlocks, columns.RowChunks));
        columns.AllowBInPlace = true;
        Assert.Equal((8, 1), (columns.ColumnBlocks, columns.RowChunks));
        var one = new GemmWork(cfg, 96, 196, 576, 1);
        Assert.Equal((2, 1), (one.ColumnBlocks, one.RowChunks));
    }

    [Fact]
    public void ShallowGemmsKeepBPackedInWideBlocks()
    {
        // K = 16 (MobileNetV2's 112×112 16→96): B packed, in blocks of 256·192 / 16 = 3072 columns (192 panels), so
        // 12544 columns are 5 blocks, not 66; on AVX-512 the blocks stay 192 columns.
        var avx2 = new GemmWork(GemmConfig.For(Isa.Avx2), 96, 12544, 16, 1);
        Assert.False(avx2.ReadsBInPlace);
        Assert.Equal(5, avx2.ColumnBlocks);
        Assert.Equal(66, new GemmWork(GemmConfig.For(Isa.Avx512), 96, 12544, 16, 1).ColumnBlocks);
    }

    [Fact]
    public void WideWeightsKeepBPacked()
    {
        // MobileNetV2's 7×7 960→160: 27 row panels × 256 of K, 162 KiB of A, over the in-place limit.
        var s = new Conv2dShape(960, 7, 7, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        using var kernel = Conv2dKernel.Create(s, new float[960 * 160], new float[160], Activation.None, false, Isa.Vector128, 1, ConvAlgorithm.Auto, ConvLayout.Planar);
        kernel.Gemm!.B = GemmBSource.Dense(null, 49, false);
        Assert.False(kernel.Gemm.ReadsBInPlace);
        kernel.Gemm.Configure(24, 49, 960);
        Assert.True(kernel.Gemm.ReadsBInPlace);
    }

    [Fact]
    public void ColumnBlocksAreEvenAndShareOutBetweenThreads()
    {
        var cfg = GemmConfig.For(Isa.Avx512);

        // 56×56 = 98 panels of 32: 17 blocks of at most 6 panels on one thread, 18 (9 per thread) on two.
        Assert.Equal(17, new GemmWork(cfg, 144, 3136, 24, 1).ColumnBlocks);
        var two = new GemmWork(cfg, 144, 3136, 24, 2);
        Assert.Equal(18, two.ColumnBlocks);
        Assert.Equal(1, two.RowChunks);

        // 7×7 = 49 columns: one block, cut into one row range per thread.
        var small = new GemmWork(cfg, 960, 49, 160, 2);
        Assert.Equal(1, small.ColumnBlocks);
        Assert.Equal(2, small.RowChunks);
        Assert.Equal(2, small.Items);
    }

    [Fact]
    public void Avx512PicksTheTileThatPadsFewestRows()
    {
        Assert.Equal(12, GemmConfig.For(Isa.Avx512, 96).MR);
        Assert.Equal(12, GemmConfig.For(Isa.Avx512, 512).MR);
        Assert.Equal(8, GemmConfig.For(Isa.Avx512, 16).MR);
        Assert.Equal(8, GemmConfig.For(Isa.Avx512, 64).MR);
        Assert.Equal(6, GemmConfig.For(Isa.Avx2, 64).MR);
    }
}

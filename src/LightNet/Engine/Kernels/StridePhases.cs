using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// The stride-phase split of a padded input plane for a depthwise convolution (<see cref="ConvDepthwise"/>) or a
/// few-channel stem (<see cref="ConvStemDirect"/>): padded element (y, x) goes to phase
/// (y mod sh, x mod sw), row y / sh, column x / sw, each phase <see cref="PhaseHeight"/> × <see cref="PhaseWidth"/>.
/// Output (oy, ox) then reads, for every tap, phase element (oy + a, ox + b), so all output rows of a channel are one
/// contiguous run of (OH−1)·PhaseWidth + OW values, whatever the stride or dilation.
/// </summary>
internal readonly struct StridePhases
{
    private readonly Conv2dShape _shape;

    public StridePhases(in Conv2dShape s)
    {
        _shape = s;
        PaddedHeight = ((s.OutHeight - 1) * s.StrideHeight) + ((s.KernelHeight - 1) * s.DilationHeight) + 1;
        PaddedWidth = ((s.OutWidth - 1) * s.StrideWidth) + ((s.KernelWidth - 1) * s.DilationWidth) + 1;
        PhaseHeight = (PaddedHeight + s.StrideHeight - 1) / s.StrideHeight;
        PhaseWidth = (PaddedWidth + s.StrideWidth - 1) / s.StrideWidth;
        TapOffsets = new int[s.KernelHeight * s.KernelWidth];
        for (int ky = 0; ky < s.KernelHeight; ky++)
        {
            for (int kx = 0; kx < s.KernelWidth; kx++)
            {
                int dy = ky * s.DilationHeight, dx = kx * s.DilationWidth;
                int phase = ((dy % s.StrideHeight) * s.StrideWidth) + (dx % s.StrideWidth);
                TapOffsets[(ky * s.KernelWidth) + kx] = (((phase * PhaseHeight) + (dy / s.StrideHeight)) * PhaseWidth) + (dx / s.StrideWidth);
            }
        }

        RunLength = ((s.OutHeight - 1) * PhaseWidth) + s.OutWidth;
        PlaneElements = (long)s.StrideHeight * s.StrideWidth * PhaseHeight * PhaseWidth;
    }

    /// <summary>Rows of the padded input the outputs read.</summary>
    public int PaddedHeight { get; }

    /// <summary>Columns of the padded input the outputs read.</summary>
    public int PaddedWidth { get; }

    /// <summary>Rows of one phase.</summary>
    public int PhaseHeight { get; }

    /// <summary>Columns of one phase (the row pitch of the output run).</summary>
    public int PhaseWidth { get; }

    /// <summary>Offset of each tap (ky·kw + kx) in the split plane, relative to output (oy, ox) at oy·PhaseWidth + ox.</summary>
    public int[] TapOffsets { get; }

    /// <summary>Values of the run that holds all output rows: (OH−1)·PhaseWidth + OW.</summary>
    public int RunLength { get; }

    /// <summary>Elements of the split plane (all phases).</summary>
    public long PlaneElements { get; }

    /// <summary>
    /// Copies one channel plane (<paramref name="src"/>, InHeight × InWidth) into <paramref name="plane"/> split by
    /// phase: every padded row and column the outputs read, zeros where the padding is. Rows of a phase past the
    /// padded height are not written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void Fill(float* src, float* plane)
    {
        int sh = _shape.StrideHeight, sw = _shape.StrideWidth, pw = PhaseWidth, w = _shape.InWidth, h = _shape.InHeight;
        long subFloats = (long)PhaseHeight * pw;
        for (int yp = 0; yp < PaddedHeight; yp++)
        {
            // Row yp / sh of the sub-planes of row phase yp mod sh; column phase ph is sub-plane (yp mod sh)·sw + ph.
            float* dst = plane + (((yp % sh) * sw) * subFloats) + ((long)(yp / sh) * pw);
            int iy = yp - _shape.PadTop;
            if ((uint)iy >= (uint)h)
            {
                for (int ph = 0; ph < sw; ph++)
                {
                    new Span<float>(dst + (ph * subFloats), pw).Clear();
                }

                continue;
            }

            float* s = src + ((long)iy * w);
            if (sw == 1)
            {
                int left = Math.Min(_shape.PadLeft, pw);
                int copy = Math.Clamp(pw - left, 0, w);
                new Span<float>(dst, left).Clear();
                new ReadOnlySpan<float>(s, copy).CopyTo(new Span<float>(dst + left, copy));
                new Span<float>(dst + left + copy, pw - left - copy).Clear();
                continue;
            }

            if (sw == 2 && Avx2.IsSupported)
            {
                FillRowStride2(s, dst, dst + subFloats, pw, w, _shape.PadLeft);
                continue;
            }

            for (int ph = 0; ph < sw; ph++)
            {
                // Phase ph holds padded columns ph, ph+sw, ...: input column ix = ph - padLeft + sw·i.
                float* d = dst + (ph * subFloats);
                int first = ph - _shape.PadLeft;
                int iLo = first >= 0 ? 0 : Math.Min(pw, (-first + sw - 1) / sw);
                int iHi = Math.Clamp(first >= w ? 0 : ((w - 1 - first) / sw) + 1, iLo, pw);
                int i = 0;
                for (; i < iLo; i++)
                {
                    d[i] = 0f;
                }

                float* sp = s + first;
                for (; i < iHi; i++)
                {
                    d[i] = sp[i * sw];
                }

                for (; i < pw; i++)
                {
                    d[i] = 0f;
                }
            }
        }
    }

    // Stride 2: even[i] = src[2i - pad], odd[i] = src[2i + 1 - pad] (0 outside the row), 8 of each per AVX2 step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FillRowStride2(float* src, float* even, float* odd, int pw, int w, int pad)
    {
        float* s0 = src - pad;
        int i = 0;
        for (; i < pw && (2 * i) - pad < 0; i++)
        {
            even[i] = 0f;
            odd[i] = (uint)((2 * i) + 1 - pad) < (uint)w ? s0[(2 * i) + 1] : 0f;
        }

        for (; i + 8 <= pw && (2 * i) + 15 - pad <= w - 1; i += 8)
        {
            var a = Avx.LoadVector256(s0 + (2 * i));
            var b = Avx.LoadVector256(s0 + (2 * i) + 8);
            Avx.Store(even + i, Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle());
            Avx.Store(odd + i, Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle());
        }

        for (; i < pw; i++)
        {
            int x = (2 * i) - pad;
            even[i] = (uint)x < (uint)w ? s0[2 * i] : 0f;
            odd[i] = (uint)(x + 1) < (uint)w ? s0[(2 * i) + 1] : 0f;
        }
    }
}

namespace LightNet.Engine.Kernels;

/// <summary>
/// The stride-phase split of a padded input plane for a depthwise convolution: padded element (y, x) goes to phase
/// (y mod sh, x mod sw), row y / sh, column x / sw, each phase <see cref="PhaseHeight"/> × <see cref="PhaseWidth"/>.
/// Output (oy, ox) then reads, for every tap, phase element (oy + a, ox + b), so all output rows of a channel are one
/// contiguous run of (OH−1)·PhaseWidth + OW values, whatever the stride or dilation.
/// </summary>
internal readonly struct StridePhases
{
    public StridePhases(in Conv2dShape s)
    {
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
}

namespace LightNet.Preprocessing;

/// <summary>
/// Everything that depends only on the source size and the options: where the image lands on the output canvas,
/// the horizontal and vertical resampling taps, the source columns they read and the per-value normalisation
/// coefficients of one intermediate row. Immutable, so one plan can serve several threads.
/// </summary>
internal sealed class ResizePlan
{
    private ResizePlan(int sourceWidth, int sourceHeight, int regionX, int regionY, int regionWidth, int regionHeight,
        ResizeKernel horizontal, ResizeKernel vertical, bool hasBorder, float[] rowScale, float[] rowBias)
    {
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        RegionX = regionX;
        RegionY = regionY;
        RegionWidth = regionWidth;
        RegionHeight = regionHeight;
        Horizontal = horizontal;
        Vertical = vertical;
        HasBorder = hasBorder;
        RowScale = rowScale;
        RowBias = rowBias;
        FirstColumn = horizontal.FirstSource;
        ColumnCount = horizontal.EndSource - FirstColumn;
    }

    public int SourceWidth { get; }

    public int SourceHeight { get; }

    /// <summary>Left of the image content on the canvas (non-zero for letterboxing only).</summary>
    public int RegionX { get; }

    /// <summary>Top of the image content on the canvas (non-zero for letterboxing only).</summary>
    public int RegionY { get; }

    public int RegionWidth { get; }

    public int RegionHeight { get; }

    public ResizeKernel Horizontal { get; }

    public ResizeKernel Vertical { get; }

    /// <summary>True when parts of the canvas get the letterbox fill.</summary>
    public bool HasBorder { get; }

    /// <summary>Multiplier per value of an intermediate row (scale / std of its channel).</summary>
    public float[] RowScale { get; }

    /// <summary>Offset per value of an intermediate row (−mean / std of its channel).</summary>
    public float[] RowBias { get; }

    /// <summary>First source column the horizontal pass reads.</summary>
    public int FirstColumn { get; }

    /// <summary>Number of source columns the vertical pass must resample (those the crop needs).</summary>
    public int ColumnCount { get; }

    /// <summary>Computes the geometry for a <paramref name="width"/> × <paramref name="height"/> source.</summary>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="options">The options.</param>
    /// <param name="a">scale / std per tensor channel.</param>
    /// <param name="b">−mean / std per tensor channel.</param>
    public static ResizePlan Create(int width, int height, PreprocessOptions options, float[] a, float[] b)
    {
        int outW = options.Width;
        int outH = options.Height;
        int regionX = 0, regionY = 0, regionW = outW, regionH = outH;
        ResizeKernel horizontal, vertical;
        switch (options.ResizeMode)
        {
            case ResizeMode.ShorterSideCenterCrop:
            {
                // torchvision: the shorter side becomes S, the longer int(S · long / short); crop offsets
                // int(round((resized − crop) / 2)) with Python's round-half-to-even.
                int s = options.ResizeShorterSide;
                int resizedW, resizedH;
                if (width <= height)
                {
                    resizedW = s;
                    resizedH = (int)Math.Max((long)s * height / width, s);
                }
                else
                {
                    resizedH = s;
                    resizedW = (int)Math.Max((long)s * width / height, s);
                }

                int left = (int)Math.Round((resizedW - outW) / 2.0, MidpointRounding.ToEven);
                int top = (int)Math.Round((resizedH - outH) / 2.0, MidpointRounding.ToEven);
                horizontal = ResizeKernel.Create(width, resizedW, left, outW, options.Resampler);
                vertical = ResizeKernel.Create(height, resizedH, top, outH, options.Resampler);
                break;
            }

            case ResizeMode.Stretch:
                horizontal = ResizeKernel.Create(width, outW, 0, outW, options.Resampler);
                vertical = ResizeKernel.Create(height, outH, 0, outH, options.Resampler);
                break;

            default:
            {
                double scale = Math.Min((double)outW / width, (double)outH / height);
                regionW = Math.Clamp((int)Math.Round(width * scale), 1, outW);
                regionH = Math.Clamp((int)Math.Round(height * scale), 1, outH);
                regionX = (outW - regionW) / 2;
                regionY = (outH - regionH) / 2;
                horizontal = ResizeKernel.Create(width, regionW, 0, regionW, options.Resampler);
                vertical = ResizeKernel.Create(height, regionH, 0, regionH, options.Resampler);
                break;
            }
        }

        bool planar = options.Layout == TensorLayout.Nchw;
        var rowScale = new float[3 * regionW];
        var rowBias = new float[3 * regionW];
        for (int x = 0; x < regionW; x++)
        {
            for (int c = 0; c < 3; c++)
            {
                int i = planar ? c * regionW + x : 3 * x + c;
                rowScale[i] = a[c];
                rowBias[i] = b[c];
            }
        }

        bool hasBorder = regionW != outW || regionH != outH;
        return new ResizePlan(width, height, regionX, regionY, regionW, regionH, horizontal, vertical, hasBorder, rowScale, rowBias);
    }
}

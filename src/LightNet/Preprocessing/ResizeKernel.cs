namespace LightNet.Preprocessing;

/// <summary>
/// The taps of a one-dimensional resampling: for each output position, the first source index, how many source
/// values it reads and their weights (normalised to sum 1). Built the way Pillow builds them (support widened by the
/// scale factor when shrinking, so shrinking is antialiased), for any crop offset within the resized image.
/// </summary>
internal sealed class ResizeKernel
{
    private ResizeKernel(int[] starts, int[] counts, float[] weights, int maxTaps)
    {
        Starts = starts;
        Counts = counts;
        Weights = weights;
        MaxTaps = maxTaps;
    }

    /// <summary>First source index per output position.</summary>
    public int[] Starts { get; }

    /// <summary>Number of source values per output position.</summary>
    public int[] Counts { get; }

    /// <summary>Weights, <see cref="MaxTaps"/> per output position.</summary>
    public float[] Weights { get; }

    /// <summary>Stride of <see cref="Weights"/>.</summary>
    public int MaxTaps { get; }

    /// <summary>Smallest source index any output reads.</summary>
    public int FirstSource => Starts.Length == 0 ? 0 : Starts.Min();

    /// <summary>One past the largest source index any output reads.</summary>
    public int EndSource
    {
        get
        {
            int end = 0;
            for (int i = 0; i < Starts.Length; i++)
            {
                end = Math.Max(end, Starts[i] + Counts[i]);
            }

            return end;
        }
    }

    /// <summary>
    /// Maps <paramref name="count"/> outputs, which are positions <paramref name="offset"/> … offset + count − 1 of a
    /// virtual image <paramref name="resizedSize"/> long, onto <paramref name="sourceSize"/> source values.
    /// </summary>
    public static ResizeKernel Create(int sourceSize, int resizedSize, int offset, int count, Resampler resampler)
    {
        double scale = (double)sourceSize / resizedSize;
        var starts = new int[count];
        var counts = new int[count];
        if (resampler == Resampler.NearestNeighbor)
        {
            var ones = new float[count];
            for (int i = 0; i < count; i++)
            {
                double center = (i + offset + 0.5) * scale;
                starts[i] = Math.Clamp((int)Math.Floor(center), 0, sourceSize - 1);
                counts[i] = 1;
                ones[i] = 1f;
            }

            return new ResizeKernel(starts, counts, ones, 1);
        }

        double radius = resampler == Resampler.Bicubic ? 2.0 : 1.0;
        double filterScale = Math.Max(scale, 1.0);
        double support = radius * filterScale;
        int maxTaps = (int)Math.Ceiling(support) * 2 + 1;
        var weights = new float[count * maxTaps];
        var scratch = new double[maxTaps];
        for (int i = 0; i < count; i++)
        {
            double center = (i + offset + 0.5) * scale;
            int min = Math.Max((int)Math.Floor(center - support + 0.5), 0);
            int max = Math.Min((int)Math.Floor(center + support + 0.5), sourceSize);
            int n = Math.Min(Math.Max(max - min, 0), maxTaps);
            double sum = 0;
            for (int k = 0; k < n; k++)
            {
                double w = Filter((min + k - center + 0.5) / filterScale, resampler);
                scratch[k] = w;
                sum += w;
            }

            if (n == 0 || sum == 0)
            {
                // Only reachable for degenerate geometry: fall back to the nearest pixel.
                min = Math.Clamp((int)Math.Floor(center), 0, sourceSize - 1);
                n = 1;
                scratch[0] = 1;
                sum = 1;
            }

            // Trim zero-weight taps at both ends so the loops read as little as possible.
            int first = 0;
            while (first < n - 1 && scratch[first] == 0)
            {
                first++;
            }

            int last = n - 1;
            while (last > first && scratch[last] == 0)
            {
                last--;
            }

            starts[i] = min + first;
            counts[i] = last - first + 1;
            for (int k = first; k <= last; k++)
            {
                weights[i * maxTaps + k - first] = (float)(scratch[k] / sum);
            }
        }

        return new ResizeKernel(starts, counts, weights, maxTaps);
    }

    private static double Filter(double x, Resampler resampler)
    {
        x = Math.Abs(x);
        if (resampler == Resampler.Bilinear)
        {
            return x < 1 ? 1 - x : 0;
        }

        const double a = -0.5;
        if (x < 1)
        {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }

        return x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
    }
}

namespace LightNet.Operators.ControlFlow;

/// <summary>Discrete Fourier transforms in double precision: radix-2 FFT for powers of two, Bluestein's algorithm otherwise.</summary>
internal static class Fourier
{
    /// <summary>
    /// In-place unnormalized DFT of (<paramref name="re"/>, <paramref name="im"/>): X_k = sum x_j e^(∓2πi jk/n), the
    /// plus sign when <paramref name="inverse"/>.
    /// </summary>
    public static void Transform(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        if (n <= 1)
        {
            return;
        }

        if ((n & (n - 1)) == 0)
        {
            Radix2(re, im, inverse);
            return;
        }

        Bluestein(re, im, inverse);
    }

    private static void Radix2(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }

            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        double sign = inverse ? 1 : -1;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1;
            for (int k = 0; k < half; k++)
            {
                double angle = sign * 2 * Math.PI * k / len;
                double wr = Math.Cos(angle), wi = Math.Sin(angle);
                for (int s = 0; s < n; s += len)
                {
                    int a = s + k, b = a + half;
                    double tr = (re[b] * wr) - (im[b] * wi), ti = (re[b] * wi) + (im[b] * wr);
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }

    private static void Bluestein(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        int m = 1;
        while (m < (2 * n) - 1)
        {
            m = checked(m * 2);
        }

        double sign = inverse ? 1 : -1;
        var wr = new double[n];
        var wi = new double[n];
        for (int k = 0; k < n; k++)
        {
            long k2 = (long)k * k % (2L * n);
            double angle = sign * Math.PI * k2 / n;
            wr[k] = Math.Cos(angle);
            wi[k] = Math.Sin(angle);
        }

        var ar = new double[m];
        var ai = new double[m];
        var br = new double[m];
        var bi = new double[m];
        for (int k = 0; k < n; k++)
        {
            ar[k] = (re[k] * wr[k]) - (im[k] * wi[k]);
            ai[k] = (re[k] * wi[k]) + (im[k] * wr[k]);
            br[k] = wr[k];
            bi[k] = -wi[k];
            if (k > 0)
            {
                br[m - k] = wr[k];
                bi[m - k] = -wi[k];
            }
        }

        Radix2(ar, ai, false);
        Radix2(br, bi, false);
        for (int k = 0; k < m; k++)
        {
            double r = (ar[k] * br[k]) - (ai[k] * bi[k]);
            ai[k] = (ar[k] * bi[k]) + (ai[k] * br[k]);
            ar[k] = r;
        }

        Radix2(ar, ai, true);
        for (int k = 0; k < n; k++)
        {
            double cr = ar[k] / m, ci = ai[k] / m;
            re[k] = (cr * wr[k]) - (ci * wi[k]);
            im[k] = (cr * wi[k]) + (ci * wr[k]);
        }
    }
}

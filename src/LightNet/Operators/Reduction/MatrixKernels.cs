using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNet.Operators.Reduction;

/// <summary>Row-major matrix products in i-k-j order (the inner loop a vectorized multiply-add over a row of B).</summary>
internal static class MatrixKernels
{
    /// <summary>c[cOff..] (m x n) += a[aOff..] (m x k) * b[bOff..] (k x n).</summary>
    public static void MultiplyAdd(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int k, int n)
    {
        for (int i = 0; i < m; i++)
        {
            Span<double> row = c.AsSpan(cOff + (i * n), n);
            for (int p = 0; p < k; p++)
            {
                Axpy(a[aOff + (i * k) + p], b.AsSpan(bOff + (p * n), n), row);
            }
        }
    }

    /// <summary>c[cOff..] (m x n) += a[aOff..] (m x k) * b[bOff..] (k x n), wrapping 64-bit integers.</summary>
    public static void MultiplyAdd(long[] a, int aOff, long[] b, int bOff, long[] c, int cOff, int m, int k, int n)
    {
        unchecked
        {
            for (int i = 0; i < m; i++)
            {
                int ci = cOff + (i * n);
                for (int p = 0; p < k; p++)
                {
                    long s = a[aOff + (i * k) + p];
                    int bp = bOff + (p * n);
                    for (int j = 0; j < n; j++)
                    {
                        c[ci + j] += s * b[bp + j];
                    }
                }
            }
        }
    }

    /// <summary>y += s * x.</summary>
    public static void Axpy(double s, ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var vs = new Vector<double>(s);
            ReadOnlySpan<Vector<double>> xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            Span<Vector<double>> yv = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            for (int v = 0; v < xv.Length; v++)
            {
                yv[v] += vs * xv[v];
            }

            i = xv.Length * Vector<double>.Count;
        }

        for (; i < x.Length; i++)
        {
            y[i] += s * x[i];
        }
    }

    /// <summary>The transpose of a row-major rows x cols matrix.</summary>
    public static T[] Transpose<T>(T[] a, int rows, int cols)
    {
        var t = new T[a.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = a[(r * cols) + c];
            }
        }

        return t;
    }
}

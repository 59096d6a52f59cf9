using System.Numerics;
using System.Runtime.InteropServices;

namespace LightNet.Operators.Reduction;

/// <summary>Row-major matrix products in i-k-j order (the inner loop a vectorized multiply-add over a row of B).</summary>
internal static class MatrixKernels
{
    /// <summary>c[cOff..] (m x n) += a[aOff..] (m x k) * b[bOff..] (k x n).</summary>
    public static void MultiplyAdd(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int k, int n)
    {
        // Blocks of B rows (about 256 KiB) stay in cache while every row of A uses them.
        int block = Math.Max(8, 32768 / Math.Max(n, 1));
        for (int p0 = 0; p0 < k; p0 += block)
        {
            int p1 = Math.Min(k, p0 + block);
            for (int i = 0; i < m; i++)
            {
                Span<double> row = c.AsSpan(cOff + (i * n), n);
                int ai = aOff + (i * k);
                for (int p = p0; p < p1; p++)
                {
                    Axpy(a[ai + p], b.AsSpan(bOff + (p * n), n), row);
                }
            }
        }
    }

    /// <summary>c[cOff..] (m x n) += a[aOff..] (m x k) * b[bOff..] (k x n) in single precision (float32 operands, as ONNX Runtime computes them).</summary>
    public static void MultiplyAdd(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n)
    {
        int w = Vector<float>.Count;
        int vectorColumns = Vector.IsHardwareAccelerated ? n / w * w : 0;
        int block = Math.Max(8, 65536 / Math.Max(n, 1));
        for (int p0 = 0; p0 < k; p0 += block)
        {
            int p1 = Math.Min(k, p0 + block);
            int i = 0;

            // Four rows of C at a time, one vector of columns each, held in registers across the k block.
            for (; i + 4 <= m; i += 4)
            {
                int a0 = aOff + (i * k), a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                for (int j = 0; j < vectorColumns; j += w)
                {
                    int c0 = cOff + (i * n) + j;
                    var s0 = new Vector<float>(c, c0);
                    var s1 = new Vector<float>(c, c0 + n);
                    var s2 = new Vector<float>(c, c0 + (2 * n));
                    var s3 = new Vector<float>(c, c0 + (3 * n));
                    for (int p = p0; p < p1; p++)
                    {
                        var bv = new Vector<float>(b, bOff + (p * n) + j);
                        s0 += a[a0 + p] * bv;
                        s1 += a[a1 + p] * bv;
                        s2 += a[a2 + p] * bv;
                        s3 += a[a3 + p] * bv;
                    }

                    s0.CopyTo(c, c0);
                    s1.CopyTo(c, c0 + n);
                    s2.CopyTo(c, c0 + (2 * n));
                    s3.CopyTo(c, c0 + (3 * n));
                }

                for (int r = i; r < i + 4 && vectorColumns < n; r++)
                {
                    int ar = aOff + (r * k), cr = cOff + (r * n);
                    for (int p = p0; p < p1; p++)
                    {
                        float s = a[ar + p];
                        int bp = bOff + (p * n);
                        for (int col = vectorColumns; col < n; col++)
                        {
                            c[cr + col] += s * b[bp + col];
                        }
                    }
                }
            }

            for (; i < m; i++)
            {
                Span<float> row = c.AsSpan(cOff + (i * n), n);
                int ai = aOff + (i * k);
                for (int p = p0; p < p1; p++)
                {
                    Axpy(a[ai + p], b.AsSpan(bOff + (p * n), n), row);
                }
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

    /// <summary>y += s * x.</summary>
    public static void Axpy(float s, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var vs = new Vector<float>(s);
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(y[..x.Length]);
            for (int v = 0; v < xv.Length; v++)
            {
                yv[v] += vs * xv[v];
            }

            i = xv.Length * Vector<float>.Count;
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

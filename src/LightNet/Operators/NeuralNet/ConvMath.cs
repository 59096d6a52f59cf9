using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LightNet.Operators.NeuralNet;

/// <summary>The dense kernels shared by the convolution operators: a blocked GEMM, im2col and the col2im scatter.</summary>
internal static class ConvMath
{
    private const int BlockN = 256;
    private const int BlockK = 128;

    /// <summary>C[M, N] += A[M, K] * B[K, N], all row-major at the given offsets (register-blocked 4 x 2 vectors).</summary>
    public static void Gemm(double[] a, int aOff, int m, int k, double[] b, int bOff, int n, double[] c, int cOff)
    {
        if (m <= 0 || n <= 0 || k <= 0)
        {
            return;
        }

        int vw = Vector<double>.Count;
        ref double ar = ref MemoryMarshal.GetArrayDataReference(a);
        ref double br = ref MemoryMarshal.GetArrayDataReference(b);
        ref double cr = ref MemoryMarshal.GetArrayDataReference(c);
        _ = a[aOff + (m * k) - 1];
        _ = b[bOff + (k * n) - 1];
        _ = c[cOff + (m * n) - 1];
        for (int n0 = 0; n0 < n; n0 += BlockN)
        {
            int nEnd = Math.Min(n0 + BlockN, n);
            for (int k0 = 0; k0 < k; k0 += BlockK)
            {
                int kEnd = Math.Min(k0 + BlockK, k);
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    int a0 = aOff + (i * k), a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                    int c0 = cOff + (i * n), c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
                    int j = n0;
                    for (; j + (2 * vw) <= nEnd; j += 2 * vw)
                    {
                        Vector<double> s00 = Vector.LoadUnsafe(ref cr, (nuint)(c0 + j)), s01 = Vector.LoadUnsafe(ref cr, (nuint)(c0 + j + vw));
                        Vector<double> s10 = Vector.LoadUnsafe(ref cr, (nuint)(c1 + j)), s11 = Vector.LoadUnsafe(ref cr, (nuint)(c1 + j + vw));
                        Vector<double> s20 = Vector.LoadUnsafe(ref cr, (nuint)(c2 + j)), s21 = Vector.LoadUnsafe(ref cr, (nuint)(c2 + j + vw));
                        Vector<double> s30 = Vector.LoadUnsafe(ref cr, (nuint)(c3 + j)), s31 = Vector.LoadUnsafe(ref cr, (nuint)(c3 + j + vw));
                        for (int p = k0; p < kEnd; p++)
                        {
                            int bi = bOff + (p * n) + j;
                            Vector<double> b0 = Vector.LoadUnsafe(ref br, (nuint)bi), b1 = Vector.LoadUnsafe(ref br, (nuint)(bi + vw));
                            var w0 = new Vector<double>(Unsafe.Add(ref ar, a0 + p));
                            var w1 = new Vector<double>(Unsafe.Add(ref ar, a1 + p));
                            var w2 = new Vector<double>(Unsafe.Add(ref ar, a2 + p));
                            var w3 = new Vector<double>(Unsafe.Add(ref ar, a3 + p));
                            s00 += w0 * b0;
                            s01 += w0 * b1;
                            s10 += w1 * b0;
                            s11 += w1 * b1;
                            s20 += w2 * b0;
                            s21 += w2 * b1;
                            s30 += w3 * b0;
                            s31 += w3 * b1;
                        }

                        s00.StoreUnsafe(ref cr, (nuint)(c0 + j));
                        s01.StoreUnsafe(ref cr, (nuint)(c0 + j + vw));
                        s10.StoreUnsafe(ref cr, (nuint)(c1 + j));
                        s11.StoreUnsafe(ref cr, (nuint)(c1 + j + vw));
                        s20.StoreUnsafe(ref cr, (nuint)(c2 + j));
                        s21.StoreUnsafe(ref cr, (nuint)(c2 + j + vw));
                        s30.StoreUnsafe(ref cr, (nuint)(c3 + j));
                        s31.StoreUnsafe(ref cr, (nuint)(c3 + j + vw));
                    }

                    for (; j < nEnd; j++)
                    {
                        double t0 = c[c0 + j], t1 = c[c1 + j], t2 = c[c2 + j], t3 = c[c3 + j];
                        for (int p = k0; p < kEnd; p++)
                        {
                            double bv = b[bOff + (p * n) + j];
                            t0 += a[a0 + p] * bv;
                            t1 += a[a1 + p] * bv;
                            t2 += a[a2 + p] * bv;
                            t3 += a[a3 + p] * bv;
                        }

                        c[c0 + j] = t0;
                        c[c1 + j] = t1;
                        c[c2 + j] = t2;
                        c[c3 + j] = t3;
                    }
                }

                for (; i < m; i++)
                {
                    int cRow = cOff + (i * n);
                    for (int p = k0; p < kEnd; p++)
                    {
                        double w = a[aOff + (i * k) + p];
                        if (w == 0)
                        {
                            continue;
                        }

                        int bRow = bOff + (p * n);
                        var wv = new Vector<double>(w);
                        int j = n0;
                        for (; j + vw <= nEnd; j += vw)
                        {
                            (Vector.LoadUnsafe(ref cr, (nuint)(cRow + j)) + (wv * Vector.LoadUnsafe(ref br, (nuint)(bRow + j)))).StoreUnsafe(ref cr, (nuint)(cRow + j));
                        }

                        for (; j < nEnd; j++)
                        {
                            c[cRow + j] += w * b[bRow + j];
                        }
                    }
                }
            }
        }
    }

    /// <summary>col[(c * K + k) * O + o] = x[xOff + c * I + map[k * O + o]] (0 in the padding) for <paramref name="channels"/> channels.</summary>
    public static void Im2Col(double[] x, int xOff, int channels, int inCount, int[] map, int kCount, int outCount, double[] col)
    {
        for (int c = 0; c < channels; c++)
        {
            int src = xOff + (c * inCount);
            int dst = c * kCount * outCount;
            for (int i = 0; i < map.Length; i++)
            {
                int m = map[i];
                col[dst + i] = m >= 0 ? x[src + m] : 0;
            }
        }
    }

    /// <summary>y[yOff + c * I + map[k * O + o]] += col[(c * K + k) * O + o]: the adjoint of <see cref="Im2Col"/>.</summary>
    public static void Col2Im(double[] col, int colOff, int channels, int[] map, int kCount, int outCount, double[] y, int yOff, int imageCount)
    {
        for (int c = 0; c < channels; c++)
        {
            int src = colOff + (c * kCount * outCount);
            int dst = yOff + (c * imageCount);
            for (int i = 0; i < map.Length; i++)
            {
                int m = map[i];
                if (m >= 0)
                {
                    y[dst + m] += col[src + i];
                }
            }
        }
    }

    /// <summary>Fails unless the tensor is float32, float16 or float64.</summary>
    public static void RequireFloat(OpContext ctx, OpTensor t, string what)
    {
        if (t.Type is not (Onnx.TensorElementType.Float or Onnx.TensorElementType.Float16 or Onnx.TensorElementType.Double or Onnx.TensorElementType.BFloat16))
        {
            throw ctx.Unsupported($"{what} is {t.Type}; only float32, float16, bfloat16 and float64 are supported");
        }
    }
}

using System.Numerics;

namespace LightNet.Operators.NeuralNet;

/// <summary>The dense kernels shared by the convolution operators: a blocked GEMM, im2col and the col2im scatter.</summary>
internal static class ConvMath
{
    private const int BlockN = 512;

    /// <summary>C[M, N] += A[M, K] * B[K, N], all row-major at the given offsets.</summary>
    public static void Gemm(double[] a, int aOff, int m, int k, double[] b, int bOff, int n, double[] c, int cOff)
    {
        int vw = Vector<double>.Count;
        for (int n0 = 0; n0 < n; n0 += BlockN)
        {
            int len = Math.Min(BlockN, n - n0);
            for (int i = 0; i < m; i++)
            {
                Span<double> crow = c.AsSpan(cOff + (i * n) + n0, len);
                for (int p = 0; p < k; p++)
                {
                    double w = a[aOff + (i * k) + p];
                    if (w == 0)
                    {
                        continue;
                    }

                    ReadOnlySpan<double> brow = b.AsSpan(bOff + (p * n) + n0, len);
                    var wv = new Vector<double>(w);
                    int j = 0;
                    for (; j <= len - vw; j += vw)
                    {
                        var cv = new Vector<double>(crow[j..]);
                        (cv + (wv * new Vector<double>(brow[j..]))).CopyTo(crow[j..]);
                    }

                    for (; j < len; j++)
                    {
                        crow[j] += w * brow[j];
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

    /// <summary>
    /// The elements as doubles, reading unsigned integer arrays by the tensor's type: the CLR lets a byte[] match an
    /// sbyte[] pattern (and ushort[]/short[], uint[]/int[], ulong[]/long[]), so a switch on the array type alone
    /// would read unsigned values as signed.
    /// </summary>
    public static double[] Doubles(OpTensor t) => t.Type switch
    {
        Onnx.TensorElementType.UInt8 => Array.ConvertAll((byte[])t.Data, v => (double)v),
        Onnx.TensorElementType.UInt16 => Array.ConvertAll((ushort[])t.Data, v => (double)v),
        Onnx.TensorElementType.UInt32 => Array.ConvertAll((uint[])t.Data, v => (double)v),
        Onnx.TensorElementType.UInt64 => Array.ConvertAll((ulong[])t.Data, v => (double)v),
        _ => t.ToDoubles(),
    };

    /// <summary>Fails unless the tensor is float32, float16 or float64.</summary>
    public static void RequireFloat(OpContext ctx, OpTensor t, string what)
    {
        if (t.Type is not (Onnx.TensorElementType.Float or Onnx.TensorElementType.Float16 or Onnx.TensorElementType.Double or Onnx.TensorElementType.BFloat16))
        {
            throw ctx.Unsupported($"{what} is {t.Type}; only float32, float16, bfloat16 and float64 are supported");
        }
    }
}

using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class LrnTests
{
    [Theory]
    [InlineData(5, 1e-4f, 0.75f, 1f)]
    [InlineData(4, 0.02f, 0.5f, 2f)]
    [InlineData(1, 0.5f, 1f, 1f)]
    [InlineData(9, 1e-3f, 0.75f, 1f)]
    public void MatchesReferenceAndOrt(int size, float alpha, float beta, float bias)
    {
        int[] dims = [2, 7, 5, 11];
        int c = dims[1], s = dims[2] * dims[3];
        float[] x = OpTest.Random(new Random(size), OpTest.Count(dims), 3f);
        var expected = new float[x.Length];
        for (int n = 0; n < dims[0]; n++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < s; p++)
                {
                    double sq = 0;
                    for (int k = Math.Max(0, ch - ((size - 1) / 2)); k <= Math.Min(c - 1, ch + (int)Math.Ceiling((size - 1) / 2.0)); k++)
                    {
                        double v = x[(((n * c) + k) * s) + p];
                        sq += v * v;
                    }

                    int i = (((n * c) + ch) * s) + p;
                    expected[i] = (float)(x[i] / Math.Pow(bias + (alpha / size * sq), beta));
                }
            }
        }

        using var px = new OpBuffer(x);
        using var py = new OpBuffer(x.Length);
        using var pool = new WorkerPool(2);
        LrnKernel.Create(dims[0], c, s, size, alpha, beta, bias).Run(px.Pointer, py.Pointer, pool);
        OpTest.Close(expected, py.Span, 1e-5f, 1e-6f, "lrn");
        if (size % 2 == 1)
        {
            // ONNX Runtime only accepts odd sizes; the even case is checked against the reference above.
            float[] ort = OpTest.Ort("LRN", x, dims, 13, null, null,
                NodeAttribute.Int("size", size), NodeAttribute.Float("alpha", alpha), NodeAttribute.Float("beta", beta), NodeAttribute.Float("bias", bias));
            OpTest.Close(ort, py.Span, 1e-5f, 1e-6f, "lrn vs ORT");
        }

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => LrnKernel.Create(1, 3, 4, 0)).Code);
    }
}

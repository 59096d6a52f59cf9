using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class PoolingTests
{
    private static float[] ReferencePool(float[] x, in Pool2dShape s, PoolKind kind, bool includePad)
    {
        var y = new float[s.Planes * s.OutHeight * s.OutWidth];
        for (int p = 0; p < s.Planes; p++)
        {
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                for (int ow = 0; ow < s.OutWidth; ow++)
                {
                    double acc = kind == PoolKind.Max ? double.NegativeInfinity : 0;
                    int count = 0;
                    for (int i = 0; i < s.KernelHeight; i++)
                    {
                        for (int j = 0; j < s.KernelWidth; j++)
                        {
                            int r = (oh * s.StrideHeight) - s.PadTop + (i * s.DilationHeight);
                            int c = (ow * s.StrideWidth) - s.PadLeft + (j * s.DilationWidth);
                            bool inside = r >= 0 && r < s.InHeight && c >= 0 && c < s.InWidth;
                            bool inPadded = r < s.InHeight + s.PadBottom && c < s.InWidth + s.PadRight;
                            if (inside)
                            {
                                float v = x[(((p * s.InHeight) + r) * s.InWidth) + c];
                                acc = kind == PoolKind.Max ? Math.Max(acc, v) : acc + v;
                            }

                            if (includePad ? inPadded : inside)
                            {
                                count++;
                            }
                        }
                    }

                    y[(((p * s.OutHeight) + oh) * s.OutWidth) + ow] = kind == PoolKind.Max ? (float)acc : count == 0 ? 0f : (float)(acc / count);
                }
            }
        }

        return y;
    }

    private static Pool2dShape Shape(int planes, int h, int w, int k, int kw, int s, int sw, int d, int dw, int pt, int pl, int pb, int pr, bool ceil)
    {
        int oh = PoolGeometry.OutputSize(h, k, s, d, pt, pb, ceil);
        int ow = PoolGeometry.OutputSize(w, kw, sw, dw, pl, pr, ceil);
        return new Pool2dShape(planes, h, w, oh, ow, k, kw, s, sw, d, dw, pt, pl, pb, pr);
    }

    private static float[] RunKernel(float[] x, in Pool2dShape s, PoolKind kind, bool includePad, int threads = 1)
    {
        var kernel = Pool2dKernel.Create(s, kind, includePad);
        using var input = new OpBuffer(x);
        using var output = new OpBuffer(s.Planes * s.OutHeight * s.OutWidth);
        using var pool = new WorkerPool(threads);
        kernel.Run(input.Pointer, output.Pointer, pool);
        return output.ToArray();
    }

    [Fact]
    public void OutputSizeFollowsOnnxRules()
    {
        Assert.Equal(56, PoolGeometry.OutputSize(112, 3, 2, 1, 1, 1, false));
        Assert.Equal(2, PoolGeometry.OutputSize(5, 2, 2, 1, 0, 0, false));
        Assert.Equal(3, PoolGeometry.OutputSize(5, 2, 2, 1, 0, 0, true));
        // ceil_mode never starts a window in the end padding: 6 + pad 1 with k2 s2 gives 4 windows, not 5.
        Assert.Equal(4, PoolGeometry.OutputSize(6, 2, 2, 1, 1, 1, true));
        Assert.Equal(27, PoolGeometry.OutputSize(55, 3, 2, 1, 0, 0, true));
        Assert.Equal((4, 1, 2), PoolGeometry.Resolve("SAME_UPPER", 7, 4, 2, 1, 0, 0, false));
        Assert.Equal((4, 2, 1), PoolGeometry.Resolve("SAME_LOWER", 7, 4, 2, 1, 0, 0, false));
        Assert.Equal((2, 0, 0), PoolGeometry.Resolve("VALID", 7, 4, 2, 1, 5, 5, false));
        Assert.Equal((4, 1, 1), PoolGeometry.Resolve("NOTSET", 7, 3, 2, 1, 1, 1, true));
        Assert.Equal((5, 1, 1), PoolGeometry.Resolve("NOTSET", 8, 3, 2, 1, 1, 1, true));
        Assert.Equal(ErrorCode.UnsupportedOperator, Assert.Throws<LightNetException>(() => PoolGeometry.Resolve("SAME", 7, 3, 1, 1, 0, 0, false)).Code);
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => PoolGeometry.OutputSize(2, 5, 1, 1, 0, 0, false)).Code);
    }

    [Theory]
    [InlineData(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false)]   // ResNet stem pool
    [InlineData(3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true)]    // SqueezeNet ceil_mode
    [InlineData(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false)]   // stride 1
    [InlineData(2, 3, 1, 2, 1, 2, 1, 0, 0, 1, false)]   // rectangular kernel, asymmetric pads
    [InlineData(3, 2, 2, 1, 2, 1, 1, 1, 2, 0, true)]    // dilation + ceil
    [InlineData(5, 5, 3, 3, 1, 1, 2, 2, 2, 2, true)]
    [InlineData(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false)]
    [InlineData(2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false)]   // DenseNet transition (the vector 2×2 average)
    [InlineData(2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true)]    // ... an odd width's last window half outside
    [InlineData(2, 2, 2, 2, 1, 1, 1, 1, 1, 1, false)]   // ... windows half in padding at both edges
    public void MatchesScalarReference(int k, int kw, int s, int sw, int d, int dw, int pt, int pl, int pb, int pr, bool ceil)
    {
        var rng = new Random(k * 100 + s * 10 + pt);
        foreach (var (h, w) in new[] { (13, 11), (7, 9), (16, 17), (5, 55), (4, 112) })
        {
            var shape = Shape(3, h, w, k, kw, s, sw, d, dw, pt, pl, pb, pr, ceil);
            float[] x = OpTest.Random(rng, 3 * h * w);
            OpTest.Close(ReferencePool(x, shape, PoolKind.Max, false), RunKernel(x, shape, PoolKind.Max, false), 0, 0, "max");
            foreach (bool include in new[] { false, true })
            {
                var avgShape = shape with { DilationHeight = 1, DilationWidth = 1 };
                avgShape = Shape(3, h, w, k, kw, s, sw, 1, 1, pt, pl, pb, pr, ceil);
                OpTest.Close(ReferencePool(x, avgShape, PoolKind.Average, include), RunKernel(x, avgShape, PoolKind.Average, include, threads: 2), 1e-5f, 1e-6f, $"avg include={include}");
            }
        }
    }

    [Theory]
    [InlineData("MaxPool", 3, 2, 1, 0, true, false)]
    [InlineData("MaxPool", 3, 2, 1, 1, true, false)]
    [InlineData("MaxPool", 3, 2, 2, 1, false, false)]
    [InlineData("MaxPool", 3, 1, 2, 1, true, false)]
    [InlineData("AveragePool", 3, 2, 1, 1, true, false)]
    [InlineData("AveragePool", 3, 2, 1, 1, true, true)]
    [InlineData("AveragePool", 3, 2, 1, 1, false, true)]
    [InlineData("AveragePool", 2, 3, 1, 0, true, true)]
    public void AgreesWithOnnxRuntime(string op, int k, int s, int d, int pad, bool ceil, bool includePad)
    {
        var rng = new Random(7);
        int[] dims = [1, 2, 10, 9];
        float[] x = OpTest.Random(rng, OpTest.Count(dims));
        var attrs = new List<NodeAttribute>
        {
            NodeAttribute.Ints("kernel_shape", k, k), NodeAttribute.Ints("strides", s, s),
            NodeAttribute.Ints("pads", pad, pad, pad + 1, pad), NodeAttribute.Int("ceil_mode", ceil ? 1 : 0),
        };
        if (op == "MaxPool")
        {
            attrs.Add(NodeAttribute.Ints("dilations", d, d));
        }
        else
        {
            attrs.Add(NodeAttribute.Int("count_include_pad", includePad ? 1 : 0));
        }

        int[] ortDims = OpTest.OrtDims(op, x, dims, 17, null, null, [.. attrs]);
        var shape = Shape(2, 10, 9, k, k, s, s, d, d, pad, pad, pad + 1, pad, ceil);
        Assert.Equal(ortDims, new[] { 1, 2, shape.OutHeight, shape.OutWidth });
        float[] expected = OpTest.Ort(op, x, dims, 17, null, null, [.. attrs]);
        OpTest.Close(expected, RunKernel(x, shape, op == "MaxPool" ? PoolKind.Max : PoolKind.Average, includePad), 1e-5f, 1e-6f, op);
    }

    [Fact]
    public void GlobalPoolsMatchReferenceAndOrt()
    {
        var rng = new Random(3);
        int[] dims = [2, 5, 7, 3];
        float[] x = OpTest.Random(rng, OpTest.Count(dims));
        using var input = new OpBuffer(x);
        using var output = new OpBuffer(10);
        foreach (var (kind, op) in new[] { (PoolKind.Average, "GlobalAveragePool"), (PoolKind.Max, "GlobalMaxPool") })
        {
            GlobalPoolKernel.Create(kind, 10, 21).Run(input.Pointer, output.Pointer, null);
            var reference = Enumerable.Range(0, 10).Select(p => kind == PoolKind.Max ? x.Skip(p * 21).Take(21).Max() : (float)x.Skip(p * 21).Take(21).Average()).ToArray();
            OpTest.Close(reference, output.Span, 1e-5f, 1e-6f, op);
            OpTest.Close(OpTest.Ort(op, x, dims), output.Span, 1e-5f, 1e-6f, op);
        }
    }

    // The plane reduction's vector loops (two 8-wide accumulators from 16 elements, 4-wide without AVX) and scalar tail at
    // every split; all-negative planes catch a max that starts from zero.
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(49)]
    public void GlobalPoolsReduceEveryPlaneLength(int spatial)
    {
        var rng = new Random(spatial);
        float[] x = OpTest.Random(rng, 3 * spatial).Select(v => v - 2f).ToArray();
        using var input = new OpBuffer(x);
        using var output = new OpBuffer(3);
        foreach (PoolKind kind in new[] { PoolKind.Average, PoolKind.Max })
        {
            GlobalPoolKernel.Create(kind, 3, spatial).Run(input.Pointer, output.Pointer, null);
            var reference = Enumerable.Range(0, 3).Select(p => kind == PoolKind.Max ? x.Skip(p * spatial).Take(spatial).Max() : (float)x.Skip(p * spatial).Take(spatial).Average()).ToArray();
            OpTest.Close(reference, output.Span, 1e-5f, 1e-6f, $"{kind} of {spatial}");
        }
    }

    [Fact]
    public void RejectsBadGeometry()
    {
        var bad = new Pool2dShape(1, 4, 4, 2, 2, 0, 3, 1, 1, 1, 1, 0, 0, 0, 0);
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => Pool2dKernel.Create(bad, PoolKind.Max)).Code);
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => GlobalPoolKernel.Create(PoolKind.Max, 1, 0)).Code);
    }
}

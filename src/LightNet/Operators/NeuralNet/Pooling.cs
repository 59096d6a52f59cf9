using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>The window loop shared by MaxPool, AveragePool and LpPool, and the checks of their attributes.</summary>
internal static class Pooling
{
    public enum Kind
    {
        Max,
        Average,
        Lp,
    }

    /// <summary>The geometry of the node's window over X's spatial axes.</summary>
    public static SpatialGeometry Geometry(OpContext ctx, OpTensor x, bool ceilMode)
    {
        if (x.Rank < 3)
        {
            throw ctx.Fail($"X {x} must have rank 3 or more (N, C, spatial...)");
        }

        long[] kernel = ctx.Ints("kernel_shape") ?? throw ctx.Fail("attribute 'kernel_shape' is required");
        if (kernel.Length != x.Rank - 2)
        {
            throw ctx.Fail($"attribute 'kernel_shape' = {Dimension.Format(kernel)} does not fit X {x}");
        }

        return SpatialGeometry.Create(ctx, x.Dims[2..], kernel, pooling: true, ceilMode);
    }

    /// <summary>
    /// Pools every (N, C) plane of X. For <see cref="Kind.Max"/> also returns the flat argmax of each window
    /// (row-major, or column-major over the spatial axes when <paramref name="columnMajor"/>).
    /// </summary>
    public static (double[] Y, long[]? Indices) Run(SpatialGeometry g, OpTensor x, Kind kind, bool countIncludePad, double p, bool wantIndices, bool columnMajor)
    {
        int planes = checked((int)(x.Dims[0] * x.Dims[1]));
        int inCount = g.InputCount, outCount = g.OutputCount, kCount = g.KernelCount;
        int[] byKernel = g.GatherMap();

        // Window-major (o * K + k) so that each window's taps are contiguous.
        var map = new int[byKernel.Length];
        for (int k = 0; k < kCount; k++)
        {
            for (int o = 0; o < outCount; o++)
            {
                map[(o * kCount) + k] = byKernel[(k * outCount) + o];
            }
        }

        double[] xd = x.ToDoubles();
        var y = new double[OpTensor.Count([planes, outCount])];
        long[]? indices = wantIndices ? new long[y.Length] : null;
        int[]? divisor = null;
        if (kind == Kind.Average)
        {
            divisor = new int[outCount];
            int r = g.Rank;
            var kpos = new long[r];
            var opos = new long[r];
            for (int o = 0; o < outCount; o++)
            {
                SpatialGeometry.Unflatten(o, g.Output, opos);
                for (int k = 0; k < kCount; k++)
                {
                    if (!countIncludePad)
                    {
                        divisor[o] += map[(o * kCount) + k] >= 0 ? 1 : 0;
                        continue;
                    }

                    SpatialGeometry.Unflatten(k, g.Kernel, kpos);
                    bool inside = true;
                    for (int d = 0; d < r && inside; d++)
                    {
                        long ix = (opos[d] * g.Strides[d]) + (kpos[d] * g.Dilations[d]);
                        inside = ix < g.Input[d] + g.PadBegin[d] + g.PadEnd[d];
                    }

                    divisor[o] += inside ? 1 : 0;
                }
            }
        }

        var spatial = new long[g.Rank];
        for (int pl = 0; pl < planes; pl++)
        {
            int xOff = pl * inCount, yOff = pl * outCount;
            for (int o = 0; o < outCount; o++)
            {
                double acc = kind == Kind.Max ? double.NegativeInfinity : 0;
                int arg = -1;
                int mBase = o * kCount;
                for (int k = 0; k < kCount; k++)
                {
                    int m = map[mBase + k];
                    if (m < 0)
                    {
                        continue;
                    }

                    double v = xd[xOff + m];
                    switch (kind)
                    {
                        case Kind.Max:
                            if (arg < 0 || v > acc)
                            {
                                acc = v;
                                arg = m;
                            }

                            break;
                        case Kind.Average:
                            acc += v;
                            break;
                        default:
                            acc += Math.Pow(Math.Abs(v), p);
                            break;
                    }
                }

                y[yOff + o] = kind switch
                {
                    Kind.Max => acc,
                    Kind.Average => divisor![o] == 0 ? 0 : acc / divisor[o],
                    _ => Math.Pow(acc, 1 / p),
                };
                if (indices is not null)
                {
                    long flat = Math.Max(arg, 0);
                    if (columnMajor)
                    {
                        SpatialGeometry.Unflatten(flat, g.Input, spatial);
                        flat = 0;
                        for (int d = g.Rank - 1; d >= 0; d--)
                        {
                            flat = (flat * g.Input[d]) + spatial[d];
                        }
                    }

                    indices[yOff + o] = ((long)pl * inCount) + flat;
                }
            }
        }

        return (y, indices);
    }

    /// <summary>Reduces every (N, C) plane over all spatial axes to one value.</summary>
    public static OpTensor Global(OpContext ctx, Func<double[], int, int, double> reduce)
    {
        OpTensor x = ctx.Input(0);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank < 2)
        {
            throw ctx.Fail($"X {x} must have rank 2 or more (N, C, spatial...)");
        }

        int planes = checked((int)(x.Dims[0] * x.Dims[1]));
        int size = planes == 0 ? 0 : x.Length / planes;
        double[] xd = x.ToDoubles();
        var y = new double[planes];
        for (int pl = 0; pl < planes; pl++)
        {
            y[pl] = reduce(xd, pl * size, size);
        }

        long[] dims = [x.Dims[0], x.Dims[1], .. Enumerable.Repeat(1L, x.Rank - 2)];
        return OpTensor.FromDoubles(x.Type, dims, y);
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// N-D deformable convolution: every kernel tap samples X (multilinearly, zero outside) at its grid position plus a
/// learned offset, optionally scaled by a mask, then a grouped convolution with W and the optional bias.
/// </summary>
internal sealed class DeformConv : OperatorDef
{
    public override string OpType => "DeformConv";

    public override int SinceVersion => 19;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetInt("group", 1) < 1)
        {
            problems.Add($"attribute 'group' = {node.GetInt("group", 1)} must be at least 1");
        }

        if (node.GetInt("offset_group", 1) < 1)
        {
            problems.Add($"attribute 'offset_group' = {node.GetInt("offset_group", 1)} must be at least 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), w = ctx.Input(1), off = ctx.Input(2);
        OpTensor? b = ctx.Optional(3), mask = ctx.Optional(4);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank < 3 || w.Rank != x.Rank)
        {
            throw ctx.Fail($"X {x} and W {w} must have the same rank, at least 3");
        }

        int r = x.Rank - 2;
        long group = ctx.Int("group", 1), og = ctx.Int("offset_group", 1);
        long n = x.Dims[0], c = x.Dims[1], m = w.Dims[0];
        if (group < 1 || og < 1 || c % group != 0 || m % group != 0 || w.Dims[1] * group != c || c % og != 0)
        {
            throw ctx.Fail($"X {x} and W {w} do not fit group = {group} and offset_group = {og}");
        }

        long[] kernel = ctx.Ints("kernel_shape") ?? w.Dims[2..];
        if (kernel.Length != r || !kernel.SequenceEqual(w.Dims[2..]))
        {
            throw ctx.Fail($"attribute 'kernel_shape' = {Dimension.Format(kernel)} does not match W {w}");
        }

        if (b is not null && (b.Rank != 1 || b.Dims[0] != m))
        {
            throw ctx.Fail($"bias {b} must have {m} elements");
        }

        SpatialGeometry g = SpatialGeometry.Create(ctx, x.Dims[2..], kernel, pooling: false, ceilMode: false);
        int kCount = g.KernelCount, outCount = g.OutputCount, inCount = g.InputCount;
        long[] offDims = [n, og * kCount * r, .. g.Output];
        if (!off.Dims.SequenceEqual(offDims))
        {
            throw ctx.Fail($"offset {off} must have shape {Dimension.Format(offDims)}");
        }

        long[] maskDims = [n, og * kCount, .. g.Output];
        if (mask is not null && !mask.Dims.SequenceEqual(maskDims))
        {
            throw ctx.Fail($"mask {mask} must have shape {Dimension.Format(maskDims)}");
        }

        long[] outDims = [n, m, .. g.Output];
        int total = OpTensor.Count(outDims);
        double[] xd = x.ToDoubles(), wd = w.ToDoubles(), od = off.ToDoubles();
        double[]? md = mask?.ToDoubles();
        var y = new double[total];
        if (b is not null)
        {
            double[] bd = b.ToDoubles();
            for (int i = 0; i < total; i++)
            {
                y[i] = bd[(i / Math.Max(outCount, 1)) % m];
            }
        }

        if (total == 0)
        {
            ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
            return;
        }

        int cg = (int)(c / group), mg = (int)(m / group), cPerOg = (int)(c / og);
        var col = new double[OpTensor.Count([cg, kCount, outCount])];
        var kpos = new long[r];
        var opos = new long[r];
        var pos = new double[r];
        for (int bi = 0; bi < n; bi++)
        {
            for (int gi = 0; gi < group; gi++)
            {
                for (int cl = 0; cl < cg; cl++)
                {
                    int ch = (gi * cg) + cl;
                    int ogi = ch / cPerOg;
                    int xBase = ((bi * (int)c) + ch) * inCount;
                    for (int k = 0; k < kCount; k++)
                    {
                        SpatialGeometry.Unflatten(k, g.Kernel, kpos);
                        int colRow = ((cl * kCount) + k) * outCount;
                        for (int o = 0; o < outCount; o++)
                        {
                            SpatialGeometry.Unflatten(o, g.Output, opos);
                            for (int d = 0; d < r; d++)
                            {
                                int offIdx = ((((bi * (int)og) + ogi) * kCount + k) * r + d) * outCount + o;
                                pos[d] = (opos[d] * g.Strides[d]) - g.PadBegin[d] + (kpos[d] * g.Dilations[d]) + od[offIdx];
                            }

                            double v = Sample(xd, xBase, g.Input, pos);
                            if (md is not null)
                            {
                                v *= md[((((bi * (int)og) + ogi) * kCount) + k) * outCount + o];
                            }

                            col[colRow + o] = v;
                        }
                    }
                }

                int yOff = ((bi * (int)m) + (gi * mg)) * outCount;
                ConvMath.Gemm(wd, gi * mg * cg * kCount, mg, cg * kCount, col, 0, outCount, y, yOff);
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }

    /// <summary>Multilinear interpolation of one plane at <paramref name="pos"/>; corners outside the plane read 0.</summary>
    private static double Sample(double[] x, int xBase, long[] size, double[] pos)
    {
        int r = size.Length;
        for (int d = 0; d < r; d++)
        {
            if (pos[d] <= -1 || pos[d] >= size[d] || double.IsNaN(pos[d]))
            {
                return 0;
            }
        }

        double acc = 0;
        for (int cb = 0; cb < 1 << r; cb++)
        {
            long off = 0;
            double w = 1;
            for (int d = 0; d < r; d++)
            {
                double f = Math.Floor(pos[d]);
                bool high = ((cb >> (r - 1 - d)) & 1) != 0;
                long i = (long)f + (high ? 1 : 0);
                double t = pos[d] - f;
                w *= high ? t : 1 - t;
                if (i < 0 || i >= size[d])
                {
                    w = 0;
                    break;
                }

                off = (off * size[d]) + i;
            }

            if (w != 0)
            {
                acc += w * x[xBase + off];
            }
        }

        return acc;
    }
}

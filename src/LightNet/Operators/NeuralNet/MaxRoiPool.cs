using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>Max pooling over each ROI [batch, x1, y1, x2, y2] divided into pooled_shape bins (Caffe rounding).</summary>
internal sealed class MaxRoiPool : OperatorDef
{
    public override string OpType => "MaxRoiPool";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetInts("pooled_shape") is not { Count: 2 })
        {
            problems.Add("attribute 'pooled_shape' must hold two values");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), rois = ctx.Input(1);
        ConvMath.RequireFloat(ctx, x, "X");
        long[] pooled = ctx.Ints("pooled_shape") ?? throw ctx.Fail("attribute 'pooled_shape' is required");
        if (x.Rank != 4 || rois.Rank != 2 || rois.Dims[1] != 5 || pooled.Length != 2 || pooled[0] < 1 || pooled[1] < 1)
        {
            throw ctx.Fail($"X {x} must be [N, C, H, W], rois {rois} [num_rois, 5] and pooled_shape two positive values");
        }

        double scale = ctx.Float("spatial_scale", 1f);
        long n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3], nr = rois.Dims[0], ph = pooled[0], pw = pooled[1];
        long[] outDims = [nr, c, ph, pw];
        var y = new double[OpTensor.Count(outDims)];
        double[] xd = x.ToDoubles(), rd = rois.ToDoubles();
        for (int r = 0; r < nr; r++)
        {
            long b = (long)rd[r * 5];
            if (b < 0 || b >= n)
            {
                throw ctx.Fail($"batch index {rd[r * 5]} of roi {r} is outside [0, {n})");
            }

            long sw = (long)Math.Round(rd[(r * 5) + 1] * scale, MidpointRounding.AwayFromZero);
            long sh = (long)Math.Round(rd[(r * 5) + 2] * scale, MidpointRounding.AwayFromZero);
            long ew = (long)Math.Round(rd[(r * 5) + 3] * scale, MidpointRounding.AwayFromZero);
            long eh = (long)Math.Round(rd[(r * 5) + 4] * scale, MidpointRounding.AwayFromZero);
            long rh = Math.Max(eh - sh + 1, 1), rw = Math.Max(ew - sw + 1, 1);
            double bh = (double)rh / ph, bw = (double)rw / pw;
            for (int ch = 0; ch < c; ch++)
            {
                long xb = ((b * c) + ch) * h * w;
                for (long py = 0; py < ph; py++)
                {
                    long hs = Math.Clamp((long)Math.Floor(py * bh) + sh, 0, h), he = Math.Clamp((long)Math.Ceiling((py + 1) * bh) + sh, 0, h);
                    for (long px = 0; px < pw; px++)
                    {
                        long ws = Math.Clamp((long)Math.Floor(px * bw) + sw, 0, w), we = Math.Clamp((long)Math.Ceiling((px + 1) * bw) + sw, 0, w);
                        bool empty = he <= hs || we <= ws;
                        double m = empty ? 0 : double.NegativeInfinity;
                        for (long yy = hs; yy < he; yy++)
                        {
                            for (long xx = ws; xx < we; xx++)
                            {
                                m = Math.Max(m, xd[xb + (yy * w) + xx]);
                            }
                        }

                        y[(((r * c) + ch) * ph * pw) + (py * pw) + px] = m;
                    }
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }
}

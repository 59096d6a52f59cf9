using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// Region-of-interest align: bilinear samples averaged (or maxed) over each output bin of every ROI, with the
/// half_pixel or output_half_pixel coordinate transformation.
/// </summary>
internal sealed class RoiAlign : OperatorDef
{
    public override string OpType => "RoiAlign";

    public override int SinceVersion => 10;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string mode = node.GetString("mode", "avg");
        if (mode is not ("avg" or "max"))
        {
            problems.Add($"attribute 'mode' = '{mode}' is not avg or max");
        }

        string ct = node.GetString("coordinate_transformation_mode", "half_pixel");
        if (opset >= 16 && ct is not ("half_pixel" or "output_half_pixel"))
        {
            problems.Add($"attribute 'coordinate_transformation_mode' = '{ct}' is not half_pixel or output_half_pixel");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), rois = ctx.Input(1), batch = ctx.Input(2);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank != 4 || rois.Rank != 2 || rois.Dims[1] != 4 || batch.Rank != 1 || batch.Dims[0] != rois.Dims[0])
        {
            throw ctx.Fail($"X {x} must be [N, C, H, W], rois {rois} [num_rois, 4] and batch_indices {batch} [num_rois]");
        }

        bool max = ctx.String("mode", "avg") == "max";
        bool halfPixel = ctx.Opset >= 16 && ctx.String("coordinate_transformation_mode", "half_pixel") == "half_pixel";
        long ph = ctx.Int("output_height", 1), pw = ctx.Int("output_width", 1), sampling = ctx.Int("sampling_ratio", 0);
        double scale = ctx.Float("spatial_scale", 1f);
        if (ph < 1 || pw < 1 || sampling < 0)
        {
            throw ctx.Fail($"output_height {ph} and output_width {pw} must be positive and sampling_ratio {sampling} not negative");
        }

        long n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3], nr = rois.Dims[0];
        long[] outDims = [nr, c, ph, pw];
        var y = new double[OpTensor.Count(outDims)];
        double[] xd = x.ToDoubles(), rd = rois.ToDoubles();
        long[] bi = batch.ToLongs();
        double offset = halfPixel ? 0.5 : 0;
        int plane = (int)(h * w);
        for (int r = 0; r < nr; r++)
        {
            if (bi[r] < 0 || bi[r] >= n)
            {
                throw ctx.Fail($"batch index {bi[r]} of roi {r} is outside [0, {n})");
            }

            double x0 = (rd[r * 4] * scale) - offset, y0 = (rd[(r * 4) + 1] * scale) - offset;
            double x1 = (rd[(r * 4) + 2] * scale) - offset, y1 = (rd[(r * 4) + 3] * scale) - offset;
            double rw = x1 - x0, rh = y1 - y0;
            if (!halfPixel)
            {
                rw = Math.Max(rw, 1);
                rh = Math.Max(rh, 1);
            }

            double binH = rh / ph, binW = rw / pw;
            long gh = sampling > 0 ? sampling : (long)Math.Ceiling(rh / ph);
            long gw = sampling > 0 ? sampling : (long)Math.Ceiling(rw / pw);
            gh = Math.Max(gh, 0);
            gw = Math.Max(gw, 0);
            double count = Math.Max(gh * gw, 1);
            for (int py = 0; py < ph; py++)
            {
                for (int px = 0; px < pw; px++)
                {
                    // The bilinear taps of every sample point, shared by all channels.
                    var taps = new List<(int P1, int P2, int P3, int P4, double W1, double W2, double W3, double W4)>();
                    for (long iy = 0; iy < gh; iy++)
                    {
                        double yy = y0 + (py * binH) + ((iy + 0.5) * binH / gh);
                        for (long ix = 0; ix < gw; ix++)
                        {
                            double xx = x0 + (px * binW) + ((ix + 0.5) * binW / gw);
                            taps.Add(Tap(yy, xx, h, w));
                        }
                    }

                    for (int ch = 0; ch < c; ch++)
                    {
                        int xb = (int)(((bi[r] * c) + ch) * plane);
                        double acc = 0;
                        bool first = true;
                        foreach (var t in taps)
                        {
                            double v1 = t.W1 * xd[xb + t.P1], v2 = t.W2 * xd[xb + t.P2], v3 = t.W3 * xd[xb + t.P3], v4 = t.W4 * xd[xb + t.P4];
                            if (max)
                            {
                                double m = Math.Max(Math.Max(Math.Max(v1, v2), v3), v4);
                                acc = first ? m : Math.Max(acc, m);
                                first = false;
                            }
                            else
                            {
                                acc += v1 + v2 + v3 + v4;
                            }
                        }

                        y[(((r * c) + ch) * ph * pw) + (py * pw) + px] = max ? acc : acc / count;
                    }
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }

    private static (int, int, int, int, double, double, double, double) Tap(double y, double x, long h, long w)
    {
        if (y < -1.0 || y > h || x < -1.0 || x > w)
        {
            return (0, 0, 0, 0, 0, 0, 0, 0);
        }

        y = Math.Max(y, 0);
        x = Math.Max(x, 0);
        long yl = (long)y, xl = (long)x, yh, xh;
        if (yl >= h - 1)
        {
            yh = yl = h - 1;
            y = yl;
        }
        else
        {
            yh = yl + 1;
        }

        if (xl >= w - 1)
        {
            xh = xl = w - 1;
            x = xl;
        }
        else
        {
            xh = xl + 1;
        }

        double ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        return ((int)((yl * w) + xl), (int)((yl * w) + xh), (int)((yh * w) + xl), (int)((yh * w) + xh), hy * hx, hy * lx, ly * hx, ly * lx);
    }
}

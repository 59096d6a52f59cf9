using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// Samples X at the normalized grid locations (4-D and 5-D): nearest, (bi/tri)linear or bicubic, with zeros,
/// border or reflection padding and align_corners; accepts the opset 16 and opset 20 mode names.
/// </summary>
internal sealed class GridSample : OperatorDef
{
    public override string OpType => "GridSample";

    public override int SinceVersion => 16;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string mode = node.GetString("mode", opset >= 20 ? "linear" : "bilinear");
        if (mode is not ("bilinear" or "linear" or "nearest" or "bicubic" or "cubic"))
        {
            problems.Add($"attribute 'mode' = '{mode}' is not supported");
        }

        string pad = node.GetString("padding_mode", "zeros");
        if (pad is not ("zeros" or "border" or "reflection"))
        {
            problems.Add($"attribute 'padding_mode' = '{pad}' is not zeros, border or reflection");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), gridT = ctx.Input(1);
        ConvMath.RequireFloat(ctx, x, "X");
        int r = x.Rank - 2;
        if (r < 1 || gridT.Rank != r + 2 || gridT.Dims[0] != x.Dims[0] || gridT.Dims[^1] != r)
        {
            throw ctx.Fail($"X {x} and grid {gridT} do not fit: grid must be [N, out..., {Math.Max(r, 1)}]");
        }

        string mode = ctx.String("mode", ctx.Opset >= 20 ? "linear" : "bilinear") switch
        {
            "bilinear" or "linear" => "linear",
            "bicubic" or "cubic" => "cubic",
            "nearest" => "nearest",
            string m => throw ctx.Fail($"attribute 'mode' = '{m}' is not supported"),
        };
        string padding = ctx.String("padding_mode", "zeros");
        if (padding is not ("zeros" or "border" or "reflection"))
        {
            throw ctx.Fail($"attribute 'padding_mode' = '{padding}' is not zeros, border or reflection");
        }

        bool align = ctx.Int("align_corners", 0) != 0;
        long n = x.Dims[0], c = x.Dims[1];
        long[] size = x.Dims[2..];
        long[] outSp = gridT.Dims[1..^1];
        int inCount = OpTensor.Count(size), outCount = OpTensor.Count(outSp);
        long[] outDims = [n, c, .. outSp];
        var y = new double[OpTensor.Count(outDims)];
        double[] xd = x.ToDoubles(), gd = gridT.ToDoubles();
        int tapsPerAxis = mode switch { "nearest" => 1, "linear" => 2, _ => 4 };
        var idx = new long[r][];
        var wts = new double[r][];
        for (int d = 0; d < r; d++)
        {
            idx[d] = new long[tapsPerAxis];
            wts[d] = new double[tapsPerAxis];
        }

        int combos = (int)Math.Pow(tapsPerAxis, r);
        var comboOff = new int[combos];
        var comboW = new double[combos];
        var pos = new int[r];
        for (int b = 0; b < n; b++)
        {
            for (int o = 0; o < outCount; o++)
            {
                int gOff = ((b * outCount) + o) * r;
                for (int d = 0; d < r; d++)
                {
                    double len = size[d];
                    double lo = align ? 0 : -0.5, hi = align ? len - 1 : len - 0.5;
                    double v = gd[gOff + (r - 1 - d)];
                    double coord = align ? (v + 1) / 2 * (len - 1) : (((v + 1) * len) - 1) / 2;
                    if (mode == "nearest")
                    {
                        coord = Math.Round(coord, MidpointRounding.ToEven);
                    }

                    if (mode != "cubic" && (coord < lo || coord > hi))
                    {
                        coord = padding switch
                        {
                            "border" => Math.Clamp(coord, 0, len - 1),
                            "reflection" => Reflect(coord, lo, hi),
                            _ => coord,
                        };
                    }

                    switch (mode)
                    {
                        case "nearest":
                            idx[d][0] = (long)coord;
                            wts[d][0] = 1;
                            break;
                        case "linear":
                        {
                            double f = Math.Floor(coord);
                            idx[d][0] = (long)f;
                            idx[d][1] = (long)f + 1;
                            wts[d][0] = f + 1 - coord;
                            wts[d][1] = coord - f;
                            break;
                        }

                        default:
                        {
                            double f = Math.Floor(coord), t = coord - f;
                            for (int k = 0; k < 4; k++)
                            {
                                idx[d][k] = (long)f - 1 + k;
                                wts[d][k] = Cubic(t + 1 - k);
                            }

                            break;
                        }
                    }

                    for (int k = 0; k < tapsPerAxis; k++)
                    {
                        idx[d][k] = Pixel(idx[d][k], size[d], padding, lo, hi);
                    }
                }

                for (int cb = 0; cb < combos; cb++)
                {
                    int rest = cb;
                    for (int d = r - 1; d >= 0; d--)
                    {
                        pos[d] = rest % tapsPerAxis;
                        rest /= tapsPerAxis;
                    }

                    long off = 0;
                    double w = 1;
                    for (int d = 0; d < r && off >= 0; d++)
                    {
                        long i = idx[d][pos[d]];
                        off = i < 0 ? -1 : (off * size[d]) + i;
                        w *= wts[d][pos[d]];
                    }

                    comboOff[cb] = (int)off;
                    comboW[cb] = off < 0 ? 0 : w;
                }

                for (int ch = 0; ch < c; ch++)
                {
                    int xBase = (int)(((b * c) + ch) * inCount);
                    double acc = 0;
                    for (int cb = 0; cb < combos; cb++)
                    {
                        if (comboOff[cb] >= 0 && comboW[cb] != 0)
                        {
                            acc += comboW[cb] * xd[xBase + comboOff[cb]];
                        }
                    }

                    y[(((b * c) + ch) * outCount) + o] = acc;
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }

    private static double Cubic(double x)
    {
        const double a = -0.75;
        x = Math.Abs(x);
        return x <= 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? (((((a * x) - (5 * a)) * x) + (8 * a)) * x) - (4 * a)
            : 0;
    }

    /// <summary>The input index read for tap <paramref name="i"/>, or -1 for a zero (zeros padding).</summary>
    private static long Pixel(long i, long len, string padding, double lo, double hi)
    {
        if (i >= 0 && i < len)
        {
            return i;
        }

        return padding switch
        {
            "border" => Math.Clamp(i, 0, len - 1),
            "reflection" => Math.Clamp((long)Reflect(i, lo, hi), 0, len - 1),
            _ => -1,
        };
    }

    private static double Reflect(double x, double lo, double hi)
    {
        double range = hi - lo;
        if (range <= 0)
        {
            return lo < 0 ? 0 : lo;
        }

        if (x < lo)
        {
            double dx = lo - x;
            long k = (long)(dx / range);
            double rem = dx - (k * range);
            return k % 2 == 0 ? lo + rem : hi - rem;
        }

        if (x > hi)
        {
            double dx = x - hi;
            long k = (long)(dx / range);
            double rem = dx - (k * range);
            return k % 2 == 0 ? hi - rem : lo + rem;
        }

        return x;
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>The sampling grid [N, (D,) H, W, 2 or 3] of affine matrices theta over a normalized [-1, 1] output space.</summary>
internal sealed class AffineGrid : OperatorDef
{
    public override string OpType => "AffineGrid";

    public override int SinceVersion => 20;

    public override void Execute(OpContext ctx)
    {
        OpTensor theta = ctx.Input(0);
        ConvMath.RequireFloat(ctx, theta, "theta");
        long[] size = ctx.OptionalInts(1) ?? throw ctx.Fail("size is required");
        if (size.Length is not (4 or 5))
        {
            throw ctx.Fail($"size {Dimension.Format(size)} must be [N, C, H, W] or [N, C, D, H, W]");
        }

        int r = size.Length - 2;
        long n = size[0];
        if (theta.Rank != 3 || theta.Dims[0] != n || theta.Dims[1] != r || theta.Dims[2] != r + 1)
        {
            throw ctx.Fail($"theta {theta} must be [{n}, {r}, {r + 1}] for size {Dimension.Format(size)}");
        }

        if (size.Any(v => v < 0))
        {
            throw ctx.Fail($"size {Dimension.Format(size)} must not be negative");
        }

        bool align = ctx.Int("align_corners", 0) != 0;
        long[] sp = size[2..];
        int count = OpTensor.Count(sp);
        long[] outDims = [n, .. sp, r];
        var y = new double[OpTensor.Count(outDims)];
        double[] t = theta.ToDoubles();
        var pos = new long[r];
        var baseCoord = new double[r + 1];
        for (int b = 0; b < n; b++)
        {
            for (int o = 0; o < count; o++)
            {
                SpatialGeometry.Unflatten(o, sp, pos);

                // Coordinates in (x, y[, z]) order: x follows the last spatial axis.
                for (int k = 0; k < r; k++)
                {
                    int axis = r - 1 - k;
                    long len = sp[axis];
                    baseCoord[k] = align
                        ? (len <= 1 ? -1 : -1 + (2.0 * pos[axis] / (len - 1)))
                        : (((2.0 * pos[axis]) + 1) / len) - 1;
                }

                baseCoord[r] = 1;
                for (int i = 0; i < r; i++)
                {
                    double acc = 0;
                    for (int j = 0; j <= r; j++)
                    {
                        acc += t[(((b * r) + i) * (r + 1)) + j] * baseCoord[j];
                    }

                    y[(((long)b * count) + o) * r + i] = acc;
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(theta.Type, outDims, y));
    }
}

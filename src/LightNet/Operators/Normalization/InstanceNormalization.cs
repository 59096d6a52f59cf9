using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Normalizes each (batch, channel) plane by its own mean and variance, then applies per-channel scale and bias.</summary>
internal sealed class InstanceNormalization : OperatorDef
{
    public override string OpType => "InstanceNormalization";

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        if (xt.Rank < 2)
        {
            throw ctx.Fail($"input of shape {Dimension.Format(xt.Dims)} must have rank 2 or more (N, C, ...)");
        }

        double[] x = NormCommon.Floats(ctx, xt, "input");
        int n = (int)xt.Dims[0], c = (int)xt.Dims[1];
        int spatial = NormCommon.Product(xt.Dims, 2, xt.Rank);
        double[] scale = NormCommon.Floats(ctx, ctx.Input(1), "scale"), bias = NormCommon.Floats(ctx, ctx.Input(2), "B");
        if (scale.Length != c || bias.Length != c)
        {
            throw ctx.Fail($"scale and B must have {c} values (the channels of {Dimension.Format(xt.Dims)}), not {scale.Length} and {bias.Length}");
        }

        double eps = ctx.Float("epsilon", 1e-5f);
        var y = new double[x.Length];
        var mean = new double[n * c];
        var inv = new double[n * c];
        NormCommon.NormalizeRows(x, y, n * c, spatial, eps, rms: false, mean, inv);
        for (int r = 0; r < n * c; r++)
        {
            int ch = r % c, o = r * spatial;
            for (int s = 0; s < spatial; s++)
            {
                y[o + s] = y[o + s] * scale[ch] + bias[ch];
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}

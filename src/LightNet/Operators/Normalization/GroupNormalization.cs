using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Normalizes each group of channels of each batch item, then scales and shifts (per group in opset 18, per channel from opset 21).</summary>
internal sealed class GroupNormalization : OperatorDef
{
    public override string OpType => "GroupNormalization";

    public override int SinceVersion => 18;

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.ContainsKey("num_groups"))
        {
            problems.Add("attribute 'num_groups' is required");
        }
        else if (node.GetInt("num_groups", 1) < 1)
        {
            problems.Add($"attribute 'num_groups' = {node.GetInt("num_groups", 1)} must be positive");
        }

        NormCommon.ValidateStash(node, problems);
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        if (xt.Rank < 2)
        {
            throw ctx.Fail($"input X of shape {Dimension.Format(xt.Dims)} must have rank 2 or more (N, C, ...)");
        }

        long groups = ctx.Int("num_groups", 1);
        int n = (int)xt.Dims[0], c = (int)xt.Dims[1];
        if (groups < 1 || c % groups != 0)
        {
            throw ctx.Fail($"num_groups {groups} must divide the {c} channels of X");
        }

        int g = (int)groups;
        int spatial = NormCommon.Product(xt.Dims, 2, xt.Rank);
        double[] x = NormCommon.Floats(ctx, xt, "input X");
        double[] scale = NormCommon.Floats(ctx, ctx.Input(1), "scale"), bias = NormCommon.Floats(ctx, ctx.Input(2), "bias");
        bool perGroup = ctx.Opset < 21 && scale.Length == g;
        int expect = perGroup ? g : c;
        if (scale.Length != expect || bias.Length != expect)
        {
            throw ctx.Fail($"scale and bias must have {expect} values, not {scale.Length} and {bias.Length}");
        }

        _ = NormCommon.StashType(ctx, ctx.Int("stash_type", 1));
        double eps = ctx.Float("epsilon", 1e-5f);
        int perGroupChannels = c / g;
        int inner = perGroupChannels * spatial;
        var y = new double[x.Length];
        NormCommon.NormalizeRows(x, y, n * g, inner, eps, rms: false, new double[n * g], new double[n * g]);
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int k = perGroup ? ch / perGroupChannels : ch;
                int o = (b * c + ch) * spatial;
                for (int s = 0; s < spatial; s++) y[o + s] = y[o + s] * scale[k] + bias[k];
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}

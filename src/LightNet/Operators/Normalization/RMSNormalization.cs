using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Divides by the root mean square over the trailing dimensions from 'axis' on (plus epsilon), then scales.</summary>
internal sealed class RMSNormalization : OperatorDef
{
    public override string OpType => "RMSNormalization";

    public override int SinceVersion => 23;

    public override void Validate(Node node, long opset, List<string> problems) => NormCommon.ValidateStash(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        int axis = ctx.Axis(ctx.Int("axis", -1), xt.Rank);
        double[] x = NormCommon.Floats(ctx, xt, "input X");
        int rows = NormCommon.Product(xt.Dims, 0, axis), inner = NormCommon.Product(xt.Dims, axis, xt.Rank);
        double[] scale = NormCommon.BroadcastTo(ctx, ctx.Input(1), xt.Dims[axis..], "scale");
        _ = NormCommon.StashType(ctx, ctx.Int("stash_type", 1));
        double eps = ctx.Float("epsilon", 1e-5f);
        var y = new double[x.Length];
        NormCommon.NormalizeRows(x, y, rows, inner, eps, rms: true, new double[rows], new double[rows]);
        for (int r = 0; r < rows; r++)
        {
            int o = r * inner;
            for (int i = 0; i < inner; i++) y[o + i] *= scale[i];
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Normalizes over the trailing dimensions from 'axis' on, then scales and shifts; optional Mean and InvStdDev outputs.</summary>
internal sealed class LayerNormalization : OperatorDef
{
    public override string OpType => "LayerNormalization";

    public override int SinceVersion => 17;

    public override void Validate(Node node, long opset, List<string> problems) => NormCommon.ValidateStash(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        int axis = ctx.Axis(ctx.Int("axis", -1), xt.Rank);
        double[] x = NormCommon.Floats(ctx, xt, "input X");
        int rows = NormCommon.Product(xt.Dims, 0, axis), inner = NormCommon.Product(xt.Dims, axis, xt.Rank);
        long[] normShape = xt.Dims[axis..];
        double[] scale = NormCommon.BroadcastTo(ctx, ctx.Input(1), normShape, "Scale");
        double[]? bias = ctx.Optional(2) is { } bt ? NormCommon.BroadcastTo(ctx, bt, normShape, "B") : null;
        TensorElementType stash = NormCommon.StashType(ctx, ctx.Int("stash_type", 1));
        double eps = ctx.Float("epsilon", 1e-5f);
        var y = new double[x.Length];
        var mean = new double[rows];
        var inv = new double[rows];
        NormCommon.NormalizeRows(x, y, rows, inner, eps, rms: false, mean, inv);
        for (int r = 0; r < rows; r++)
        {
            int o = r * inner;
            for (int i = 0; i < inner; i++)
            {
                y[o + i] = y[o + i] * scale[i] + (bias is null ? 0 : bias[i]);
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
        long[] statDims = new long[xt.Rank];
        for (int i = 0; i < xt.Rank; i++) statDims[i] = i < axis ? xt.Dims[i] : 1;
        if (ctx.Wants(1))
        {
            ctx.Set(1, OpTensor.FromDoubles(stash, statDims, mean));
        }

        if (ctx.Wants(2))
        {
            ctx.Set(2, OpTensor.FromDoubles(stash, (long[])statDims.Clone(), inv));
        }
    }
}

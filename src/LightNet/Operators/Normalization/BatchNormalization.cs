using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Per-channel batch normalization: running statistics in inference, batch statistics and updated running statistics in training mode.</summary>
internal sealed class BatchNormalization : OperatorDef
{
    public override string OpType => "BatchNormalization";

    public override string Limitations => "before opset 14, asking for outputs 1-4 computes batch statistics; saved_mean and saved_var are the batch mean and variance";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long tm = node.GetInt("training_mode", 0);
        if (tm is not (0 or 1))
        {
            problems.Add($"attribute 'training_mode' = {tm} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        if (xt.Rank < 2)
        {
            throw ctx.Fail($"input X of shape {Dimension.Format(xt.Dims)} must have rank 2 or more (N, C, ...)");
        }

        double[] x = NormCommon.Floats(ctx, xt, "input X");
        int n = (int)xt.Dims[0], c = (int)xt.Dims[1];
        int spatial = NormCommon.Product(xt.Dims, 2, xt.Rank);
        OpTensor st = ctx.Input(1), bt = ctx.Input(2), mt = ctx.Input(3), vt = ctx.Input(4);
        double[] scale = NormCommon.Floats(ctx, st, "scale"), bias = NormCommon.Floats(ctx, bt, "B");
        double[] mean = NormCommon.Floats(ctx, mt, "mean"), var = NormCommon.Floats(ctx, vt, "var");
        double eps = ctx.Float("epsilon", 1e-5f);
        double momentum = ctx.Float("momentum", 0.9f);

        // Opsets before 9 with spatial = 0 give one statistic per element of (C, D1, ...).
        bool perElement = ctx.Opset < 9 && ctx.Int("spatial", 1) == 0 && scale.Length == c * spatial && spatial != 1;
        int per = perElement ? c * spatial : c;
        foreach ((double[] a, string name) in new[] { (scale, "scale"), (bias, "B"), (mean, "mean"), (var, "var") })
        {
            if (a.Length != per)
            {
                throw ctx.Fail($"input '{name}' has {a.Length} values; expected {per} for X of shape {Dimension.Format(xt.Dims)}");
            }
        }

        bool training = ctx.Opset >= 14
            ? ctx.Int("training_mode", 0) == 1
            : ctx.Opset >= 7 ? Enumerable.Range(1, 4).Any(ctx.Wants) : ctx.Int("is_test", 0) == 0 && Enumerable.Range(1, 4).Any(ctx.Wants);
        double[] useMean = mean, useVar = var;
        double[]? batchMean = null, batchVar = null;
        if (training)
        {
            batchMean = new double[per];
            batchVar = new double[per];
            long count = perElement ? n : (long)n * spatial;
            for (int b = 0; b < n; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (b * c + ch) * spatial;
                    for (int s = 0; s < spatial; s++)
                    {
                        batchMean[perElement ? ch * spatial + s : ch] += x[o + s];
                    }
                }
            }

            for (int k = 0; k < per; k++) batchMean[k] /= count;
            for (int b = 0; b < n; b++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (b * c + ch) * spatial;
                    for (int s = 0; s < spatial; s++)
                    {
                        int k = perElement ? ch * spatial + s : ch;
                        double d = x[o + s] - batchMean[k];
                        batchVar[k] += d * d;
                    }
                }
            }

            for (int k = 0; k < per; k++) batchVar[k] /= count;
            useMean = batchMean;
            useVar = batchVar;
        }

        var y = new double[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int o = (b * c + ch) * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    int k = perElement ? ch * spatial + s : ch;
                    y[o + s] = (x[o + s] - useMean[k]) / Math.Sqrt(useVar[k] + eps) * scale[k] + bias[k];
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
        if (training)
        {
            var runMean = new double[per];
            var runVar = new double[per];
            for (int k = 0; k < per; k++)
            {
                runMean[k] = mean[k] * momentum + batchMean![k] * (1 - momentum);
                runVar[k] = var[k] * momentum + batchVar![k] * (1 - momentum);
            }

            ctx.Set(1, OpTensor.FromDoubles(mt.Type, mt.Dims, runMean));
            ctx.Set(2, OpTensor.FromDoubles(vt.Type, vt.Dims, runVar));
            if (ctx.Opset < 14)
            {
                ctx.Set(3, OpTensor.FromDoubles(mt.Type, mt.Dims, batchMean!));
                ctx.Set(4, OpTensor.FromDoubles(vt.Type, vt.Dims, batchVar!));
            }
        }
        else if (ctx.Opset < 14)
        {
            ctx.Set(1, mt);
            ctx.Set(2, vt);
            ctx.Set(3, mt);
            ctx.Set(4, vt);
        }
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>Local response normalization across channels: x / (bias + alpha / size * sum of squares)^beta.</summary>
internal sealed class LRN : OperatorDef
{
    public override string OpType => "LRN";

    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        if (n.GetInt("size", 0) <= 0)
        {
            problem("size", "must be a positive integer");
        }
    }

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        long size = node.GetInt("size", 0);
        if (size is < 1 or > SpatialGeometry.MaxWindowValue)
        {
            problems.Add($"attribute 'size' = {size} must be given, from 1 to {SpatialGeometry.MaxWindowValue}");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank < 2)
        {
            throw ctx.Fail($"X {x} must have rank 2 or more (N, C, ...)");
        }

        long size = ctx.Int("size", 0);
        if (size < 1)
        {
            throw ctx.Fail($"attribute 'size' = {size} must be at least 1");
        }

        double alpha = ctx.Float("alpha", 1e-4f), beta = ctx.Float("beta", 0.75f), bias = ctx.Float("bias", 1f);
        int n = (int)x.Dims[0], c = (int)x.Dims[1];
        int inner = n * c == 0 ? 0 : x.Length / (n * c);
        long before = (size - 1) / 2, after = size - 1 - before;
        double[] xd = x.ToDoubles();
        var y = new double[xd.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int lo = (int)Math.Max(0, ch - before), hi = (int)Math.Min(c - 1, ch + after);
                int off = ((b * c) + ch) * inner;
                for (int i = 0; i < inner; i++)
                {
                    double sq = 0;
                    for (int k = lo; k <= hi; k++)
                    {
                        double v = xd[(((b * c) + k) * inner) + i];
                        sq += v * v;
                    }

                    y[off + i] = xd[off + i] / Math.Pow(bias + (alpha / size * sq), beta);
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, x.Dims, y));
    }
}

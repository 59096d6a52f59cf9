using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>Cross entropy of softmax(scores) over axis 1 against integer labels, with weights, ignore_index, reductions and the optional log_prob output.</summary>
internal sealed class SoftmaxCrossEntropyLoss : OperatorDef
{
    public override string OpType => "SoftmaxCrossEntropyLoss";

    public override int SinceVersion => 12;

    public override string Types => "float32, float16, float64, bfloat16 (labels int32, int64)";

    public override void Validate(Node node, long opset, List<string> problems) => NegativeLogLikelihood.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Unsupported($"element type {x.Type} is not supported");
        }

        if (x.Rank < 2)
        {
            throw ctx.Fail($"the scores must be [N, C, d1..], got {Dimension.Format(x.Dims)}");
        }

        AxisSplit s = AxisSplit.At(x.Dims, 1);
        double[] v = x.ToDoubles();
        var logp = new double[v.Length];
        for (int o = 0; o < s.Outer; o++)
        {
            for (int i = 0; i < s.Inner; i++)
            {
                int start = (o * s.Length * s.Inner) + i;
                double m = double.NegativeInfinity;
                for (int k = 0; k < s.Length; k++)
                {
                    m = Math.Max(m, v[start + (k * s.Inner)]);
                }

                double shift = double.IsInfinity(m) ? 0 : m, sum = 0;
                for (int k = 0; k < s.Length; k++)
                {
                    sum += Math.Exp(v[start + (k * s.Inner)] - shift);
                }

                double log = Math.Log(sum) + shift;
                for (int k = 0; k < s.Length; k++)
                {
                    int at = start + (k * s.Inner);
                    logp[at] = v[at] - log;
                }
            }
        }

        ctx.Set(0, NegativeLogLikelihood.Loss(ctx, x.Type, x.Dims, logp, ctx.Input(1), ctx.Optional(2)));
        if (ctx.Wants(1))
        {
            ctx.Set(1, OpTensor.FromDoubles(x.Type, x.Dims, logp));
        }
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>-input[n, target[n, d..], d..] * weight[target], with ignore_index and the reductions none, sum and mean.</summary>
internal sealed class NegativeLogLikelihoodLoss : OperatorDef
{
    public override string OpType => "NegativeLogLikelihoodLoss";

    public override int SinceVersion => 12;

    public override string Types => "float32, float16, float64, bfloat16 (targets int32, int64)";

    public override void Validate(Node node, long opset, List<string> problems) => NegativeLogLikelihood.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Unsupported($"element type {x.Type} is not supported");
        }

        ctx.Set(0, NegativeLogLikelihood.Loss(ctx, x.Type, x.Dims, x.ToDoubles(), ctx.Input(1), ctx.Optional(2)));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>
/// The negative log-likelihood shared by NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: input [N, C, d1..]
/// of log-probabilities, integer targets [N, d1..], optional class weights [C], ignore_index, and the reductions
/// none, sum and mean (mean divides by the sum of the weights of the targets not ignored).
/// </summary>
internal static class NegativeLogLikelihood
{
    public static void Validate(Node node, List<string> problems)
    {
        string reduction = node.GetString("reduction", "mean");
        if (reduction is not ("none" or "sum" or "mean"))
        {
            problems.Add($"attribute 'reduction' = '{reduction}' must be none, sum or mean");
        }
    }

    public static OpTensor Loss(OpContext ctx, TensorElementType type, long[] dims, double[] logp, OpTensor target, OpTensor? weight)
    {
        if (dims.Length < 2)
        {
            throw ctx.Fail($"the input must be [N, C, d1..], got {Dimension.Format(dims)}");
        }

        if (target.IsFloat || target.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Fail($"the target must hold integers, not {target.Type}");
        }

        long[] targetDims = [dims[0], .. dims[2..]];
        if (!target.Dims.AsSpan().SequenceEqual(targetDims))
        {
            throw ctx.Fail($"the target has shape {Dimension.Format(target.Dims)} but the input {Dimension.Format(dims)} needs {Dimension.Format(targetDims)}");
        }

        int classes = (int)dims[1];
        double[]? w = weight?.ToDoubles();
        if (weight is not null && !(weight.Rank == 1 && weight.Dims[0] == classes))
        {
            throw ctx.Fail($"the weights have shape {Dimension.Format(weight.Dims)} but there are {classes} classes");
        }

        bool hasIgnore = ctx.HasAttribute("ignore_index");
        long ignore = ctx.Int("ignore_index", 0);
        string reduction = ctx.String("reduction", "mean");
        long[] t = target.ToLongs();
        int n = (int)dims[0], inner = t.Length / Math.Max(n, 1);
        var loss = new double[t.Length];
        double weightSum = 0;
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < inner; i++)
            {
                int at = (b * inner) + i;
                long c = t[at];
                if (hasIgnore && c == ignore)
                {
                    continue;
                }

                if (c < 0 || c >= classes)
                {
                    throw ctx.Fail($"target value {c} at position {at} is outside [0, {classes})");
                }

                double wc = w is null ? 1 : w[c];
                loss[at] = -logp[((b * classes) + c) * inner + i] * wc;
                weightSum += wc;
            }
        }

        switch (reduction)
        {
            case "none":
                return OpTensor.FromDoubles(type, targetDims, loss);
            case "sum":
                return OpTensor.FromDoubles(type, [], [loss.Sum()]);
            case "mean":
                return OpTensor.FromDoubles(type, [], [loss.Sum() / weightSum]);
            default:
                throw ctx.Fail($"reduction '{reduction}' must be none, sum or mean");
        }
    }
}

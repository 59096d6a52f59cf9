using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Draws 'sample_size' class indices per batch row from unnormalized log-probabilities [batch, classes].</summary>
internal sealed class Multinomial : OperatorDef
{
    public override string OpType => "Multinomial";

    public override int SinceVersion => 7;

    public override string Types => "input: float32, float16, float64; output: int32, int64";

    public override string Limitations => "samples differ from ONNX Runtime's generator, even with a seed";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long t = node.GetInt("dtype", 6);
        if (t is not (long)TensorElementType.Int32 and not (long)TensorElementType.Int64)
        {
            problems.Add($"attribute 'dtype' = {t} must be int32 (6) or int64 (7)");
        }

        long s = node.GetInt("sample_size", 1);
        if (s < 1)
        {
            problems.Add($"attribute 'sample_size' = {s} must be positive");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank != 2 || !x.IsFloat)
        {
            throw ctx.Fail($"the input {x} must be a [batch, classes] floating-point tensor");
        }

        long batch = x.Dims[0], classes = x.Dims[1];
        if (classes < 1)
        {
            throw ctx.Fail($"the input {x} has no classes");
        }

        long samples = ctx.Int("sample_size", 1);
        long[] dims = [batch, samples];
        var result = new long[OpTensor.Count(dims)];
        double[] logits = x.ToDoubles();
        var cumulative = new double[classes];
        Random r = RandomSource.For(ctx);
        for (long b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity;
            for (long c = 0; c < classes; c++)
            {
                max = Math.Max(max, logits[(b * classes) + c]);
            }

            double total = 0;
            for (long c = 0; c < classes; c++)
            {
                total += Math.Exp(logits[(b * classes) + c] - max);
                cumulative[c] = total;
            }

            for (long s = 0; s < samples; s++)
            {
                double u = r.NextDouble() * total;
                int k = Array.BinarySearch(cumulative, u);
                k = k < 0 ? ~k : k + 1;
                result[(b * samples) + s] = Math.Min(k, classes - 1);
            }
        }

        ctx.Set(0, OpTensor.FromLongs((TensorElementType)ctx.Int("dtype", 6), dims, result));
    }
}

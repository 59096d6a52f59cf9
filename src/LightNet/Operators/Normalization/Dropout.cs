using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Identity (with an all-true mask) in inference; in training mode zeroes a random fraction 'ratio' and scales the rest by 1/(1-ratio).</summary>
internal sealed class Dropout : OperatorDef
{
    public override string OpType => "Dropout";

    public override string Types => "float32, float16, float64 (data); float ratio; bool training_mode";

    public override string Limitations => "training mode with ratio > 0 draws from the .NET random generator (seeded by 'seed'), not ONNX Runtime's";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (opset < 12)
        {
            float r = node.GetFloat("ratio", 0.5f);
            if (r is < 0 or >= 1)
            {
                problems.Add($"attribute 'ratio' = {r} must be in [0, 1)");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        double ratio;
        bool training;
        if (ctx.Opset >= 12)
        {
            OpTensor? r = ctx.Optional(1);
            if (r is not null && r.Length != 1)
            {
                throw ctx.Fail($"input 'ratio' must be a scalar, not of shape {Dimension.Format(r.Dims)}");
            }

            ratio = r is null ? 0.5 : r.GetDouble(0);
            OpTensor? t = ctx.Optional(2);
            if (t is not null && t.Length != 1)
            {
                throw ctx.Fail($"input 'training_mode' must be a scalar, not of shape {Dimension.Format(t.Dims)}");
            }

            training = t is not null && t.ToBools()[0];
        }
        else
        {
            ratio = ctx.Float("ratio", 0.5f);
            // Before opset 12 there is no training input: runtimes run the inference definition.
            training = false;
        }

        bool boolMask = ctx.Opset >= 10;
        if (!training || ratio == 0)
        {
            ctx.Set(0, x);
            if (ctx.Wants(1))
            {
                ctx.Set(1, boolMask
                    ? new OpTensor(TensorElementType.Bool, x.Dims, Enumerable.Repeat(true, x.Length).ToArray())
                    : OpTensor.FromDoubles(x.Type, x.Dims, Enumerable.Repeat(1.0, x.Length).ToArray()));
            }

            return;
        }

        if (ratio is < 0 or >= 1)
        {
            throw ctx.Fail($"ratio {ratio} must be in [0, 1) in training mode");
        }

        double[] v = NormCommon.Floats(ctx, x, "input data");
        var rng = ctx.HasAttribute("seed") ? new Random(unchecked((int)ctx.Int("seed", 0))) : Random.Shared;
        double keep = 1 - ratio;
        var y = new double[v.Length];
        var mask = new bool[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            mask[i] = rng.NextDouble() < keep;
            y[i] = mask[i] ? v[i] / keep : 0;
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, x.Dims, y));
        ctx.Set(1, new OpTensor(TensorElementType.Bool, x.Dims, mask));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Draws 0 or 1 per element with the input's probability of 1 (output type 'dtype', the input's by default).</summary>
internal sealed class Bernoulli : OperatorDef
{
    public override string OpType => "Bernoulli";

    public override int SinceVersion => 15;

    public override string Types => "input: float32, float16, float64; output: numeric, bool";

    public override string Limitations => "samples differ from ONNX Runtime's generator, even with a seed";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long t = node.GetInt("dtype", 1);
        if (!OpTensor.IsSupported((TensorElementType)t) || t == (long)TensorElementType.String)
        {
            problems.Add($"attribute 'dtype' = {t} is not a supported numeric type");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Fail($"the probabilities must be floating-point, not {x.Type}");
        }

        double[] p = x.ToDoubles();
        var v = new double[p.Length];
        Random r = RandomSource.For(ctx);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = r.NextDouble() < p[i] ? 1 : 0;
        }

        TensorElementType type = ctx.HasAttribute("dtype") ? (TensorElementType)ctx.Int("dtype", 1) : x.Type;
        ctx.Set(0, OpTensor.FromDoubles(type, (long[])x.Dims.Clone(), v));
    }
}

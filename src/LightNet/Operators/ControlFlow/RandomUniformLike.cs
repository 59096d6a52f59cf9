using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>A tensor shaped like the input filled with uniform samples in [low, high).</summary>
internal sealed class RandomUniformLike : OperatorDef
{
    public override string OpType => "RandomUniformLike";

    public override string Limitations => "samples differ from ONNX Runtime's generator, even with a seed";

    public override void Validate(Node node, long opset, List<string> problems) => RandomSource.ValidateFloatType(node, "dtype", problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        var v = new double[x.Length];
        double low = ctx.Float("low", 0), high = ctx.Float("high", 1);
        Random r = RandomSource.For(ctx);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = low + ((high - low) * r.NextDouble());
        }

        TensorElementType type = ctx.HasAttribute("dtype") ? (TensorElementType)ctx.Int("dtype", 1) : x.IsFloat ? x.Type : throw ctx.Fail($"the input is {x.Type}: set 'dtype' to a floating-point type");
        ctx.Set(0, OpTensor.FromDoubles(type, (long[])x.Dims.Clone(), v));
    }
}

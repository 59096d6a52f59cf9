using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>A tensor of the 'shape' attribute filled with uniform samples in [low, high).</summary>
internal sealed class RandomUniform : OperatorDef
{
    public override string OpType => "RandomUniform";

    public override string Limitations => "samples differ from ONNX Runtime's generator, even with a seed";

    public override void Validate(Node node, long opset, List<string> problems) => RandomSource.ValidateFloatType(node, "dtype", problems);

    public override void Execute(OpContext ctx)
    {
        long[] dims = RandomSource.ShapeAttribute(ctx);
        var v = new double[OpTensor.Count(dims)];
        double low = ctx.Float("low", 0), high = ctx.Float("high", 1);
        Random r = RandomSource.For(ctx);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = low + ((high - low) * r.NextDouble());
        }

        ctx.Set(0, OpTensor.FromDoubles((TensorElementType)ctx.Int("dtype", 1), dims, v));
    }
}

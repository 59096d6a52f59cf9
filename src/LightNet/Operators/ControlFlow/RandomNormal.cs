using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>A tensor of the 'shape' attribute filled with normal samples of the given mean and scale.</summary>
internal sealed class RandomNormal : OperatorDef
{
    public override string OpType => "RandomNormal";

    public override string Limitations => "samples differ from ONNX Runtime's generator, even with a seed";

    public override void Validate(Node node, long opset, List<string> problems) => RandomSource.ValidateFloatType(node, "dtype", problems);

    public override void Execute(OpContext ctx)
    {
        long[] dims = RandomSource.ShapeAttribute(ctx);
        var v = new double[OpTensor.Count(dims)];
        double mean = ctx.Float("mean", 0), scale = ctx.Float("scale", 1);
        Random r = RandomSource.For(ctx);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = mean + (scale * RandomSource.Normal(r));
        }

        ctx.Set(0, OpTensor.FromDoubles((TensorElementType)ctx.Int("dtype", 1), dims, v));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A 2-D tensor of the input's shape with ones on the k-th diagonal (dtype attribute or the input's type).</summary>
internal sealed class EyeLike : OperatorDef
{
    public override string OpType => "EyeLike";

    public override string Types => "all numeric and bool";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank != 2)
        {
            throw ctx.Fail($"input {x} must be 2-D");
        }

        var type = (TensorElementType)ctx.Int("dtype", (long)x.Type);
        long k = ctx.Int("k", 0);
        var v = new double[x.Length];
        for (long r = 0; r < x.Dims[0]; r++)
        {
            long c = r + k;
            if (c >= 0 && c < x.Dims[1]) v[(r * x.Dims[1]) + c] = 1;
        }

        ctx.Set(0, OpTensor.FromDoubles(type, x.Dims, v));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Elementwise;

/// <summary>True where x is NaN.</summary>
internal sealed class IsNaN : OperatorDef
{
    public override string OpType => "IsNaN";

    public override void Execute(OpContext ctx)
    {
        double[] x = ctx.Input(0).ToDoubles();
        var y = new bool[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = double.IsNaN(x[i]);
        ctx.Set(0, new OpTensor(TensorElementType.Bool, ctx.Input(0).Dims, y));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Elementwise;

/// <summary>True where x is infinite (of the signs selected by detect_positive / detect_negative).</summary>
internal sealed class IsInf : OperatorDef
{
    public override string OpType => "IsInf";

    public override void Execute(OpContext ctx)
    {
        bool pos = ctx.Int("detect_positive", 1) != 0, neg = ctx.Int("detect_negative", 1) != 0;
        double[] x = ctx.Input(0).ToDoubles();
        var y = new bool[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = (pos && double.IsPositiveInfinity(x[i])) || (neg && double.IsNegativeInfinity(x[i]));
        ctx.Set(0, new OpTensor(TensorElementType.Bool, ctx.Input(0).Dims, y));
    }
}

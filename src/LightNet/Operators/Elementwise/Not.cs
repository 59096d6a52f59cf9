using LightNet.Onnx;

namespace LightNet.Operators.Elementwise;

/// <summary>Logical not.</summary>
internal sealed class Not : OperatorDef
{
    public override string OpType => "Not";

    public override string Types => "bool";

    public override void Execute(OpContext ctx)
    {
        bool[] x = ctx.Input(0).ToBools();
        var y = new bool[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = !x[i];
        ctx.Set(0, new OpTensor(TensorElementType.Bool, ctx.Input(0).Dims, y));
    }
}

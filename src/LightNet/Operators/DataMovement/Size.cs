using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>The input's element count as an int64 scalar.</summary>
internal sealed class Size : OperatorDef
{
    public override string OpType => "Size";

    public override string Types => "all";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, new OpTensor(TensorElementType.Int64, [], new[] { (long)ctx.Input(0).Length }));
}

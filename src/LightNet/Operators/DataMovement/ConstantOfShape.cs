using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A tensor of the given shape filled with the value attribute (float 0 by default).</summary>
internal sealed class ConstantOfShape : OperatorDef
{
    public override string OpType => "ConstantOfShape";

    public override string Types => "all numeric and bool";

    public override void Execute(OpContext ctx)
    {
        long[] dims = Indexing.ShapeInput(ctx, 0);
        OpTensor fill = ctx.Node.GetTensor("value") is { } t ? OpTensor.FromTensorData(t) : OpTensor.Scalar(0f);
        if (fill.Length != 1)
        {
            throw ctx.Fail($"attribute 'value' must hold one element, not {fill.Length}");
        }

        ctx.Set(0, fill.Gather(dims, new int[OpTensor.Count(dims)]));
    }
}

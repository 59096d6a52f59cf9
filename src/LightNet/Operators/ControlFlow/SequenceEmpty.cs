using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>An empty sequence of the element type named by the 'dtype' attribute (float by default).</summary>
internal sealed class SequenceEmpty : OperatorDef
{
    public override string OpType => "SequenceEmpty";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long dtype = node.GetInt("dtype", 1);
        if (!OpTensor.IsSupported((TensorElementType)dtype))
        {
            problems.Add($"attribute 'dtype' = {dtype} is not a supported element type");
        }
    }

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, new OpSequence((TensorElementType)ctx.Int("dtype", 1), []));
}

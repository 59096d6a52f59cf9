using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>True (bool scalar) when the input optional holds a value; false for an empty or omitted input.</summary>
internal sealed class OptionalHasElement : OperatorDef
{
    public override string OpType => "OptionalHasElement";

    public override int SinceVersion => 15;

    public override string Types => "all (tensors, sequences, optionals)";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, new OpTensor(TensorElementType.Bool, [], new[] { ctx.InputCount > 0 && ctx.Inputs[0] is not null }));
}

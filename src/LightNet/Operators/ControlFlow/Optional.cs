namespace LightNet.Operators.ControlFlow;

/// <summary>An optional value: the input itself when given, otherwise an empty optional (no value).</summary>
internal sealed class Optional : OperatorDef
{
    public override string OpType => "Optional";

    public override int SinceVersion => 15;

    public override string Types => "all (tensors, sequences)";

    public override void Execute(OpContext ctx) => ctx.Outputs[0] = ctx.InputCount > 0 ? ctx.Inputs[0] : null;
}

namespace LightNet.Operators.ControlFlow;

/// <summary>The value held by the input optional (a tensor or sequence input passes through); fails on an empty optional.</summary>
internal sealed class OptionalGetElement : OperatorDef
{
    public override string OpType => "OptionalGetElement";

    public override int SinceVersion => 15;

    public override string Types => "all (tensors, sequences, optionals)";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, ctx.InputCount > 0 && ctx.Inputs[0] is { } v ? v : throw ctx.Fail("the optional input is empty"));
}

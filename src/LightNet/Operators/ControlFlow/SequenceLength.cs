namespace LightNet.Operators.ControlFlow;

/// <summary>The number of tensors in the input sequence, as an int64 scalar.</summary>
internal sealed class SequenceLength : OperatorDef
{
    public override string OpType => "SequenceLength";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Execute(OpContext ctx) => ctx.Set(0, OpTensor.FromLongs([], [ctx.Sequence(0).Items.Count]));
}

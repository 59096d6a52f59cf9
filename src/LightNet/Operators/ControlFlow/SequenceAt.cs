namespace LightNet.Operators.ControlFlow;

/// <summary>The tensor at 'position' of the input sequence (negative positions count from the back).</summary>
internal sealed class SequenceAt : OperatorDef
{
    public override string OpType => "SequenceAt";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpSequence seq = ctx.Sequence(0);
        if (!ctx.Has(1))
        {
            throw ctx.Fail("input 1 (position) is required");
        }

        int pos = SequencePosition.Read(ctx, 1, seq.Items.Count, allowEnd: false, 0);
        ctx.Set(0, seq.Items[pos]);
    }
}

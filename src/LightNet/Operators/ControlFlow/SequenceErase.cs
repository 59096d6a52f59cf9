namespace LightNet.Operators.ControlFlow;

/// <summary>A copy of the input sequence without the tensor at 'position' (the last one by default).</summary>
internal sealed class SequenceErase : OperatorDef
{
    public override string OpType => "SequenceErase";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpSequence seq = ctx.Sequence(0);
        if (seq.Items.Count == 0)
        {
            throw ctx.Fail("cannot erase from an empty sequence");
        }

        int pos = SequencePosition.Read(ctx, 1, seq.Items.Count, allowEnd: false, seq.Items.Count - 1);
        var items = new List<OpTensor>(seq.Items);
        items.RemoveAt(pos);
        ctx.Set(0, new OpSequence(seq.ElementType, items));
    }
}

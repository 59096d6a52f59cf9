namespace LightNet.Operators.ControlFlow;

/// <summary>A copy of the input sequence with a tensor inserted at 'position' (at the end by default).</summary>
internal sealed class SequenceInsert : OperatorDef
{
    public override string OpType => "SequenceInsert";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpSequence seq = ctx.Sequence(0);
        OpTensor t = ctx.Input(1);
        if (t.Type != seq.ElementType)
        {
            throw ctx.Fail($"cannot insert a {t.Type} tensor into a sequence of {seq.ElementType}");
        }

        int pos = SequencePosition.Read(ctx, 2, seq.Items.Count, allowEnd: true, seq.Items.Count);
        var items = new List<OpTensor>(seq.Items);
        items.Insert(pos, t);
        ctx.Set(0, new OpSequence(seq.ElementType, items));
    }
}

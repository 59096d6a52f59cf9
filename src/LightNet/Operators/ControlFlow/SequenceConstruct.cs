namespace LightNet.Operators.ControlFlow;

/// <summary>A sequence holding the input tensors, in order (all of one element type).</summary>
internal sealed class SequenceConstruct : OperatorDef
{
    public override string OpType => "SequenceConstruct";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        var items = new List<OpTensor>(ctx.InputCount);
        for (int i = 0; i < ctx.InputCount; i++)
        {
            OpTensor t = ctx.Input(i);
            if (items.Count > 0 && t.Type != items[0].Type)
            {
                throw ctx.Fail($"input {i} is {t.Type}, input 0 {items[0].Type}: a sequence holds one element type");
            }

            items.Add(t);
        }

        if (items.Count == 0)
        {
            throw ctx.Fail("at least one input is required");
        }

        ctx.Set(0, new OpSequence(items[0].Type, items));
    }
}

namespace LightNet.Operators.ControlFlow;

/// <summary>Concatenates the tensors of a sequence along 'axis', or stacks them along a new axis when 'new_axis' is 1.</summary>
internal sealed class ConcatFromSequence : OperatorDef
{
    public override string OpType => "ConcatFromSequence";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Validate(Onnx.Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.ContainsKey("axis"))
        {
            problems.Add("attribute 'axis' is required");
        }

        long newAxis = node.GetInt("new_axis", 0);
        if (newAxis is not 0 and not 1)
        {
            problems.Add($"attribute 'new_axis' = {newAxis} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpSequence seq = ctx.Sequence(0);
        if (seq.Items.Count == 0)
        {
            throw ctx.Fail("cannot concatenate an empty sequence");
        }

        int rank = seq.Items[0].Rank;
        long axis = ctx.Int("axis", 0);
        if (ctx.Int("new_axis", 0) == 1)
        {
            ctx.Set(0, TensorParts.Stack(seq.Items, ctx.Axis(axis, rank + 1), ctx));
            return;
        }

        if (rank == 0)
        {
            throw ctx.Fail("scalars cannot be concatenated without new_axis = 1");
        }

        ctx.Set(0, TensorParts.Concat(seq.Items, ctx.Axis(axis, rank), ctx));
    }
}

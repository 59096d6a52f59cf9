namespace LightNet.Operators.DataMovement;

/// <summary>The input, unchanged (tensors and sequences).</summary>
internal sealed class Identity : OperatorDef
{
    public override string OpType => "Identity";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        if (ctx.Inputs[0] is { } v)
        {
            ctx.Set(0, v);
        }
    }
}

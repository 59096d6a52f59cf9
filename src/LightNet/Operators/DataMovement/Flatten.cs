namespace LightNet.Operators.DataMovement;

/// <summary>A 2-D view: dimensions before the axis multiplied into rows, the rest into columns.</summary>
internal sealed class Flatten : OperatorDef
{
    public override string OpType => "Flatten";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long axis = ctx.Int("axis", 1);
        long a = axis < 0 ? axis + x.Rank : axis;
        if (a < 0 || a > x.Rank)
        {
            throw ctx.Fail($"axis {axis} is out of range for a rank-{x.Rank} input");
        }

        long rows = 1;
        for (int d = 0; d < a; d++) rows *= x.Dims[d];
        long cols = 1;
        for (long d = a; d < x.Rank; d++) cols *= x.Dims[d];
        ctx.Set(0, new OpTensor(x.Type, [rows, cols], x.Data));
    }
}

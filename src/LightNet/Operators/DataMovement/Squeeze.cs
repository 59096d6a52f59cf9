namespace LightNet.Operators.DataMovement;

/// <summary>Removes dimensions of size 1: those listed (attribute before opset 13, input after) or all.</summary>
internal sealed class Squeeze : OperatorDef
{
    public override string OpType => "Squeeze";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[]? axes = ctx.Opset < 13 ? ctx.Ints("axes") : ctx.OptionalInts(1);
        var drop = new bool[x.Rank];
        if (axes is null)
        {
            for (int d = 0; d < x.Rank; d++) drop[d] = x.Dims[d] == 1;
        }
        else
        {
            foreach (long a in axes)
            {
                int d = ctx.Axis(a, x.Rank, "axis");
                if (x.Dims[d] != 1)
                {
                    throw ctx.Fail($"dimension {d} of {x} is {x.Dims[d]}, not 1");
                }

                drop[d] = true;
            }
        }

        ctx.Set(0, new OpTensor(x.Type, x.Dims.Where((_, d) => !drop[d]).ToArray(), x.Data));
    }
}

using LightNet.Operators.Support;

namespace LightNet.Operators.DataMovement;

/// <summary>Broadcasts the input to a shape (the result is the broadcast of the two shapes).</summary>
internal sealed class Expand : OperatorDef
{
    public override string OpType => "Expand";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] dims = Broadcasting.Shape(ctx, x.Dims, Indexing.ShapeInput(ctx, 1));
        int[]? offsets = Broadcasting.Offsets(x.Dims, dims);
        ctx.Set(0, offsets is null ? new OpTensor(x.Type, dims, x.Data) : x.Gather(dims, offsets));
    }
}

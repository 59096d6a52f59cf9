using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Element-wise sum of one or more inputs with broadcasting.</summary>
internal sealed class Sum : OperatorDef
{
    public override string OpType => "Sum";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, Pointwise.Variadic(ctx, (a, b) => Pointwise.Binary(ctx, a, b, (x, y) => x + y, (x, y) => unchecked(x + y), (x, y) => unchecked(x + y))));
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Logical or with broadcasting.</summary>
internal sealed class Or : OperatorDef
{
    public override string OpType => "Or";

    public override string Types => "bool";

    public override void Execute(OpContext ctx) => ctx.Set(0, Pointwise.Logical(ctx, ctx.Input(0), ctx.Input(1), (a, b) => a || b));
}

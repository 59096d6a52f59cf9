namespace LightNet.Operators.Quantization;

/// <summary>Converts every element of the first input to the element type of the second (as Cast does).</summary>
internal sealed class CastLike : OperatorDef
{
    public override string OpType => "CastLike";

    public override int SinceVersion => 15;

    public override string Types => "all the layer holds: float32, float16, bfloat16, float64, (u)int8..64, bool, string";

    public override string Limitations => "float8, 4-bit and 2-bit types are refused; numbers become text as Cast writes them";

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, ElementConversion.Convert(ctx, ctx.Input(0), ctx.Input(1).Type));
}

using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>Converts every element to the type of attribute 'to' (numbers, bool and strings; float8/4-bit/2-bit refused).</summary>
internal sealed class Cast : OperatorDef
{
    public override string OpType => "Cast";

    public override string Types => "all the layer holds: float32, float16, bfloat16, float64, (u)int8..64, bool, string";

    public override string Limitations =>
        "float8, 4-bit and 2-bit targets are refused ('saturate' and 'round_mode' only matter for those); numbers become text as ONNX Runtime writes them (\"%.8g\", NaN, INF, -INF)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.ContainsKey("to"))
        {
            problems.Add("attribute 'to' is required");
            return;
        }

        long code = ElementConversion.TargetCode(node);
        if (ElementConversion.Refusal(code) is { } why)
        {
            problems.Add($"attribute 'to' = {ElementConversion.TypeName(code)}: {why}");
        }
    }

    public override void Execute(OpContext ctx)
    {
        long code = ElementConversion.TargetCode(ctx.Node);
        if (ElementConversion.Refusal(code) is { } why)
        {
            throw ctx.Unsupported($"attribute 'to' = {ElementConversion.TypeName(code)}: {why}");
        }

        ctx.Set(0, ElementConversion.Convert(ctx, ctx.Input(0), (TensorElementType)code));
    }
}

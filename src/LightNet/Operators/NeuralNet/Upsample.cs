using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>Nearest or linear upsampling by per-axis scales (an attribute in opsets 7-8, an input from opset 9).</summary>
internal sealed class Upsample : OperatorDef
{
    public override string OpType => "Upsample";

    public override int SinceVersion => 7;

    public override string Types => "all (nearest); numeric (linear)";

    public override string Limitations => "opset 1-6 (experimental height_scale/width_scale form) is not supported";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (opset < 7)
        {
            problems.Add("Upsample before opset 7 is not supported");
        }

        string mode = node.GetString("mode", "nearest");
        if (mode is not ("nearest" or "linear" or "bilinear"))
        {
            problems.Add($"attribute 'mode' = '{mode}' is not nearest or linear");
        }

        if (opset is >= 7 and < 9 && node.GetFloats("scales") is null)
        {
            problems.Add("attribute 'scales' is required");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        double[] scales = ctx.Opset < 9
            ? (ctx.Floats("scales") ?? throw ctx.Fail("attribute 'scales' is required")).Select(f => (double)f).ToArray()
            : ctx.Input(1).ToDoubles();
        ctx.Set(0, Interpolation.Legacy(ctx, x, scales, ctx.String("mode", "nearest")));
    }
}

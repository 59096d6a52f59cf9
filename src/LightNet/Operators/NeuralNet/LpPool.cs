using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>N-D Lp pooling: (sum |x|^p)^(1/p) over each window (pads or auto_pad, strides, dilations, ceil_mode).</summary>
internal sealed class LpPool : OperatorDef
{
    public override string OpType => "LpPool";

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        SpatialGeometry.ValidateWindow(node, problems, convolution: false);
        if (opset >= 2 && node.Attributes.TryGetValue("p", out NodeAttribute? a) && a.Kind == AttributeKind.Int && a.IntValue <= 0)
        {
            problems.Add($"attribute 'p' = {a.IntValue} must be positive");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        ConvMath.RequireFloat(ctx, x, "X");
        double p = P(ctx);
        SpatialGeometry g = Pooling.Geometry(ctx, x, ctx.Int("ceil_mode", 0) != 0);
        (double[] y, _) = Pooling.Run(g, x, Pooling.Kind.Lp, false, p, false, false);
        ctx.Set(0, OpTensor.FromDoubles(x.Type, [x.Dims[0], x.Dims[1], .. g.Output], y));
    }

    /// <summary>The exponent: a float attribute in opset 1, an int from opset 2.</summary>
    public static double P(OpContext ctx)
    {
        double p = ctx.Opset < 2 ? ctx.Float("p", 2f) : ctx.Int("p", 2);
        return p <= 0 ? throw ctx.Fail($"attribute 'p' = {p} must be positive") : p;
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>N-D average pooling (pads or auto_pad, strides, dilations, ceil_mode, count_include_pad).</summary>
internal sealed class AveragePool : OperatorDef
{
    public override string OpType => "AveragePool";

    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        Engine.CompiledLimits.Pooling(n, problem);
    }

    public override void ValidateSpecification(Node node, long opset, List<string> problems) => SpatialGeometry.ValidateWindow(node, problems, convolution: false);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        ConvMath.RequireFloat(ctx, x, "X");
        SpatialGeometry g = Pooling.Geometry(ctx, x, ctx.Int("ceil_mode", 0) != 0);
        (double[] y, _) = Pooling.Run(g, x, Pooling.Kind.Average, ctx.Int("count_include_pad", 0) != 0, 0, false, false);
        ctx.Set(0, OpTensor.FromDoubles(x.Type, [x.Dims[0], x.Dims[1], .. g.Output], y));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>N-D max pooling (pads or auto_pad, strides, dilations, ceil_mode) with the optional flat argmax Indices output.</summary>
internal sealed class MaxPool : OperatorDef
{
    public override string OpType => "MaxPool";

    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        Engine.CompiledLimits.Pooling(n, problem);
    }

    public override string Types => "float32, float16, float64, int8, uint8";

    public override void ValidateSpecification(Node node, long opset, List<string> problems) => SpatialGeometry.ValidateWindow(node, problems, convolution: false);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type is not (TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Double
            or TensorElementType.BFloat16 or TensorElementType.Int8 or TensorElementType.UInt8))
        {
            throw ctx.Unsupported($"X is {x.Type}; MaxPool supports float32, float16, float64, int8 and uint8");
        }

        long storageOrder = ctx.Int("storage_order", 0);
        if (storageOrder is not (0 or 1))
        {
            throw ctx.Fail($"attribute 'storage_order' = {storageOrder} must be 0 or 1");
        }

        SpatialGeometry g = Pooling.Geometry(ctx, x, ctx.Int("ceil_mode", 0) != 0);
        bool wantIndices = ctx.Wants(1);
        (double[] y, long[]? idx) = Pooling.Run(g, x, Pooling.Kind.Max, false, 0, wantIndices, storageOrder == 1);
        long[] dims = [x.Dims[0], x.Dims[1], .. g.Output];
        ctx.Set(0, OpTensor.FromDoubles(x.Type, dims, y));
        if (idx is not null)
        {
            ctx.Set(1, OpTensor.FromLongs(dims, idx));
        }
    }
}

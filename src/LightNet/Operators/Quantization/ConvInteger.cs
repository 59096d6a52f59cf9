using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Quantization;

/// <summary>int32 convolution of uint8/int8 input and weights after removing their zero points (input per tensor, weights per tensor or per output channel).</summary>
internal sealed class ConvInteger : OperatorDef
{
    public override string OpType => "ConvInteger";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.Convolution(MacCount.At(inputs, 1), MacCount.At(outputs, 0));

    public override int SinceVersion => 10;

    public override string Types => "x, w: uint8, int8; y: int32";

    public override void Validate(Node node, long opset, List<string> problems) => IntegerConvolution.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), w = ctx.Input(1);
        int[] xc = IntegerConvolution.Centered(ctx, x, ctx.Optional(2), "x", perChannel: false);
        int[] wc = IntegerConvolution.Centered(ctx, w, ctx.Optional(3), "w", perChannel: true);
        (long[] dims, int[] y) = IntegerConvolution.Run(ctx, xc, x.Dims, wc, w.Dims);
        ctx.Set(0, new OpTensor(TensorElementType.Int32, dims, y));
    }
}

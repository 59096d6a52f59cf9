using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Quantization;

/// <summary>int32 matrix product (numpy matmul) of uint8/int8 tensors after removing their zero points.</summary>
internal sealed class MatMulInteger : OperatorDef
{
    public override string OpType => "MatMulInteger";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.MatrixProduct(MacCount.At(inputs, 0), MacCount.At(outputs, 0));

    public override int SinceVersion => 10;

    public override string Types => "A, B: uint8, int8; Y: int32";

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), b = ctx.Input(1);
        int[] ac = IntegerMatMul.Centered(ctx, a, ctx.Optional(2), rows: true, "A");
        int[] bc = IntegerMatMul.Centered(ctx, b, ctx.Optional(3), rows: false, "B");
        (long[] dims, int[] y, _, _, _, _, _) = IntegerMatMul.Multiply(ctx, ac, a.Dims, bc, b.Dims);
        ctx.Set(0, new OpTensor(TensorElementType.Int32, dims, y));
    }
}

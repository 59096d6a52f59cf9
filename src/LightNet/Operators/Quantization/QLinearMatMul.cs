using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Quantization;

/// <summary>Quantized matrix product: y = saturate(round((a - a_zp)(b - b_zp) * a_scale * b_scale / y_scale) + y_zp).</summary>
internal sealed class QLinearMatMul : OperatorDef
{
    public override string OpType => "QLinearMatMul";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.MatrixProduct(MacCount.At(inputs, 0), MacCount.At(outputs, 0));

    public override int SinceVersion => 10;

    public override string Types => "a, b, y: uint8, int8; scales: float32, float16, bfloat16";

    public override string Limitations => "the rescaling is done in float32 as ONNX Runtime does";

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), aScale = ctx.Input(1), b = ctx.Input(3), bScale = ctx.Input(4), yScale = ctx.Input(6);
        OpTensor? aZp = ctx.Optional(2), bZp = ctx.Optional(5), yZp = ctx.Optional(7);
        TensorElementType outType = yZp?.Type ?? TensorElementType.UInt8;
        if (outType is not (TensorElementType.UInt8 or TensorElementType.Int8))
        {
            throw ctx.Fail($"y_zero_point is {outType}; it must be uint8 or int8");
        }

        if (yScale.Length != 1 || yZp is { Length: not 1 })
        {
            throw ctx.Fail($"y_scale {Dimension.Format(yScale.Dims)} and y_zero_point must be scalars");
        }

        foreach ((OpTensor s, string name) in new[] { (aScale, "a_scale"), (bScale, "b_scale"), (yScale, "y_scale") })
        {
            if (!s.IsFloat)
            {
                throw ctx.Fail($"{name} is {s.Type}; it must hold floating-point values");
            }
        }

        int[] ac = IntegerMatMul.Centered(ctx, a, aZp, rows: true, "a");
        int[] bc = IntegerMatMul.Centered(ctx, b, bZp, rows: false, "b");
        (long[] dims, int[] acc, int m, int n, int k, int[]? aBatch, int[]? bBatch) = IntegerMatMul.Multiply(ctx, ac, a.Dims, bc, b.Dims);
        int[]? aMap = IntegerMatMul.ParameterMap(ctx, aScale, a.Dims, rows: true, "a_scale");
        int[]? bMap = IntegerMatMul.ParameterMap(ctx, bScale, b.Dims, rows: false, "b_scale");
        float[] sa = ElementConversion.Floats(aScale), sb = ElementConversion.Floats(bScale);
        float sy = ElementConversion.Floats(yScale)[0];
        long zy = yZp is null ? 0 : ElementConversion.Longs(yZp)[0];
        (long min, long max) = QuantizationParameters.Range(outType);
        var y = new long[acc.Length];
        for (int e = 0; e < y.Length; e++)
        {
            // The scale of row i of A and of column j of B, in the batch this output element belongs to.
            int t = e / (m * n), i = e / n % m, j = e % n;
            float rowScale = aMap is null || k == 0 ? sa[0] : sa[aMap[((aBatch?[t] ?? t) * m * k) + (i * k)]];
            float columnScale = bMap is null || k == 0 ? sb[0] : sb[bMap[((bBatch?[t] ?? t) * k * n) + j]];
            float multiplier = rowScale * columnScale / sy;
            y[e] = QuantizationParameters.Saturate((float)acc[e] * multiplier, zy, min, max);
        }

        ctx.Set(0, OpTensor.FromLongs(outType, dims, y));
    }
}

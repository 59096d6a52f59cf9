using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor, per axis or in blocks along an axis.</summary>
internal sealed class QuantizeLinear : OperatorDef
{
    public override string OpType => "QuantizeLinear";

    public override int SinceVersion => 10;

    public override string Types => "x: float32, float16, bfloat16, int32; y: uint8, int8, uint16, int16";

    public override string Limitations =>
        "float8, 4-bit and 2-bit outputs are refused; the division is done in float32 whatever 'precision' says (as ONNX Runtime does)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (CheckedType(node, opset) is { } p)
        {
            problems.Add(p);
        }

        if (opset >= 21 && node.GetInt("block_size", 0) < 0)
        {
            problems.Add($"attribute 'block_size' = {node.GetInt("block_size", 0)} must not be negative");
        }

        if (opset >= 23 && node.GetInt("precision", 0) is var precision and not (0 or 1 or 10 or 16 or 11))
        {
            problems.Add($"attribute 'precision' = {ElementConversion.TypeName(precision)} must be a floating-point type");
        }
    }

    private static string? CheckedType(Node node, long opset) =>
        opset >= 21 ? QuantizationParameters.CheckQuantizedType("output_dtype", node.GetInt("output_dtype", 0)) : null;

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), scale = ctx.Input(1);
        OpTensor? zp = ctx.Optional(2);
        long dtype = ctx.Opset >= 21 ? ctx.Int("output_dtype", 0) : 0;
        if (CheckedType(ctx.Node, ctx.Opset) is { } problem)
        {
            throw ctx.Unsupported(problem);
        }

        TensorElementType outType = zp?.Type ?? (dtype != 0 ? (TensorElementType)dtype : TensorElementType.UInt8);
        if (dtype != 0 && (long)outType != dtype)
        {
            throw ctx.Fail($"y_zero_point is {outType} but attribute 'output_dtype' is {ElementConversion.TypeName(dtype)}");
        }

        if (!QuantizationParameters.IsQuantized(outType))
        {
            throw ctx.Unsupported($"quantizing to {outType} is not supported (uint8, int8, uint16, int16 are)");
        }

        if (!x.IsFloat && x.Type != TensorElementType.Int32)
        {
            throw ctx.Fail($"x is {x.Type}; QuantizeLinear takes floating-point or int32 values");
        }

        if (!scale.IsFloat && scale.Type != TensorElementType.Int32)
        {
            throw ctx.Fail($"y_scale is {scale.Type}; it must hold floating-point values");
        }

        QuantizationParameters.CheckZeroPoint(ctx, scale, zp, "y");
        long axis = ctx.Opset >= 13 ? ctx.Int("axis", 1) : 1;
        long block = ctx.Opset >= 21 ? ctx.Int("block_size", 0) : 0;
        int[]? map = QuantizationParameters.Map(ctx, x.Dims, scale.Dims, axis, block, "y_scale");
        float[] s = ElementConversion.Floats(scale);
        long[] z = zp is null ? new long[s.Length] : ElementConversion.Longs(zp);
        (long min, long max) = QuantizationParameters.Range(outType);
        var y = new long[x.Length];
        if (x.Type == TensorElementType.Double || x.Type == TensorElementType.Int32)
        {
            for (int i = 0; i < y.Length; i++)
            {
                int k = map?[i] ?? 0;
                y[i] = QuantizationParameters.Saturate(x.GetDouble(i) / s[k], z[k], min, max);
            }
        }
        else
        {
            float[] xf = ElementConversion.Floats(x);
            for (int i = 0; i < y.Length; i++)
            {
                int k = map?[i] ?? 0;
                y[i] = QuantizationParameters.Saturate(xf[i] / s[k], z[k], min, max);
            }
        }

        ctx.Set(0, OpTensor.FromLongs(outType, x.Dims, y));
    }
}

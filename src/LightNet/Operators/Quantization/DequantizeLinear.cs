using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>y = (x - x_zero_point) * x_scale, per tensor, per axis or in blocks along an axis.</summary>
internal sealed class DequantizeLinear : OperatorDef
{
    public override string OpType => "DequantizeLinear";

    public override int SinceVersion => 10;

    public override string Types => "x: uint8, int8, uint16, int16, int32; y: float32, float16, bfloat16";

    public override string Limitations => "float8, 4-bit and 2-bit inputs are refused (the layer cannot hold them)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long dtype = node.GetInt("output_dtype", 0);
        if (dtype is not (0 or 1 or 10 or 16))
        {
            problems.Add($"attribute 'output_dtype' = {ElementConversion.TypeName(dtype)} must be FLOAT, FLOAT16 or BFLOAT16");
        }

        if (opset >= 21 && node.GetInt("block_size", 0) < 0)
        {
            problems.Add($"attribute 'block_size' = {node.GetInt("block_size", 0)} must not be negative");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), scale = ctx.Input(1);
        OpTensor? zp = ctx.Optional(2);
        if (!QuantizationParameters.IsQuantized(x.Type) && x.Type != TensorElementType.Int32)
        {
            throw ctx.Unsupported($"dequantizing {x.Type} is not supported (uint8, int8, uint16, int16, int32 are)");
        }

        if (zp is not null && zp.Type != x.Type)
        {
            throw ctx.Fail($"x is {x.Type} but x_zero_point is {zp.Type}");
        }

        if (!scale.IsFloat)
        {
            throw ctx.Fail($"x_scale is {scale.Type}; it must hold floating-point values");
        }

        long dtype = ctx.Int("output_dtype", 0);
        TensorElementType outType = dtype != 0 ? (TensorElementType)dtype : scale.Type;
        QuantizationParameters.CheckZeroPoint(ctx, scale, zp, "x");
        long axis = ctx.Opset >= 13 ? ctx.Int("axis", 1) : 1;
        long block = ctx.Opset >= 21 ? ctx.Int("block_size", 0) : 0;
        int[]? map = QuantizationParameters.Map(ctx, x.Dims, scale.Dims, axis, block, "x_scale");
        float[] s = ElementConversion.Floats(scale);
        long[] z = zp is null ? new long[s.Length] : ElementConversion.Longs(zp);
        long[] xv = ElementConversion.Longs(x);
        var y = new double[xv.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int k = map?[i] ?? 0;
            y[i] = (float)(xv[i] - z[k]) * s[k];
        }

        ctx.Set(0, OpTensor.FromDoubles(outType, x.Dims, y));
    }
}

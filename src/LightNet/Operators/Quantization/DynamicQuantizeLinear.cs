namespace LightNet.Operators.Quantization;

/// <summary>Quantizes to uint8 with a scale and zero point computed from the input's range (which always includes 0).</summary>
internal sealed class DynamicQuantizeLinear : OperatorDef
{
    public override string OpType => "DynamicQuantizeLinear";

    public override int SinceVersion => 11;

    public override string Types => "x: float32, float16, float64; y: uint8";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Fail($"x is {x.Type}; DynamicQuantizeLinear takes floating-point values");
        }

        float[] v = ElementConversion.Floats(x);
        float lo = 0, hi = 0;
        foreach (float f in v)
        {
            lo = Math.Min(lo, f);
            hi = Math.Max(hi, f);
        }

        if (float.IsNaN(lo) || float.IsNaN(hi) || float.IsInfinity(lo) || float.IsInfinity(hi))
        {
            throw ctx.Fail("x holds NaN or infinite values, which have no quantization range");
        }

        // ONNX Runtime's choice for an all-zero input (the specification divides by zero): scale 1.
        float scale = hi == lo ? 1f : (hi - lo) / 255f;
        float initialZeroPoint = 0f - (lo / scale);
        long zp = (long)MathF.Round(Math.Clamp(initialZeroPoint, 0f, 255f), MidpointRounding.ToEven);
        var y = new byte[v.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = (byte)QuantizationParameters.Saturate(v[i] / scale, zp, 0, 255);
        }

        ctx.Set(0, new OpTensor(Onnx.TensorElementType.UInt8, x.Dims, y));
        ctx.Set(1, OpTensor.Scalar(scale));
        ctx.Set(2, new OpTensor(Onnx.TensorElementType.UInt8, [], new[] { (byte)zp }));
    }
}

namespace LightNet.Operators.Quantization;

/// <summary>The Quantization operator group: one file per operator in this folder.</summary>
internal static class QuantizationOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new BitCast(),
        new Cast(),
        new CastLike(),
        new ConvInteger(),
        new DequantizeLinear(),
        new DynamicQuantizeLinear(),
        new MatMulInteger(),
        new QLinearConv(),
        new QLinearMatMul(),
        new QuantizeLinear(),
    ];
}

using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>The smallest and largest value of each integer element type, as the 64-bit pattern the operators compute with.</summary>
internal static class IntegerRange
{
    public static long Min(TensorElementType type) => type switch
    {
        TensorElementType.Int8 => sbyte.MinValue,
        TensorElementType.Int16 => short.MinValue,
        TensorElementType.Int32 => int.MinValue,
        TensorElementType.Int64 => long.MinValue,
        _ => 0,
    };

    public static long Max(TensorElementType type) => type switch
    {
        TensorElementType.Int8 => sbyte.MaxValue,
        TensorElementType.UInt8 => byte.MaxValue,
        TensorElementType.Int16 => short.MaxValue,
        TensorElementType.UInt16 => ushort.MaxValue,
        TensorElementType.Int32 => int.MaxValue,
        TensorElementType.UInt32 => uint.MaxValue,
        TensorElementType.UInt64 => -1,
        _ => long.MaxValue,
    };
}

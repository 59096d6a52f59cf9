namespace LightNet.Onnx;

/// <summary>
/// The element type of a tensor, with ONNX's own numeric values (<c>TensorProto.DataType</c>).
/// </summary>
public enum TensorElementType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 strings.</summary>
    String = 8,
    /// <summary>Booleans, one byte each.</summary>
    Bool = 9,
    /// <summary>16-bit IEEE half float.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex number of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Complex number of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
    /// <summary>8-bit float E4M3 (finite only).</summary>
    Float8E4M3FN = 17,
    /// <summary>8-bit float E4M3 (finite, no negative zero).</summary>
    Float8E4M3FNUZ = 18,
    /// <summary>8-bit float E5M2.</summary>
    Float8E5M2 = 19,
    /// <summary>8-bit float E5M2 (finite, no negative zero).</summary>
    Float8E5M2FNUZ = 20,
    /// <summary>Unsigned 4-bit integer, two per byte.</summary>
    UInt4 = 21,
    /// <summary>Signed 4-bit integer, two per byte.</summary>
    Int4 = 22,
    /// <summary>4-bit float E2M1, two per byte.</summary>
    Float4E2M1 = 23,
}

/// <summary>Facts about <see cref="TensorElementType"/> values.</summary>
public static class TensorElementTypeExtensions
{
    /// <summary>
    /// Size of one element in bits (4 for the packed 4-bit types, 0 for <see cref="TensorElementType.String"/>
    /// and unknown types).
    /// </summary>
    /// <param name="type">The element type.</param>
    public static int SizeInBits(this TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 32,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 8,
        TensorElementType.Float8E4M3FN or TensorElementType.Float8E4M3FNUZ => 8,
        TensorElementType.Float8E5M2 or TensorElementType.Float8E5M2FNUZ => 8,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 16,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double or TensorElementType.Complex64 => 64,
        TensorElementType.Complex128 => 128,
        TensorElementType.UInt4 or TensorElementType.Int4 or TensorElementType.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>Bytes needed to store <paramref name="elementCount"/> elements (packed types round up).</summary>
    /// <param name="type">The element type; must have a fixed size.</param>
    /// <param name="elementCount">Number of elements.</param>
    /// <exception cref="OverflowException">The byte count does not fit in a 64-bit integer.</exception>
    public static long ByteCount(this TensorElementType type, long elementCount)
    {
        int bits = type.SizeInBits();
        return bits == 4 ? (elementCount + 1) / 2 : checked(elementCount * (bits / 8));
    }

    /// <summary>True for the floating-point types (FP32, FP16, BF16, FP64 and the FP8/FP4 formats).</summary>
    /// <param name="type">The element type.</param>
    public static bool IsFloatingPoint(this TensorElementType type) => type is TensorElementType.Float
        or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Double
        or TensorElementType.Float8E4M3FN or TensorElementType.Float8E4M3FNUZ or TensorElementType.Float8E5M2
        or TensorElementType.Float8E5M2FNUZ or TensorElementType.Float4E2M1;

    /// <summary>True when the value is a type this version of LightNet knows.</summary>
    /// <param name="type">The element type.</param>
    public static bool IsKnown(this TensorElementType type) => type is > TensorElementType.Undefined and <= TensorElementType.Float4E2M1;
}

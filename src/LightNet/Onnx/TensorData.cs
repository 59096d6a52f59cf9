using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace LightNet.Onnx;

/// <summary>
/// A constant tensor held by a model: an initializer (weights, biases, shape constants) or the value of a
/// tensor attribute. The data is immutable and stored little-endian as ONNX's <c>raw_data</c> lays it out.
/// </summary>
public sealed class TensorData
{
    private readonly long[] _dims;

    internal TensorData(string name, TensorElementType elementType, long[] dims, ReadOnlyMemory<byte> rawData,
        IReadOnlyList<string>? strings = null)
    {
        Name = name;
        ElementType = elementType;
        _dims = dims;
        RawData = rawData;
        Strings = strings;
        ElementCount = Shapes.ElementCount(dims);
    }

    /// <summary>The tensor's name (an initializer's name is the graph value it defines).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Dims => _dims;

    /// <summary>Number of elements (product of <see cref="Dims"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The elements as little-endian bytes (empty for string tensors).</summary>
    public ReadOnlyMemory<byte> RawData { get; }

    /// <summary>The elements of a <see cref="TensorElementType.String"/> tensor; null for other types.</summary>
    public IReadOnlyList<string>? Strings { get; }

    /// <summary>Size of the data in bytes.</summary>
    public long ByteCount => RawData.Length;

    /// <summary>Creates a float tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dims">Dimensions.</param>
    /// <param name="values">Values in row-major order; length must equal the product of <paramref name="dims"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> when the length does not match.</exception>
    public static TensorData FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) =>
        FromSpan(name, TensorElementType.Float, dims, values);

    /// <summary>Creates an int64 tensor (shape constants, indices).</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dims">Dimensions.</param>
    /// <param name="values">Values in row-major order; length must equal the product of <paramref name="dims"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> when the length does not match.</exception>
    public static TensorData FromInt64s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> values) =>
        FromSpan(name, TensorElementType.Int64, dims, values);

    /// <summary>Creates a tensor of any fixed-size element type from little-endian bytes.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="elementType">Element type; not <see cref="TensorElementType.String"/>.</param>
    /// <param name="dims">Dimensions.</param>
    /// <param name="rawData">Little-endian element bytes; the array is not copied, so do not change it afterwards.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> when the length does not match.</exception>
    public static TensorData FromRawData(string name, TensorElementType elementType, ReadOnlySpan<long> dims, ReadOnlyMemory<byte> rawData)
    {
        if (!elementType.IsKnown() || elementType == TensorElementType.String)
        {
            throw new LightNetException(ErrorCode.InvalidTensor, $"Tensor '{name}': element type {elementType} cannot be built from raw bytes.");
        }

        long[] d = Shapes.Validate(dims, $"tensor '{name}'");
        long expected = elementType.ByteCount(Shapes.ElementCount(d));
        if (expected != rawData.Length)
        {
            throw new LightNetException(ErrorCode.InvalidTensor,
                $"Tensor '{name}': shape {Dimension.Format(d)} of {elementType} needs {expected} bytes but {rawData.Length} were given.");
        }

        return new TensorData(name, elementType, d, rawData);
    }

    private static TensorData FromSpan<T>(string name, TensorElementType type, ReadOnlySpan<long> dims, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        long[] d = Shapes.Validate(dims, $"tensor '{name}'");
        if (Shapes.ElementCount(d) != values.Length)
        {
            throw new LightNetException(ErrorCode.InvalidTensor,
                $"Tensor '{name}': shape {Dimension.Format(d)} holds {Shapes.ElementCount(d)} values but {values.Length} were given.");
        }

        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("LightNet needs a little-endian machine.");
        }

        return new TensorData(name, type, d, bytes);
    }

    /// <summary>
    /// The elements converted to <see cref="float"/> (from float, half, double and the integer types).
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> for types that have no float value.</exception>
    public float[] ToFloatArray()
    {
        ReadOnlySpan<byte> b = RawData.Span;
        var result = new float[ElementCount];
        switch (ElementType)
        {
            case TensorElementType.Float: MemoryMarshal.Cast<byte, float>(b).CopyTo(result); break;
            case TensorElementType.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(b);
                for (int i = 0; i < result.Length; i++) result[i] = (float)halves[i];
                break;
            case TensorElementType.BFloat16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]) << 16);
                break;
            case TensorElementType.Double:
                var doubles = MemoryMarshal.Cast<byte, double>(b);
                for (int i = 0; i < result.Length; i++) result[i] = (float)doubles[i];
                break;
            default:
                long[] ints = ToInt64Array();
                for (int i = 0; i < result.Length; i++) result[i] = ints[i];
                break;
        }

        return result;
    }

    /// <summary>The elements converted to <see cref="long"/> (from the integer and bool types).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> for non-integer types.</exception>
    public long[] ToInt64Array()
    {
        ReadOnlySpan<byte> b = RawData.Span;
        var result = new long[ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = ElementType switch
            {
                TensorElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b[(8 * i)..]),
                TensorElementType.UInt64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(b[(8 * i)..]),
                TensorElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]),
                TensorElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b[(4 * i)..]),
                TensorElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b[(2 * i)..]),
                TensorElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]),
                TensorElementType.Int8 => (sbyte)b[i],
                TensorElementType.UInt8 or TensorElementType.Bool => b[i],
                _ => throw new LightNetException(ErrorCode.InvalidTensor,
                    $"Tensor '{Name}' of type {ElementType} cannot be read as integers."),
            };
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ElementType} {Dimension.Format(_dims)}";
}

using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using LightNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace LightNet.Backends;

/// <summary>
/// A dense tensor in host memory for feeding and reading sessions: element type, shape and little-endian
/// bytes. The bytes live in a pinned array, so a backend can hand their address to native code without
/// copying; reuse one buffer across runs to keep the timed loop free of allocations.
/// </summary>
public sealed class TensorBuffer
{
    private readonly byte[] _bytes;
    private readonly long[] _shape;

    private TensorBuffer(TensorElementType elementType, long[] shape, byte[] bytes)
    {
        ElementType = elementType;
        _shape = shape;
        _bytes = bytes;
        ElementCount = Shapes.ElementCount(shape);
    }

    /// <summary>The element type.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Size of the data in bytes.</summary>
    public int ByteCount => _bytes.Length;

    /// <summary>The data as bytes.</summary>
    public Span<byte> Bytes => _bytes;

    internal byte[] PinnedArray => _bytes;

    internal long[] ShapeArray => _shape;

    /// <summary>A zero-filled tensor.</summary>
    /// <param name="elementType">A fixed-size element type.</param>
    /// <param name="shape">Dimensions.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a bad shape, <see cref="ErrorCode.InvalidArgument"/>
    /// for strings or a tensor over 2 GiB.</exception>
    public static TensorBuffer Allocate(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        if (!elementType.IsKnown() || elementType == TensorElementType.String || elementType.SizeInBits() < 8)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A tensor buffer cannot hold {elementType} elements.");
        }

        long[] dims = Shapes.Validate(shape, "tensor buffer");
        long bytes = elementType.ByteCount(Shapes.ElementCount(dims));
        if (bytes > Array.MaxLength)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A tensor of shape {Dimension.Format(dims)} ({bytes} bytes) is larger than one buffer can hold.");
        }

        return new TensorBuffer(elementType, dims, GC.AllocateArray<byte>((int)bytes, pinned: true));
    }

    /// <summary>A float tensor holding a copy of <paramref name="values"/>.</summary>
    /// <param name="values">Values in row-major order.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when the counts differ.</exception>
    public static TensorBuffer FromFloats(ReadOnlySpan<float> values, ReadOnlySpan<long> shape)
    {
        TensorBuffer t = Allocate(TensorElementType.Float, shape);
        if (t.ElementCount != values.Length)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Shape {Dimension.Format(shape.ToArray())} holds {t.ElementCount} values, not {values.Length}.");
        }

        values.CopyTo(t.AsSpan<float>());
        return t;
    }

    /// <summary>The data as a span of <typeparamref name="T"/>, which must match the element size.</summary>
    /// <typeparam name="T">float, Half, long, int, byte, sbyte, ...</typeparam>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the size of <typeparamref name="T"/> differs.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (size * 8 != ElementType.SizeInBits())
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A {ElementType} tensor cannot be read as {typeof(T).Name}.");
        }

        return MemoryMarshal.Cast<byte, T>(_bytes.AsSpan());
    }

    /// <summary>The elements converted to float (from float, half and the integer types).</summary>
    public float[] ToFloatArray() => ElementType switch
    {
        TensorElementType.Float => AsSpan<float>().ToArray(),
        TensorElementType.Float16 => AsSpan<Half>().ToArray().Select(h => (float)h).ToArray(),
        _ => TensorData.FromRawData("tensor", ElementType, _shape, _bytes).ToFloatArray(),
    };

    /// <summary>A new buffer with a copy of this one's data.</summary>
    public TensorBuffer Clone()
    {
        TensorBuffer copy = Allocate(ElementType, _shape);
        _bytes.CopyTo(copy._bytes, 0);
        return copy;
    }

    /// <summary>
    /// The data as a <see cref="TensorSpan{T}"/> of System.Numerics.Tensors, without copying: writes through it change this
    /// buffer. <typeparamref name="T"/> must match the element size, as for <see cref="AsSpan{T}"/>.
    /// </summary>
    /// <typeparam name="T">float, Half, long, int, byte, ...</typeparam>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the size of <typeparamref name="T"/> differs.</exception>
    public TensorSpan<T> AsTensorSpan<T>() where T : unmanaged
    {
        Span<nint> lengths = stackalloc nint[_shape.Length];
        for (int i = 0; i < _shape.Length; i++) lengths[i] = (nint)_shape[i];
        return new TensorSpan<T>(AsSpan<T>(), lengths);
    }

    /// <summary>A new System.Numerics.Tensors <see cref="Tensor{T}"/> with a copy of the data (a tensor owns its array).</summary>
    /// <typeparam name="T">The element type; its size must match, as for <see cref="AsSpan{T}"/>.</typeparam>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the size of <typeparamref name="T"/> differs.</exception>
    public Tensor<T> ToTensor<T>() where T : unmanaged
    {
        nint[] lengths = Array.ConvertAll(_shape, d => (nint)d);
        return Tensor.Create(AsSpan<T>().ToArray(), lengths);
    }

    /// <summary>A buffer with a copy of a System.Numerics.Tensors tensor (any strides: it is flattened in row-major order).</summary>
    /// <typeparam name="T">float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.</typeparam>
    /// <param name="tensor">The tensor.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for another element type.</exception>
    public static TensorBuffer FromTensor<T>(in ReadOnlyTensorSpan<T> tensor) where T : unmanaged
    {
        TensorElementType type = default(T) switch
        {
            float => TensorElementType.Float,
            Half => TensorElementType.Float16,
            double => TensorElementType.Double,
            sbyte => TensorElementType.Int8,
            byte => TensorElementType.UInt8,
            short => TensorElementType.Int16,
            ushort => TensorElementType.UInt16,
            int => TensorElementType.Int32,
            uint => TensorElementType.UInt32,
            long => TensorElementType.Int64,
            ulong => TensorElementType.UInt64,
            bool => TensorElementType.Bool,
            _ => throw new LightNetException(ErrorCode.InvalidArgument, $"A tensor buffer cannot hold {typeof(T).Name} elements."),
        };
        long[] shape = new long[tensor.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = tensor.Lengths[i];
        TensorBuffer buffer = Allocate(type, shape);
        tensor.FlattenTo(buffer.AsSpan<T>());
        return buffer;
    }

    /// <summary>
    /// An ONNX Runtime <see cref="OrtValue"/> over this buffer's memory, without copying (the bytes live in a pinned
    /// array). Keep the buffer alive, and dispose the value, before the buffer is dropped.
    /// </summary>
    public OrtValue AsOrtValue() =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, (OrtElementType)(int)ElementType, _shape,
            Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0), _bytes.Length);

    /// <summary>A buffer with a copy of an ONNX Runtime tensor value.</summary>
    /// <param name="value">A tensor (not a sequence or map) of a fixed-size element type.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a non-tensor or string value.</exception>
    public static TensorBuffer FromOrtValue(OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.IsTensor)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The OrtValue is a {value.OnnxType}, not a tensor.");
        }

        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        TensorBuffer buffer = Allocate((TensorElementType)(int)info.ElementDataType, info.Shape);
        value.GetTensorDataAsSpan<byte>().CopyTo(buffer.Bytes);
        return buffer;
    }

    /// <inheritdoc />
    public override string ToString() => $"{ElementType} {Dimension.Format(_shape)}";
}

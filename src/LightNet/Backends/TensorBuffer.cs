using System.Runtime.InteropServices;
using LightNet.Onnx;

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

    /// <inheritdoc />
    public override string ToString() => $"{ElementType} {Dimension.Format(_shape)}";
}

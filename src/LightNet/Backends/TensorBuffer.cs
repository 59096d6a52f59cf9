using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LightNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace LightNet.Backends;

/// <summary>
/// A dense tensor in host memory for feeding and reading sessions: element type, shape and little-endian
/// bytes. The bytes live in a pinned array (<see cref="Allocate"/>) or in the caller's memory, pinned for as long as the
/// buffer lives (<see cref="Wrap{T}"/>), so a backend can hand their address to native code without copying; reuse one
/// buffer across runs to keep the timed loop free of allocations.
/// </summary>
public sealed class TensorBuffer
{
    private readonly Memory<byte> _bytes;
    private readonly long[] _shape;
    private readonly PinnedMemory? _pin;

    private TensorBuffer(TensorElementType elementType, long[] shape, Memory<byte> bytes, PinnedMemory? pin = null)
    {
        ElementType = elementType;
        _shape = shape;
        _bytes = bytes;
        _pin = pin;
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
    public Span<byte> Bytes => _bytes.Span;

    /// <summary>Whether the bytes are the caller's memory (<see cref="Wrap{T}"/>) rather than an array of the buffer's own.</summary>
    public bool WrapsCallerMemory => _pin is not null;

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

        return MemoryMarshal.Cast<byte, T>(_bytes.Span);
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
        _bytes.Span.CopyTo(copy._bytes.Span);
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
        TensorElementType type = ElementTypeOf<T>();
        long[] shape = new long[tensor.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = tensor.Lengths[i];
        TensorBuffer buffer = Allocate(type, shape);
        tensor.FlattenTo(buffer.AsSpan<T>());
        return buffer;
    }

    /// <summary>The element type of <typeparamref name="T"/>.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a type a buffer cannot hold.</exception>
    private static TensorElementType ElementTypeOf<T>() where T : unmanaged =>
        default(T) switch
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

    /// <summary>
    /// An ONNX Runtime <see cref="OrtValue"/> over this buffer's memory, without copying (the bytes live in a pinned
    /// array, or in the caller's memory pinned while the buffer lives). Keep the buffer alive, and dispose the value,
    /// before the buffer is dropped.
    /// </summary>
    public unsafe OrtValue AsOrtValue() =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, (OrtElementType)(int)ElementType, _shape,
            (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_bytes.Span)), _bytes.Length);

    /// <summary>
    /// A buffer over the caller's memory, without copying: reads and writes through either side are seen by the other, and
    /// sessions read inputs from it and write outputs into it in place. The memory is pinned (<see cref="Memory{T}.Pin"/>)
    /// until the buffer is collected, so native backends can use its address; for a camera or interop buffer that is
    /// already pinned (native memory, <see cref="GC.AllocateArray{T}(int, bool)"/> with <c>pinned: true</c>) that costs nothing.
    /// </summary>
    /// <typeparam name="T">float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool; it sets the element type.</typeparam>
    /// <param name="memory">Exactly the elements of <paramref name="shape"/>, in row-major order.</param>
    /// <param name="shape">Dimensions.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a bad shape or when its element count is not
    /// <c>memory.Length</c>; <see cref="ErrorCode.InvalidArgument"/> for another element type.</exception>
    public static TensorBuffer Wrap<T>(Memory<T> memory, ReadOnlySpan<long> shape) where T : unmanaged
    {
        TensorElementType type = ElementTypeOf<T>();
        long[] dims = Shapes.Validate(shape, "tensor buffer");
        long count = Shapes.ElementCount(dims);
        if (count != memory.Length)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Shape {Dimension.Format(dims)} holds {count} {type} values, but the memory holds {memory.Length}.");
        }

        var pin = new PinnedMemory(memory.Pin());
        Memory<byte> bytes = typeof(T) == typeof(byte) ? Unsafe.As<Memory<T>, Memory<byte>>(ref memory) : new CastMemoryManager<T>(memory).Memory;
        return new TensorBuffer(type, dims, bytes, pin);
    }

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

    /// <summary>The pin on a wrapped caller's memory, released when the buffer (its only holder) is collected.</summary>
    private sealed class PinnedMemory(MemoryHandle handle)
    {
        private MemoryHandle _handle = handle;

        ~PinnedMemory() => _handle.Dispose();
    }

    /// <summary>
    /// The bytes of a <see cref="Memory{T}"/> of another unmanaged element type, as a <see cref="Memory{T}"/> of bytes. Only a
    /// wrapping <see cref="TensorBuffer"/> holds one, and it keeps the memory pinned, so <see cref="Pin"/> only takes the address.
    /// </summary>
    private sealed class CastMemoryManager<T>(Memory<T> memory) : MemoryManager<byte> where T : unmanaged
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(memory.Span);

        public override unsafe MemoryHandle Pin(int elementIndex = 0) =>
            new((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(GetSpan())) + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}

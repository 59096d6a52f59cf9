using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Onnx;

namespace LightNet.Operators;

/// <summary>
/// A run-time tensor of the operator layer: element type, shape and a typed array (<c>float[]</c>, <c>double[]</c>,
/// <c>Half[]</c>, <c>ushort[]</c> for BFloat16 bits, <c>sbyte[]</c>, <c>byte[]</c>, <c>short[]</c>, <c>ushort[]</c>,
/// <c>int[]</c>, <c>uint[]</c>, <c>long[]</c>, <c>ulong[]</c>, <c>bool[]</c> or <c>string[]</c>). Immutable by
/// convention once produced: operators write only tensors they created.
/// </summary>
internal sealed class OpTensor : OpValue
{
    /// <summary>Largest element count one tensor may hold (the typed arrays are int-indexed).</summary>
    public const long MaxElements = 1L << 30;

    public OpTensor(TensorElementType type, long[] dims, Array data)
    {
        Type = type;
        Dims = dims;
        Data = data;
    }

    public TensorElementType Type { get; }

    public long[] Dims { get; }

    public Array Data { get; }

    public int Rank => Dims.Length;

    public int Length => Data.Length;

    public T[] Get<T>() => (T[])Data;

    public bool IsFloat => Type is TensorElementType.Float or TensorElementType.Double or TensorElementType.Float16 or TensorElementType.BFloat16;

    public bool IsUnsigned => Type is TensorElementType.UInt8 or TensorElementType.UInt16 or TensorElementType.UInt32 or TensorElementType.UInt64;

    public bool IsSignedInteger => Type is TensorElementType.Int8 or TensorElementType.Int16 or TensorElementType.Int32 or TensorElementType.Int64;

    public override string ToString() => $"{Type} {Dimension.Format(Dims)}";

    /// <summary>Element count of <paramref name="dims"/>, refused above <see cref="MaxElements"/>.</summary>
    public static int Count(ReadOnlySpan<long> dims)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Shape {Dimension.Format(dims.ToArray())} has a negative dimension.");
            }

            n = d == 0 ? 0 : n <= MaxElements / d ? n * d : MaxElements + 1;
        }

        return n > MaxElements
            ? throw new LightNetException(ErrorCode.InvalidShape, $"A tensor of shape {Dimension.Format(dims.ToArray())} has more than {MaxElements} elements.")
            : (int)n;
    }

    public static Array Allocate(TensorElementType type, int count) => type switch
    {
        TensorElementType.Float => new float[count],
        TensorElementType.Double => new double[count],
        TensorElementType.Float16 => new Half[count],
        TensorElementType.BFloat16 => new ushort[count],
        TensorElementType.Int8 => new sbyte[count],
        TensorElementType.UInt8 => new byte[count],
        TensorElementType.Int16 => new short[count],
        TensorElementType.UInt16 => new ushort[count],
        TensorElementType.Int32 => new int[count],
        TensorElementType.UInt32 => new uint[count],
        TensorElementType.Int64 => new long[count],
        TensorElementType.UInt64 => new ulong[count],
        TensorElementType.Bool => new bool[count],
        TensorElementType.String => Enumerable.Repeat(string.Empty, count).ToArray(),
        _ => throw new LightNetException(ErrorCode.UnsupportedOperator, $"Element type {type} is not supported by the cpu-simd operator layer."),
    };

    /// <summary>True when the layer can hold this element type.</summary>
    public static bool IsSupported(TensorElementType type) => type is TensorElementType.Float or TensorElementType.Double
        or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int8 or TensorElementType.UInt8
        or TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Int32 or TensorElementType.UInt32
        or TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Bool or TensorElementType.String;

    public static OpTensor Zeros(TensorElementType type, long[] dims) => new(type, dims, Allocate(type, Count(dims)));

    public static OpTensor Scalar(float v) => new(TensorElementType.Float, [], new[] { v });

    public static OpTensor FromLongs(long[] dims, long[] values) => new(TensorElementType.Int64, dims, values);

    public static OpTensor FromFloats(long[] dims, float[] values) => new(TensorElementType.Float, dims, values);

    public OpTensor WithDims(long[] dims)
    {
        if (Count(dims) != Length)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Cannot view {this} as {Dimension.Format(dims)}.");
        }

        return new OpTensor(Type, dims, Data);
    }

    /// <summary>A deep copy (new array).</summary>
    public OpTensor Clone() => new(Type, (long[])Dims.Clone(), (Array)Data.Clone());

    // ---- conversions -------------------------------------------------------------------------------------------

    // The CLR lets a byte[] match an sbyte[] pattern (and ushort[]/short[], uint[]/int[], ulong[]/long[]): every read
    // switches on the element type, never on the array's run-time type.
    public double GetDouble(int i) => Type switch
    {
        TensorElementType.Float => ((float[])Data)[i],
        TensorElementType.Double => ((double[])Data)[i],
        TensorElementType.Float16 => (double)((Half[])Data)[i],
        TensorElementType.BFloat16 => BFloat16ToSingle(((ushort[])Data)[i]),
        TensorElementType.UInt64 => ((ulong[])Data)[i],
        TensorElementType.String => throw new LightNetException(ErrorCode.UnsupportedOperator, $"{Type} values cannot be read as numbers."),
        _ => GetLong(i),
    };

    public long GetLong(int i) => Type switch
    {
        TensorElementType.Int64 => ((long[])Data)[i],
        TensorElementType.Int32 => ((int[])Data)[i],
        TensorElementType.Int8 => ((sbyte[])Data)[i],
        TensorElementType.UInt8 => ((byte[])Data)[i],
        TensorElementType.Int16 => ((short[])Data)[i],
        TensorElementType.UInt16 => ((ushort[])Data)[i],
        TensorElementType.UInt32 => ((uint[])Data)[i],
        TensorElementType.UInt64 => unchecked((long)((ulong[])Data)[i]),
        TensorElementType.Bool => ((bool[])Data)[i] ? 1 : 0,
        _ => DoubleToLong(GetDouble(i)),
    };

    public double[] ToDoubles()
    {
        if (Type == TensorElementType.Double)
        {
            return (double[])Data;
        }

        var r = new double[Length];
        switch (Type)
        {
            case TensorElementType.Float:
                float[] f = (float[])Data;
                for (int i = 0; i < r.Length; i++) r[i] = f[i];
                break;
            case TensorElementType.Int64:
                long[] l = (long[])Data;
                for (int i = 0; i < r.Length; i++) r[i] = l[i];
                break;
            default:
                for (int i = 0; i < r.Length; i++) r[i] = GetDouble(i);
                break;
        }

        return r;
    }

    public float[] ToFloats()
    {
        if (Type == TensorElementType.Float)
        {
            return (float[])Data;
        }

        var r = new float[Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (float)GetDouble(i);
        }

        return r;
    }

    public long[] ToLongs()
    {
        if (Type == TensorElementType.Int64)
        {
            return (long[])Data;
        }

        var r = new long[Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = GetLong(i);
        }

        return r;
    }

    public bool[] ToBools()
    {
        if (Type == TensorElementType.Bool)
        {
            return (bool[])Data;
        }

        var r = new bool[Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = IsFloat ? GetDouble(i) != 0 : GetLong(i) != 0;
        }

        return r;
    }

    /// <summary>A tensor of <paramref name="type"/> from doubles: floats rounded, integers truncated toward zero and wrapped.</summary>
    public static OpTensor FromDoubles(TensorElementType type, long[] dims, double[] v)
    {
        if (type == TensorElementType.Double)
        {
            return new OpTensor(type, dims, v);
        }

        Array data = Allocate(type, v.Length);
        switch (data)
        {
            case float[] a:
                for (int i = 0; i < a.Length; i++) a[i] = (float)v[i];
                break;
            case Half[] a:
                for (int i = 0; i < a.Length; i++) a[i] = (Half)v[i];
                break;
            case ushort[] a when type == TensorElementType.BFloat16:
                for (int i = 0; i < a.Length; i++) a[i] = SingleToBFloat16((float)v[i]);
                break;
            case bool[] a:
                for (int i = 0; i < a.Length; i++) a[i] = v[i] != 0;
                break;
            case ulong[] a when type == TensorElementType.UInt64:
                for (int i = 0; i < a.Length; i++) a[i] = v[i] >= 9.2233720368547758E18 ? (ulong)v[i] : unchecked((ulong)DoubleToLong(v[i]));
                break;
            default:
                var longs = new long[v.Length];
                for (int i = 0; i < longs.Length; i++) longs[i] = DoubleToLong(v[i]);
                return FromLongs(type, dims, longs);
        }

        return new OpTensor(type, dims, data);
    }

    internal static long DoubleToLong(double d) => double.IsNaN(d) ? 0 : d >= 9.2233720368547758E18 ? long.MaxValue : d <= -9.2233720368547758E18 ? long.MinValue : (long)d;

    /// <summary>A tensor of <paramref name="type"/> from 64-bit integers (wrapped to narrower types, as C casts do).</summary>
    public static OpTensor FromLongs(TensorElementType type, long[] dims, long[] v)
    {
        if (type == TensorElementType.Int64)
        {
            return new OpTensor(type, dims, v);
        }

        Array data = Allocate(type, v.Length);
        unchecked
        {
            switch (data)
            {
                case int[] a: for (int i = 0; i < a.Length; i++) a[i] = (int)v[i]; break;
                case sbyte[] a: for (int i = 0; i < a.Length; i++) a[i] = (sbyte)v[i]; break;
                case byte[] a: for (int i = 0; i < a.Length; i++) a[i] = (byte)v[i]; break;
                case short[] a: for (int i = 0; i < a.Length; i++) a[i] = (short)v[i]; break;
                case ushort[] a when type != TensorElementType.BFloat16: for (int i = 0; i < a.Length; i++) a[i] = (ushort)v[i]; break;
                case uint[] a: for (int i = 0; i < a.Length; i++) a[i] = (uint)v[i]; break;
                case ulong[] a: for (int i = 0; i < a.Length; i++) a[i] = (ulong)v[i]; break;
                case bool[] a: for (int i = 0; i < a.Length; i++) a[i] = v[i] != 0; break;
                default:
                    var d = new double[v.Length];
                    for (int i = 0; i < d.Length; i++) d[i] = v[i];
                    return FromDoubles(type, dims, d);
            }
        }

        return new OpTensor(type, dims, data);
    }

    /// <summary>Elements <paramref name="indices"/>[i] of this tensor, as a new tensor of shape <paramref name="dims"/>.</summary>
    public OpTensor Gather(long[] dims, int[] indices)
    {
        Array dst = Allocate(Type, indices.Length);
        GatherInto(Data, dst, indices);
        return new OpTensor(Type, dims, dst);
    }

    /// <summary>dst[i] = src[indices[i]] for any typed array.</summary>
    public static void GatherInto(Array src, Array dst, int[] indices)
    {
        switch (src)
        {
            case float[] s: Take(s, (float[])dst, indices); break;
            case double[] s: Take(s, (double[])dst, indices); break;
            case long[] s: Take(s, (long[])dst, indices); break;
            case int[] s: Take(s, (int[])dst, indices); break;
            case bool[] s: Take(s, (bool[])dst, indices); break;
            case byte[] s: Take(s, (byte[])dst, indices); break;
            case sbyte[] s: Take(s, (sbyte[])dst, indices); break;
            case Half[] s: Take(s, (Half[])dst, indices); break;
            case short[] s: Take(s, (short[])dst, indices); break;
            case ushort[] s: Take(s, (ushort[])dst, indices); break;
            case uint[] s: Take(s, (uint[])dst, indices); break;
            case ulong[] s: Take(s, (ulong[])dst, indices); break;
            case string[] s: Take(s, (string[])dst, indices); break;
            default: throw new LightNetException(ErrorCode.UnsupportedOperator, $"Cannot gather {src.GetType().Name} values.");
        }
    }

    private static void Take<T>(T[] src, T[] dst, int[] idx)
    {
        for (int i = 0; i < idx.Length; i++)
        {
            dst[i] = src[idx[i]];
        }
    }

    // ---- boundary conversions ----------------------------------------------------------------------------------

    public static OpTensor FromTensorData(TensorData t)
    {
        long[] dims = t.Dims.ToArray();
        if (t.ElementType == TensorElementType.String)
        {
            return new OpTensor(t.ElementType, dims, t.Strings?.ToArray() ?? []);
        }

        return FromBytes(t.ElementType, dims, t.RawData.Span, $"tensor '{t.Name}'");
    }

    public static OpTensor FromBuffer(TensorBuffer b, string name) => FromBytes(b.ElementType, b.ShapeArray.ToArray(), b.Bytes, $"input '{name}'");

    private static OpTensor FromBytes(TensorElementType type, long[] dims, ReadOnlySpan<byte> bytes, string what)
    {
        if (!IsSupported(type))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"{what} is {type}, which the cpu-simd operator layer does not support.");
        }

        int count = Count(dims);
        Array data = Allocate(type, count);
        switch (data)
        {
            case bool[] a:
                for (int i = 0; i < count; i++) a[i] = bytes[i] != 0;
                break;
            default:
                Span<byte> dst = MemoryMarshal.AsBytes(BytesOf(data));
                bytes[..dst.Length].CopyTo(dst);
                break;
        }

        return new OpTensor(type, dims, data);
    }

    public TensorBuffer ToBuffer()
    {
        if (Type == TensorElementType.String)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, "String tensors cannot be returned through a TensorBuffer.");
        }

        TensorBuffer b = TensorBuffer.Allocate(Type, Dims);
        CopyTo(b);
        return b;
    }

    /// <summary>Copies the elements into a buffer of the same type and element count.</summary>
    public void CopyTo(TensorBuffer b)
    {
        Span<byte> dst = b.Bytes;
        if (Data is bool[] a)
        {
            for (int i = 0; i < a.Length; i++) dst[i] = a[i] ? (byte)1 : (byte)0;
            return;
        }

        MemoryMarshal.AsBytes(BytesOf(Data)).CopyTo(dst);
    }

    /// <summary>The elements of a typed array of fixed-size numbers as little-endian bytes (no copy).</summary>
    public static Span<byte> BytesOf(Array data) => data switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a.AsSpan(),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new LightNetException(ErrorCode.UnsupportedOperator, $"{data.GetType().Name} has no byte view."),
    };

    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort SingleToBFloat16(float v)
    {
        if (float.IsNaN(v))
        {
            return 0x7FC0;
        }

        uint bits = BitConverter.SingleToUInt32Bits(v);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

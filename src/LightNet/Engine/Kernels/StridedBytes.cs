using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Byte-row copies of the integer kernels: every <c>stride</c>-th byte of a row (im2col of a strided convolution, the
/// columns of a strided max pool) and short fills. Stride 1 is a block copy and stride 2 takes the even bytes of 32 at
/// a time; reads never go past the last byte copied. And the 8/16-byte block transposes of the channel-blocked
/// integer depthwise kernel.
/// </summary>
internal static unsafe class StridedBytes
{
    /// <summary><c>dst[i] = src[i·stride]</c> for i in [0, <paramref name="count"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy(byte* src, int stride, byte* dst, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (stride == 1)
        {
            CopyShort(src, dst, count);
            return;
        }

        int i = 0;
        if (stride == 2 && Vector128.IsHardwareAccelerated)
        {
            // 16 outputs from 32 bytes: the low byte of each 16-bit pair. Strictly below count, so the last read
            // (src[2i + 31]) stays before src[2·(count − 1)], the last byte copied.
            Vector128<ushort> low = Vector128.Create((ushort)0x00FF);
            for (; i + 16 < count; i += 16)
            {
                Vector128<ushort> a = Vector128.Load(src + (2 * i)).AsUInt16() & low;
                Vector128<ushort> b = Vector128.Load(src + (2 * i) + 16).AsUInt16() & low;
                Vector128.Narrow(a, b).Store(dst + i);
            }

            if (count > 16 && i < count)
            {
                // The last 16 outputs (overlapping those already written) from the 32 bytes that end at the last byte
                // copied, src[2·(count − 1)]: the high byte of each pair, the pairs starting one byte earlier. Past 16
                // outputs that read starts inside the run. (A pooled row of 27 left 11 bytes to the scalar loop.)
                int j = count - 16;
                Vector128<ushort> a = Vector128.ShiftRightLogical(Vector128.Load(src + (2 * j) - 1).AsUInt16(), 8);
                Vector128<ushort> b = Vector128.ShiftRightLogical(Vector128.Load(src + (2 * j) + 15).AsUInt16(), 8);
                Vector128.Narrow(a, b).Store(dst + j);
                return;
            }
        }

        for (; i < count; i++)
        {
            dst[i] = src[(long)i * stride];
        }
    }

    // A contiguous copy, without a call for the short runs of an im2col row (overlapping loads, all inside the run).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(byte* src, byte* dst, int count)
    {
        if (count > 64)
        {
            Unsafe.CopyBlockUnaligned(dst, src, (uint)count);
        }
        else if (count >= 16)
        {
            int i = 0;
            for (; i + 16 < count; i += 16)
            {
                Vector128.Load(src + i).Store(dst + i);
            }

            Vector128.Load(src + count - 16).Store(dst + count - 16);
        }
        else if (count >= 8)
        {
            *(ulong*)dst = *(ulong*)src;
            *(ulong*)(dst + count - 8) = *(ulong*)(src + count - 8);
        }
        else if (count >= 4)
        {
            *(uint*)dst = *(uint*)src;
            *(uint*)(dst + count - 4) = *(uint*)(src + count - 4);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[i] = src[i];
            }
        }
    }

    /// <summary>Sets <paramref name="count"/> bytes at <paramref name="dst"/> to <paramref name="value"/> (short runs without a call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(byte* dst, int count, byte value)
    {
        if (count <= 4)
        {
            for (int i = 0; i < count; i++)
            {
                dst[i] = value;
            }

            return;
        }

        Unsafe.InitBlockUnaligned(dst, value, (uint)count);
    }

    /// <summary>
    /// Sets <paramref name="count"/> 16-bit codes at <paramref name="dst"/> to <paramref name="value"/> (not
    /// Span.Fill: its Vector&lt;T&gt; body is not precompiled for AVX2 and ran as tier-0 code through a session's first runs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(ushort* dst, int count, ushort value)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v = Vector256.Create(value);
            for (; i + 16 <= count; i += 16)
            {
                v.Store(dst + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var v = Vector128.Create(value);
            for (; i + 8 <= count; i += 8)
            {
                v.Store(dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = value;
        }
    }

    /// <summary>
    /// Transposes a <paramref name="rows"/> × <paramref name="columns"/> byte block (each 8 or 16): row r of the source
    /// (<paramref name="columns"/> bytes at <paramref name="src"/> + r·<paramref name="srcStride"/>) becomes column r of the
    /// destination (<paramref name="columns"/> rows of <paramref name="rows"/> bytes at <paramref name="dst"/> + c·<paramref name="dstStride"/>).
    /// Four rounds of byte interleaves of rows i and i + 8 (a perfect shuffle each) on a 16×16 block held in
    /// registers, missing rows and columns zero; plain bytes without SSE2. Reads and writes stay inside the blocks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(byte* src, long srcStride, int rows, int columns, byte* dst, long dstStride)
    {
        if (!Sse2.IsSupported)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    dst[(c * dstStride) + r] = src[(r * srcStride) + c];
                }
            }

            return;
        }

        bool wide = columns == 16;
        Vector128<byte> a0 = (wide ? Vector128.Load(src) : Vector128.CreateScalarUnsafe(*(ulong*)src).AsByte());
        Vector128<byte> a1 = (wide ? Vector128.Load(src + (1 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (1 * srcStride))).AsByte());
        Vector128<byte> a2 = (wide ? Vector128.Load(src + (2 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (2 * srcStride))).AsByte());
        Vector128<byte> a3 = (wide ? Vector128.Load(src + (3 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (3 * srcStride))).AsByte());
        Vector128<byte> a4 = (wide ? Vector128.Load(src + (4 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (4 * srcStride))).AsByte());
        Vector128<byte> a5 = (wide ? Vector128.Load(src + (5 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (5 * srcStride))).AsByte());
        Vector128<byte> a6 = (wide ? Vector128.Load(src + (6 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (6 * srcStride))).AsByte());
        Vector128<byte> a7 = (wide ? Vector128.Load(src + (7 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (7 * srcStride))).AsByte());
        Vector128<byte> a8 = rows == 16 ? (wide ? Vector128.Load(src + (8 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (8 * srcStride))).AsByte()) : default;
        Vector128<byte> a9 = rows == 16 ? (wide ? Vector128.Load(src + (9 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (9 * srcStride))).AsByte()) : default;
        Vector128<byte> a10 = rows == 16 ? (wide ? Vector128.Load(src + (10 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (10 * srcStride))).AsByte()) : default;
        Vector128<byte> a11 = rows == 16 ? (wide ? Vector128.Load(src + (11 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (11 * srcStride))).AsByte()) : default;
        Vector128<byte> a12 = rows == 16 ? (wide ? Vector128.Load(src + (12 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (12 * srcStride))).AsByte()) : default;
        Vector128<byte> a13 = rows == 16 ? (wide ? Vector128.Load(src + (13 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (13 * srcStride))).AsByte()) : default;
        Vector128<byte> a14 = rows == 16 ? (wide ? Vector128.Load(src + (14 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (14 * srcStride))).AsByte()) : default;
        Vector128<byte> a15 = rows == 16 ? (wide ? Vector128.Load(src + (15 * srcStride)) : Vector128.CreateScalarUnsafe(*(ulong*)(src + (15 * srcStride))).AsByte()) : default;
        Vector128<byte> b0 = Sse2.UnpackLow(a0, a8), b1 = Sse2.UnpackHigh(a0, a8);
        Vector128<byte> b2 = Sse2.UnpackLow(a1, a9), b3 = Sse2.UnpackHigh(a1, a9);
        Vector128<byte> b4 = Sse2.UnpackLow(a2, a10), b5 = Sse2.UnpackHigh(a2, a10);
        Vector128<byte> b6 = Sse2.UnpackLow(a3, a11), b7 = Sse2.UnpackHigh(a3, a11);
        Vector128<byte> b8 = Sse2.UnpackLow(a4, a12), b9 = Sse2.UnpackHigh(a4, a12);
        Vector128<byte> b10 = Sse2.UnpackLow(a5, a13), b11 = Sse2.UnpackHigh(a5, a13);
        Vector128<byte> b12 = Sse2.UnpackLow(a6, a14), b13 = Sse2.UnpackHigh(a6, a14);
        Vector128<byte> b14 = Sse2.UnpackLow(a7, a15), b15 = Sse2.UnpackHigh(a7, a15);
        Vector128<byte> c0 = Sse2.UnpackLow(b0, b8), c1 = Sse2.UnpackHigh(b0, b8);
        Vector128<byte> c2 = Sse2.UnpackLow(b1, b9), c3 = Sse2.UnpackHigh(b1, b9);
        Vector128<byte> c4 = Sse2.UnpackLow(b2, b10), c5 = Sse2.UnpackHigh(b2, b10);
        Vector128<byte> c6 = Sse2.UnpackLow(b3, b11), c7 = Sse2.UnpackHigh(b3, b11);
        Vector128<byte> c8 = Sse2.UnpackLow(b4, b12), c9 = Sse2.UnpackHigh(b4, b12);
        Vector128<byte> c10 = Sse2.UnpackLow(b5, b13), c11 = Sse2.UnpackHigh(b5, b13);
        Vector128<byte> c12 = Sse2.UnpackLow(b6, b14), c13 = Sse2.UnpackHigh(b6, b14);
        Vector128<byte> c14 = Sse2.UnpackLow(b7, b15), c15 = Sse2.UnpackHigh(b7, b15);
        Vector128<byte> d0 = Sse2.UnpackLow(c0, c8), d1 = Sse2.UnpackHigh(c0, c8);
        Vector128<byte> d2 = Sse2.UnpackLow(c1, c9), d3 = Sse2.UnpackHigh(c1, c9);
        Vector128<byte> d4 = Sse2.UnpackLow(c2, c10), d5 = Sse2.UnpackHigh(c2, c10);
        Vector128<byte> d6 = Sse2.UnpackLow(c3, c11), d7 = Sse2.UnpackHigh(c3, c11);
        Vector128<byte> d8 = Sse2.UnpackLow(c4, c12), d9 = Sse2.UnpackHigh(c4, c12);
        Vector128<byte> d10 = Sse2.UnpackLow(c5, c13), d11 = Sse2.UnpackHigh(c5, c13);
        Vector128<byte> d12 = Sse2.UnpackLow(c6, c14), d13 = Sse2.UnpackHigh(c6, c14);
        Vector128<byte> d14 = Sse2.UnpackLow(c7, c15), d15 = Sse2.UnpackHigh(c7, c15);
        Vector128<byte> e0 = Sse2.UnpackLow(d0, d8), e1 = Sse2.UnpackHigh(d0, d8);
        Vector128<byte> e2 = Sse2.UnpackLow(d1, d9), e3 = Sse2.UnpackHigh(d1, d9);
        Vector128<byte> e4 = Sse2.UnpackLow(d2, d10), e5 = Sse2.UnpackHigh(d2, d10);
        Vector128<byte> e6 = Sse2.UnpackLow(d3, d11), e7 = Sse2.UnpackHigh(d3, d11);
        Vector128<byte> e8 = Sse2.UnpackLow(d4, d12), e9 = Sse2.UnpackHigh(d4, d12);
        Vector128<byte> e10 = Sse2.UnpackLow(d5, d13), e11 = Sse2.UnpackHigh(d5, d13);
        Vector128<byte> e12 = Sse2.UnpackLow(d6, d14), e13 = Sse2.UnpackHigh(d6, d14);
        Vector128<byte> e14 = Sse2.UnpackLow(d7, d15), e15 = Sse2.UnpackHigh(d7, d15);
        Store(e0, dst, rows);
        Store(e1, dst + (1 * dstStride), rows);
        Store(e2, dst + (2 * dstStride), rows);
        Store(e3, dst + (3 * dstStride), rows);
        Store(e4, dst + (4 * dstStride), rows);
        Store(e5, dst + (5 * dstStride), rows);
        Store(e6, dst + (6 * dstStride), rows);
        Store(e7, dst + (7 * dstStride), rows);
        if (wide)
        {
            Store(e8, dst + (8 * dstStride), rows);
            Store(e9, dst + (9 * dstStride), rows);
            Store(e10, dst + (10 * dstStride), rows);
            Store(e11, dst + (11 * dstStride), rows);
            Store(e12, dst + (12 * dstStride), rows);
            Store(e13, dst + (13 * dstStride), rows);
            Store(e14, dst + (14 * dstStride), rows);
            Store(e15, dst + (15 * dstStride), rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> row, byte* dst, int bytes)
    {
        if (bytes == 16)
        {
            row.Store(dst);
        }
        else
        {
            *(ulong*)dst = row.AsUInt64().ToScalar();
        }
    }
}

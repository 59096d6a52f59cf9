using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Byte-row copies of the integer kernels: every <c>stride</c>-th byte of a row (im2col of a strided convolution, the
/// columns of a strided max pool) and short fills. Stride 1 is a block copy and stride 2 takes the even bytes of 32 at
/// a time; reads never go past the last byte copied.
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
}

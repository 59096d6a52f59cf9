using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>The 4×4 float transpose on the instructions each platform has, for the 4-lane kernels and the Winograd gathers.</summary>
internal static class VectorTranspose
{
    /// <summary>Whether <see cref="Transpose4"/> has instructions here (x64 SSE, Arm64 NEON); else the scalar copies.</summary>
    public static bool CanTranspose4 => Sse.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>
    /// The 4×4 transpose (rows r → columns c): interleave pairs of rows (SSE unpcklps/unpckhps, NEON zip1/zip2 on 32-bit
    /// lanes), then pairs of those by 64-bit halves. Call only where <see cref="CanTranspose4"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose4(Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3,
        out Vector128<float> c0, out Vector128<float> c1, out Vector128<float> c2, out Vector128<float> c3)
    {
        if (Sse.IsSupported)
        {
            var t0 = Sse.UnpackLow(r0, r1); // r00 r10 r01 r11
            var t1 = Sse.UnpackHigh(r0, r1); // r02 r12 r03 r13
            var t2 = Sse.UnpackLow(r2, r3); // r20 r30 r21 r31
            var t3 = Sse.UnpackHigh(r2, r3); // r22 r32 r23 r33
            c0 = Sse.MoveLowToHigh(t0, t2);
            c1 = Sse.MoveHighToLow(t2, t0);
            c2 = Sse.MoveLowToHigh(t1, t3);
            c3 = Sse.MoveHighToLow(t3, t1);
            return;
        }

        var z0 = AdvSimd.Arm64.ZipLow(r0, r1);
        var z1 = AdvSimd.Arm64.ZipHigh(r0, r1);
        var z2 = AdvSimd.Arm64.ZipLow(r2, r3);
        var z3 = AdvSimd.Arm64.ZipHigh(r2, r3);
        c0 = AdvSimd.Arm64.ZipLow(z0.AsUInt64(), z2.AsUInt64()).AsSingle();
        c1 = AdvSimd.Arm64.ZipHigh(z0.AsUInt64(), z2.AsUInt64()).AsSingle();
        c2 = AdvSimd.Arm64.ZipLow(z1.AsUInt64(), z3.AsUInt64()).AsSingle();
        c3 = AdvSimd.Arm64.ZipHigh(z1.AsUInt64(), z3.AsUInt64()).AsSingle();
    }
}

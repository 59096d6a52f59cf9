using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Lane arithmetic for one vector width, as a type argument: a kernel written once over <c>TV</c> gets its own code for
/// each width (the JIT specializes generic code per value type and inlines these members), so the 512-, 256-, 128-bit
/// and scalar forms of a loop are one source. Used by the Winograd transforms and the channel-blocked depthwise kernels.
/// </summary>
internal unsafe interface ILanes<TSelf>
    where TSelf : struct, ILanes<TSelf>
{
    /// <summary>Lanes per value.</summary>
    static abstract int Count { get; }

    /// <summary>Loads <see cref="Count"/> floats.</summary>
    static abstract TSelf Load(float* p);

    /// <summary>Every lane set to the float at <paramref name="p"/> (one broadcast load).</summary>
    static abstract TSelf Broadcast(float* p);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf a, TSelf b);

    /// <summary>Lane-wise difference.</summary>
    static abstract TSelf operator -(TSelf a, TSelf b);

    /// <summary>Every lane times <paramref name="b"/>.</summary>
    static abstract TSelf operator *(TSelf a, float b);

    /// <summary>a·b + c, lane-wise: one fused multiply-add where the hardware has it, else a multiply and an add.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>Lane-wise maximum, the hardware's (which of two NaNs or zeros wins is the instruction's choice).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);

    /// <summary>Stores <see cref="Count"/> floats.</summary>
    void Store(float* p);

    /// <summary>The lanes through a register-form activation (bias, clamp, hard sigmoid or hard swish).</summary>
    TSelf Activate(in FusedActivation act);

    /// <summary><see cref="Count"/> uint8 codes at <paramref name="p"/>, zero-extended and converted to float.</summary>
    static abstract TSelf FromCodes(byte* p);

    /// <summary>
    /// The lanes (exact integer sums, the bias included) requantized by the <see cref="Requantizer"/> formula, with each
    /// lane's multiplier at <paramref name="scale"/>, into <see cref="Count"/> codes at <paramref name="y"/>.
    /// </summary>
    void StoreCodes(float* scale, int zero, int min, int max, byte* y);
}

/// <summary>16 lanes (<see cref="Vector512{T}"/>; emulated where AVX-512 is absent).</summary>
internal readonly unsafe struct Lanes512(Vector512<float> v) : ILanes<Lanes512>
{
    private readonly Vector512<float> _v = v;

    /// <inheritdoc />
    public static int Count => 16;

    /// <inheritdoc />
    public static Lanes512 Load(float* p) => new(Vector512.Load(p));

    /// <inheritdoc />
    public static Lanes512 Broadcast(float* p) => new(Vector512.Create(*p));

    /// <inheritdoc />
    public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a._v + b._v);

    /// <inheritdoc />
    public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a._v - b._v);

    /// <inheritdoc />
    public static Lanes512 operator *(Lanes512 a, float b) => new(a._v * b);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));

    /// <inheritdoc />
    public static Lanes512 Max(Lanes512 a, Lanes512 b) => new(Vector512.MaxNative(a._v, b._v));

    /// <inheritdoc />
    public static Lanes512 Create(float value) => new(Vector512.Create(value));

    /// <inheritdoc />
    public void Store(float* p) => _v.Store(p);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lanes512 Activate(in FusedActivation act) => new(act.Apply(_v));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 FromCodes(byte* p) => Avx512F.IsSupported
        ? new(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(p))))
        : new(Vector512.Create(Lanes256.FromCodes(p).Vector, Lanes256.FromCodes(p + 8).Vector));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreCodes(float* scale, int zero, int min, int max, byte* y)
    {
        if (!Avx512F.IsSupported)
        {
            new Lanes256(_v.GetLower()).StoreCodes(scale, zero, min, max, y);
            new Lanes256(_v.GetUpper()).StoreCodes(scale + 8, zero, min, max, y + 8);
            return;
        }

        Vector512<int> q = Requantizer.Codes(_v * Vector512.Load(scale), Vector512.Create(zero), Vector512.Create(min), Vector512.Create(max));
        Avx512F.ConvertToVector128Byte(q).Store(y);
    }
}

/// <summary>8 lanes (<see cref="Vector256{T}"/>).</summary>
internal readonly unsafe struct Lanes256(Vector256<float> v) : ILanes<Lanes256>
{
    private readonly Vector256<float> _v = v;

    /// <inheritdoc />
    public static int Count => 8;

    /// <inheritdoc />
    public static Lanes256 Load(float* p) => new(Vector256.Load(p));

    /// <inheritdoc />
    public static Lanes256 Broadcast(float* p) => new(Vector256.Create(*p));

    /// <inheritdoc />
    public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a._v + b._v);

    /// <inheritdoc />
    public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a._v - b._v);

    /// <inheritdoc />
    public static Lanes256 operator *(Lanes256 a, float b) => new(a._v * b);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));

    /// <inheritdoc />
    public static Lanes256 Max(Lanes256 a, Lanes256 b) => new(Vector256.MaxNative(a._v, b._v));

    /// <inheritdoc />
    public static Lanes256 Create(float value) => new(Vector256.Create(value));

    /// <inheritdoc />
    public void Store(float* p) => _v.Store(p);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lanes256 Activate(in FusedActivation act) => new(act.Apply(_v));

    /// <summary>The lanes as a vector.</summary>
    internal Vector256<float> Vector => _v;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 FromCodes(byte* p) => Avx2.IsSupported
        ? new(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p)))
        : new(Vector256.Create(Lanes128.FromCodes(p).Vector, Lanes128.FromCodes(p + 4).Vector));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreCodes(float* scale, int zero, int min, int max, byte* y)
    {
        if (!Avx2.IsSupported)
        {
            new Lanes128(_v.GetLower()).StoreCodes(scale, zero, min, max, y);
            new Lanes128(_v.GetUpper()).StoreCodes(scale + 4, zero, min, max, y + 4);
            return;
        }

        Vector256<int> q = Requantizer.Codes(_v * Vector256.Load(scale), Vector256.Create(zero), Vector256.Create(min), Vector256.Create(max));
        Requantizer.StoreCodes(q, y);
    }
}

/// <summary>4 lanes (<see cref="Vector128{T}"/>).</summary>
internal readonly unsafe struct Lanes128(Vector128<float> v) : ILanes<Lanes128>
{
    private readonly Vector128<float> _v = v;

    /// <inheritdoc />
    public static int Count => 4;

    /// <inheritdoc />
    public static Lanes128 Load(float* p) => new(Vector128.Load(p));

    /// <inheritdoc />
    public static Lanes128 Broadcast(float* p) => new(Vector128.Create(*p));

    /// <inheritdoc />
    public static Lanes128 operator +(Lanes128 a, Lanes128 b) => new(a._v + b._v);

    /// <inheritdoc />
    public static Lanes128 operator -(Lanes128 a, Lanes128 b) => new(a._v - b._v);

    /// <inheritdoc />
    public static Lanes128 operator *(Lanes128 a, float b) => new(a._v * b);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 MultiplyAdd(Lanes128 a, Lanes128 b, Lanes128 c) => new(Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(a._v, b._v, c._v) : (a._v * b._v) + c._v);

    /// <inheritdoc />
    public static Lanes128 Max(Lanes128 a, Lanes128 b) => new(Vector128.MaxNative(a._v, b._v));

    /// <inheritdoc />
    public static Lanes128 Create(float value) => new(Vector128.Create(value));

    /// <inheritdoc />
    public void Store(float* p) => _v.Store(p);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lanes128 Activate(in FusedActivation act) => new(act.Apply(_v));

    /// <summary>The lanes as a vector.</summary>
    internal Vector128<float> Vector => _v;

    /// <inheritdoc />
    public static Lanes128 FromCodes(byte* p) => new(Vector128.Create((float)p[0], p[1], p[2], p[3]));

    /// <inheritdoc />
    public void StoreCodes(float* scale, int zero, int min, int max, byte* y)
    {
        for (int i = 0; i < 4; i++)
        {
            new Lanes1(_v.GetElement(i)).StoreCodes(scale + i, zero, min, max, y + i);
        }
    }
}

/// <summary>One lane (plain scalar code: the scalar ISA and the tails of the vector ones).</summary>
internal readonly unsafe struct Lanes1(float v) : ILanes<Lanes1>
{
    private readonly float _v = v;

    /// <inheritdoc />
    public static int Count => 1;

    /// <inheritdoc />
    public static Lanes1 Load(float* p) => new(*p);

    /// <inheritdoc />
    public static Lanes1 Broadcast(float* p) => new(*p);

    /// <inheritdoc />
    public static Lanes1 operator +(Lanes1 a, Lanes1 b) => new(a._v + b._v);

    /// <inheritdoc />
    public static Lanes1 operator -(Lanes1 a, Lanes1 b) => new(a._v - b._v);

    /// <inheritdoc />
    public static Lanes1 operator *(Lanes1 a, float b) => new(a._v * b);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 MultiplyAdd(Lanes1 a, Lanes1 b, Lanes1 c) => new((a._v * b._v) + c._v);

    /// <inheritdoc />
    public static Lanes1 Max(Lanes1 a, Lanes1 b) => new(MathF.Max(a._v, b._v));

    /// <inheritdoc />
    public static Lanes1 Create(float value) => new(value);

    /// <inheritdoc />
    public void Store(float* p) => *p = _v;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lanes1 Activate(in FusedActivation act) => new(act.Apply(_v));

    /// <inheritdoc />
    public static Lanes1 FromCodes(byte* p) => new(*p);

    /// <inheritdoc />
    public void StoreCodes(float* scale, int zero, int min, int max, byte* y) => *y = Requantizer.Code(_v * *scale, zero, min, max);
}

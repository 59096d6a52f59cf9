using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>The instruction-set level a kernel is compiled for, chosen once when a session is created.</summary>
internal enum Isa
{
    /// <summary>Plain scalar C#: the reference every other path is checked against.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE / NEON / WebAssembly): fused multiply-adds where the hardware has them.</summary>
    Vector128,

    /// <summary>256-bit AVX2 vectors with fused multiply-add.</summary>
    Avx2,

    /// <summary>512-bit AVX-512F vectors with fused multiply-add.</summary>
    Avx512,
}

/// <summary>What the running machine supports, and how a requested level is resolved against it.</summary>
internal static class IsaSupport
{
    /// <summary>The widest level this machine runs natively (AVX-512F, then AVX2+FMA, then Vector128, then scalar).</summary>
    public static Isa Best { get; } =
        Avx512F.IsSupported ? Isa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? Isa.Avx2
        : Vector128.IsHardwareAccelerated ? Isa.Vector128
        : Isa.Scalar;

    /// <summary>Whether the hardware (as the runtime sees it, honouring <c>DOTNET_Enable*</c> switches) supports <paramref name="isa"/>.</summary>
    public static bool IsSupported(Isa isa) => isa switch
    {
        Isa.Scalar => true,
        Isa.Vector128 => Vector128.IsHardwareAccelerated,
        Isa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        Isa.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>Resolves a requested level: <c>null</c> means <see cref="Best"/>.</summary>
    /// <exception cref="LightNetException">The level is not supported by this machine (<see cref="ErrorCode.InvalidArgument"/>).</exception>
    public static Isa Resolve(Isa? requested)
    {
        if (requested is not { } isa)
        {
            return Best;
        }

        if (!IsSupported(isa))
        {
            throw new LightNetException(
                ErrorCode.InvalidArgument,
                $"The instruction set '{Name(isa)}' is not supported on this machine (best available: '{Name(Best)}').");
        }

        return isa;
    }

    /// <summary>The level named <paramref name="name"/> (<see cref="Name"/>'s spelling).</summary>
    /// <exception cref="LightNetException">No level has that name (<see cref="ErrorCode.InvalidArgument"/>).</exception>
    public static Isa Parse(string name) =>
        Enum.GetValues<Isa>().Where(i => Name(i) == name).Select(i => (Isa?)i).FirstOrDefault()
        ?? throw new LightNetException(ErrorCode.InvalidArgument, $"Unknown instruction set '{name}' (avx512, avx2, vector128, scalar).");

    /// <summary>Floats per vector register of <paramref name="isa"/>'s kernels: 16, 8, 4, or 1 for scalar code.</summary>
    public static int VectorLanes(Isa isa) => isa switch
    {
        Isa.Avx512 => 16,
        Isa.Avx2 => 8,
        Isa.Vector128 => 4,
        _ => 1,
    };

    /// <summary>The lower-case name used in backend options (<c>avx512</c>, <c>avx2</c>, <c>vector128</c>, <c>scalar</c>).</summary>
    public static string Name(Isa isa) => isa switch
    {
        Isa.Avx512 => "avx512",
        Isa.Avx2 => "avx2",
        Isa.Vector128 => "vector128",
        _ => "scalar",
    };
}

namespace LightNet.Engine.Kernels;

/// <summary>
/// How a convolution's input and output are laid out: plain NCHW, or channel-blocked (NCHWc): per image, blocks of
/// <see cref="Lanes"/> channels, each block [H][W][Lanes], so one pixel's channels of a block are one vector. The last
/// block is padded with zero channels (<see cref="BlockedElements"/>). Kernels on blocked tensors read and write whole
/// vectors with no transposes and no packing; the plan keeps values blocked between the kernels that take them
/// (<see cref="Engine.BlockedLayout"/>).
/// </summary>
/// <param name="Lanes">Channels per block (the vector width: 16 on AVX-512, 8 on AVX2, 4 on Vector128); 0 when nothing is blocked.</param>
/// <param name="InputBlocked">Whether the input is blocked.</param>
/// <param name="OutputBlocked">Whether the output (and a residual, which has its shape) is blocked.</param>
internal readonly record struct ConvLayout(int Lanes, bool InputBlocked, bool OutputBlocked)
{
    /// <summary>Plain NCHW in and out.</summary>
    public static ConvLayout Planar => default;

    /// <summary>Whether either side is blocked.</summary>
    public bool AnyBlocked => InputBlocked || OutputBlocked;

    /// <summary>Channels per block for <paramref name="isa"/>'s kernels, or 0 where the blocked kernels do not run.</summary>
    public static int LanesFor(Isa isa) => isa == Isa.Scalar ? 0 : IsaSupport.VectorLanes(isa);

    /// <summary>The layout and ISA part of a blocked kernel's name: "nchw16c-avx512", "nchw8c-avx2" or "nchw4c-vector128".</summary>
    public static string KernelSuffix(int lanes) => $"nchw{lanes}c-" + lanes switch { 16 => "avx512", 8 => "avx2", _ => "vector128" };

    /// <summary>
    /// Whether 4-lane kernels have registers for 32 vectors (Arm64's NEON, x64 with AVX-512's EVEX encoding): their
    /// tiles may then hold 24 accumulators, else (SSE, WebAssembly) they are sized for 16 registers.
    /// </summary>
    public static bool WideRegisterFile => System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported || System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>
    /// Whether plans on <paramref name="isa"/> keep values channel-blocked between layers (<see cref="Engine.BlockedLayout"/>):
    /// on every vector level. On AVX2 with 16 vector registers the blocked 1×1 kernel's 6 × 2 tiles ran at 45–58 % of
    /// FMA peak until they were written on <c>Vector256</c> itself (<see cref="ConvPointwiseBlocked"/>), and plans stayed
    /// planar there; at 71–89 % MobileNetV2, MobileNetV3-L and SqueezeNet run faster blocked, most at 2 threads (Zen 1,
    /// docs/performance.md). Which dense convolutions take blocked tensors is <see cref="BlocksDenseConvolutions"/>.
    /// </summary>
    public static bool PlansBlocked(Isa isa) => LanesFor(isa) > 0;

    /// <summary>
    /// Whether dense convolutions on <paramref name="isa"/> run on the channel-blocked kernels where they suit
    /// (<see cref="Conv2dKernel.PrefersIm2ColBlocked"/>): on every vector level but AVX2 on a CPU with 16 vector
    /// registers, where stems take <see cref="ConvStemDirect"/> and 7×7 maps Winograd F(2×2), both planar, and the
    /// blocked im2col and direct kernels measured slower (ResNet-18 1.14× its planar time, its 7×7 layers 1.5×, stems
    /// 1.2×). With 32 registers (AVX2 code on an AVX-512 CPU) the blocked kernels' 4 × 3 tiles keep them ahead.
    /// </summary>
    public static bool BlocksDenseConvolutions(Isa isa) => LanesFor(isa) > 0 && (isa != Isa.Avx2 || WideRegisterFile);

    /// <summary>Floats of one blocked image: <paramref name="channels"/> rounded up to whole blocks, times the pixels.</summary>
    public static long BlockedElements(long channels, long pixels, int lanes) => (channels + lanes - 1) / lanes * lanes * pixels;
}

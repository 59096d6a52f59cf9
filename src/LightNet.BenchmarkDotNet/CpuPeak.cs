using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using LightNet.Profiling;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// This CPU's peak fp32 multiply-accumulate rate, the denominator of <see cref="PeakFmaShareColumn"/>:
/// <c>peak MAC/s = cores × FMA units per core × fp32 lanes per vector × clock</c>.
/// </summary>
/// <remarks>
/// <para>How each factor is obtained:</para>
/// <list type="bullet">
/// <item><description><b>Cores</b>: given by the caller (<see cref="PeakMacsPerSecond(int)"/>); the columns pass the case's
/// <c>Threads</c> parameter, or <see cref="Environment.ProcessorCount"/> when the case has none. Logical
/// processors that are SMT siblings share one core's FMA units, so with SMT a count above the physical cores
/// overstates the peak.</description></item>
/// <item><description><b>FMA units per core</b>: 2 when the runtime reports FMA (x86 "FMA" or "AVX-512F" in
/// <see cref="EnvironmentInfo.IsaFeatures"/>) or AdvSIMD (ARM64), else 1; but 1 with 512-bit vectors on AMD family 19h
/// (Zen 4, the only AVX-512 parts of that family), whose two FMA pipes are 256 bits wide and execute a 512-bit FMA
/// as two halves ("double-pumped"): 16 fp32 MACs per cycle per core, as with AVX2, not 32; and 1 with 256-bit vectors
/// on AMD family 17h models below 30h (Zen 1 and Zen+), whose two FMA pipes are 128 bits wide: 8 fp32 MACs per cycle
/// (a 6×16 register-blocked C kernel in L1 measured 8.0 per cycle on an EPYC of that kind). That is right for Intel
/// since Haswell and AMD Zen 2 to Zen 4; it overstates Intel parts with one 512-bit FMA port and Zen 5 parts with a
/// 256-bit datapath (mobile), and understates ARM cores with four 128-bit pipes. <see cref="FmaUnitsSource"/> says
/// which rule applied. Override with the environment variable <c>LIGHTNET_FMA_UNITS</c>.</description></item>
/// <item><description><b>Lanes</b>: fp32 lanes of the widest hardware-accelerated vector: 512 / 32 = 16 when
/// <see cref="EnvironmentInfo.IsVector512HardwareAccelerated"/>, otherwise <see cref="EnvironmentInfo.VectorWidthBits"/> / 32
/// (8 for AVX2, 4 for SSE or AdvSIMD). Reduced-precision or INT8 backends are still compared with the fp32 peak.</description></item>
/// <item><description><b>Clock</b>, in this order: the environment variable <c>LIGHTNET_CPU_MHZ</c>; a measured
/// clock, where the runtime has hardware FMA: the best of 7 timings of a chain of 2²⁰ dependent scalar
/// <see cref="Math.FusedMultiplyAdd(double, double, double)"/> operations, each taking <see cref="FmaLatencyCycles"/>
/// cycles (4 on Intel Skylake and later and on AMD Zen 3 and later; 5 on AMD family 17h, Zen 1 to Zen 2, and on Intel
/// Haswell and Broadwell); otherwise the highest "cpu MHz" in /proc/cpuinfo (Linux; under a hypervisor that is often
/// the nominal clock, not the turbo clock, and on bare metal the momentary clock of an idle core). The measured
/// clock is that of one busy core, so with turbo it is above the all-core clock a many-thread run gets, and on a
/// shared machine other load can only lower it (hence the best of 7).</description></item>
/// </list>
/// <para>The peak ignores memory bandwidth, frequency drops under wide vectors (AVX-512 licences) and everything
/// but FMA; a share of 20–60% is typical of good convolution kernels, and only the ratio between runs on one
/// machine means much.</para>
/// </remarks>
public sealed record CpuPeak
{
    private static readonly Lazy<CpuPeak> s_current = new(Detect, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>FMA instructions one core can issue per cycle (see the remarks).</summary>
    public required int FmaUnitsPerCore { get; init; }

    /// <summary>fp32 lanes per FMA instruction (vector width / 32).</summary>
    public required int Fp32Lanes { get; init; }

    /// <summary>Why <see cref="FmaUnitsPerCore"/> has its value: "LIGHTNET_FMA_UNITS", "FMA", "Zen 4 (512-bit FMA double-pumped)",
    /// "Zen 1 (256-bit FMA on two 128-bit pipes)", "AdvSIMD" or "no FMA"; empty when built by hand.</summary>
    public string FmaUnitsSource { get; init; } = "";

    /// <summary>
    /// The most 16-bit integer multiply-accumulates (<c>vpmaddwd</c> lanes) one core retires per cycle whatever the
    /// vector width, where the CPU's vector integer multiplier is narrower than its FMA pipes; 0 where no such limit is
    /// known (the integer paths then peak at two full-width multiplies a cycle). 8 on AMD family 17h models below 30h
    /// (Zen 1, Zen+): one 128-bit integer multiply pipe, measured on an EPYC of that kind with C loops of independent
    /// chains: <c>vpmaddwd</c> on 16-bit pairs 19.8–20.1 GMAC/s at 2.5 GHz, <c>vpmaddubsw</c> + <c>vpmaddwd</c> by ones
    /// 18.9–19.4 (8 per cycle, the fp32 FMA rate), <c>vpmaddubsw</c> alone (16-bit sums) 39.7–39.9.
    /// </summary>
    public int IntegerMacsPerCycleLimit { get; init; }

    /// <summary>
    /// Peak MACs per cycle per core of an integer path whose multiplies retire <paramref name="macsPerCycle"/> at full
    /// issue on a CPU without a narrower integer multiplier, capped by <see cref="IntegerMacsPerCycleLimit"/>.
    /// </summary>
    /// <param name="macsPerCycle">The path's MACs per cycle at two full-width multiplies a cycle (32 for 256-bit <c>vpmaddwd</c>).</param>
    public double IntegerMacsPerCycle(double macsPerCycle) =>
        IntegerMacsPerCycleLimit > 0 ? Math.Min(macsPerCycle, IntegerMacsPerCycleLimit) : macsPerCycle;

    /// <summary>The clock in Hz, or 0 when it could not be found.</summary>
    public required double ClockHz { get; init; }

    /// <summary>Where <see cref="ClockHz"/> came from: "LIGHTNET_CPU_MHZ", "measured (dependent FMA chain, 4 cycles each)" (or 5), "/proc/cpuinfo" or "unknown".</summary>
    public required string ClockSource { get; init; }

    /// <summary>The peak of this machine, detected once per process.</summary>
    public static CpuPeak Current => s_current.Value;

    /// <summary>Peak fp32 MACs per second on <paramref name="cores"/> cores, or 0 when the clock is unknown.</summary>
    /// <param name="cores">Cores doing the work (threads of the run).</param>
    public double PeakMacsPerSecond(int cores) => PeakMacsPerSecond(cores, (double)FmaUnitsPerCore * Fp32Lanes);

    /// <summary>
    /// FMA units per core for code on vectors of <paramref name="lanes"/> fp32 lanes: <see cref="FmaUnitsPerCore"/> at
    /// the widest width, and at least 2 on narrower vectors, which every FMA pipe takes whole (AVX2 code on Zen 4's
    /// 256-bit pipes, Vector128 code on Zen 1's 128-bit ones).
    /// </summary>
    /// <param name="lanes">fp32 lanes of the code's vectors (16, 8 or 4).</param>
    public int FmaUnitsFor(int lanes) => lanes >= Fp32Lanes ? FmaUnitsPerCore : Math.Max(2, FmaUnitsPerCore);

    /// <summary>
    /// Peak MACs per second on <paramref name="cores"/> cores of an instruction mix that retires <paramref name="macsPerCycle"/>
    /// multiply-accumulates per cycle per core (an integer path's, for example: 32 for <c>vpmaddwd</c> on 16-bit pairs, two
    /// 256-bit or one 512-bit instruction per cycle), at <see cref="ClockHz"/>; 0 when the clock is unknown.
    /// </summary>
    /// <param name="cores">Cores doing the work.</param>
    /// <param name="macsPerCycle">MACs per cycle per core.</param>
    public double PeakMacsPerSecond(int cores, double macsPerCycle) => Math.Max(cores, 1) * macsPerCycle * ClockHz;

    /// <inheritdoc />
    public override string ToString() =>
        $"{FmaUnitsPerCore} FMA units{(FmaUnitsSource.Length > 0 ? $" ({FmaUnitsSource})" : "")} × {Fp32Lanes} fp32 lanes × {ClockHz / 1e9:0.00} GHz ({ClockSource}) per core"
        + (IntegerMacsPerCycleLimit > 0 ? $"; integer multiply-adds at most {IntegerMacsPerCycleLimit} MACs per cycle (one 128-bit multiplier)" : "");

    /// <summary>Detects the factors afresh (the clock measurement takes about 50 ms).</summary>
    public static CpuPeak Detect()
    {
        EnvironmentInfo env = EnvironmentInfo.Capture();
        bool hasFma = env.IsaFeatures.Contains("FMA") || env.IsaFeatures.Contains("AVX-512F") ||
                      (RuntimeInformation.ProcessArchitecture == Architecture.Arm64 && env.IsaFeatures.Contains("AdvSIMD"));
        int widthBits = env.IsVector512HardwareAccelerated ? 512 : Math.Max(env.VectorWidthBits, 128);
        bool zen1 = AmdFamilyModel() is (0x17, < 0x30); // Zen 1 and Zen+: 128-bit FMA pipes, one 128-bit integer multiplier
        (int units, string unitsSource) = ReadPositiveInt("LIGHTNET_FMA_UNITS") is int given ? (given, "LIGHTNET_FMA_UNITS")
            : !hasFma ? (1, "no FMA")
            : widthBits == 512 && IsAmdFamily(0x19) ? (1, "Zen 4 (512-bit FMA double-pumped)")
            : widthBits == 256 && zen1 ? (1, "Zen 1 (256-bit FMA on two 128-bit pipes)")
            : (2, RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "AdvSIMD" : "FMA");

        double clockHz;
        string source;
        if (double.TryParse(Environment.GetEnvironmentVariable("LIGHTNET_CPU_MHZ"), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) && mhz > 0)
        {
            (clockHz, source) = (mhz * 1e6, "LIGHTNET_CPU_MHZ");
        }
        else if (hasFma && MeasureClockHz() is double measured and > 0)
        {
            (clockHz, source) = (measured, $"measured (dependent FMA chain, {FmaLatencyCycles()} cycles each)");
        }
        else if (ReadProcCpuInfoMhz() is double procMhz)
        {
            (clockHz, source) = (procMhz * 1e6, "/proc/cpuinfo");
        }
        else
        {
            (clockHz, source) = (0, "unknown");
        }

        return new CpuPeak
        {
            FmaUnitsPerCore = units, FmaUnitsSource = unitsSource, Fp32Lanes = widthBits / 32, ClockHz = clockHz, ClockSource = source,
            IntegerMacsPerCycleLimit = zen1 && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 8 : 0,
        };
    }

    /// <summary>Whether this is an AMD x86 CPU of the given family (CPUID leaf 1, base plus extended family).</summary>
    /// <param name="family">The family, such as 0x19 (Zen 3 and Zen 4).</param>
    /// <returns>False on other vendors, other families and non-x86 machines.</returns>
    public static bool IsAmdFamily(int family) => AmdFamilyModel()?.Family == family;

    /// <summary>
    /// This CPU's family and model (CPUID leaf 1, extended fields folded in as the vendors define them) when it is an
    /// AMD x86 CPU, such as (0x17, 0x01) for a first-generation EPYC or (0x19, 0x01) for Zen 3 EPYC; null elsewhere.
    /// </summary>
    public static (int Family, int Model)? AmdFamilyModel() => X86FamilyModel("AuthenticAMD");

    /// <summary>
    /// Cycles of one dependent scalar FMA on this CPU, the unit of the measured clock: 5 on AMD family 17h (Zen 1, Zen+,
    /// Zen 2) and on Intel Haswell and Broadwell, 4 elsewhere (Intel Skylake and later, AMD Zen 3 and later, and
    /// any other CPU, where the clock may then be off by the ratio of the latencies).
    /// </summary>
    public static int FmaLatencyCycles()
    {
        if (AmdFamilyModel() is (0x17, _))
        {
            return 5;
        }

        // Haswell (3C, 3F, 45, 46) and Broadwell (3D, 47, 4F, 56), family 6.
        return X86FamilyModel("GenuineIntel") is (6, 0x3C or 0x3F or 0x45 or 0x46 or 0x3D or 0x47 or 0x4F or 0x56) ? 5 : 4;
    }

    private static (int Family, int Model)? X86FamilyModel(string vendor)
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }

        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BitConverter.TryWriteBytes(name, ebx);
        BitConverter.TryWriteBytes(name[4..], edx);
        BitConverter.TryWriteBytes(name[8..], ecx);
        if (!name.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(vendor)))
        {
            return null;
        }

        (int eax, _, _, _) = X86Base.CpuId(1, 0);
        int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF, extModel = (eax >> 16) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0xF or 0x6 ? (extModel << 4) + baseModel : baseModel;
        return (family, model);
    }

    /// <summary>
    /// The clock of this core in Hz from a chain of dependent fused multiply-adds taking <see cref="FmaLatencyCycles"/>
    /// cycles each: the best (shortest) of 7 timings of 2²⁰ operations after a warm-up.
    /// </summary>
    public static double MeasureClockHz()
    {
        const int Iterations = 1 << 17; // 8 FMAs per iteration: 2^20 in all
        double cyclesPerFma = FmaLatencyCycles();
        DependentFmaChain(1 << 14, 0.999, 1e-3); // warm-up: tier-up and clock ramp
        double best = double.MaxValue;
        for (int i = 0; i < 7; i++)
        {
            long start = Stopwatch.GetTimestamp();
            double sink = DependentFmaChain(Iterations, 0.999, 1e-3);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (sink is double.NaN)
            {
                return 0;
            }

            best = Math.Min(best, seconds);
        }

        return best > 0 ? Iterations * 8 * cyclesPerFma / best : 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double DependentFmaChain(int iterations, double a, double b)
    {
        double x = 1.0;
        for (int i = 0; i < iterations; i++)
        {
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
            x = Math.FusedMultiplyAdd(x, a, b);
        }

        return x;
    }

    private static double? ReadProcCpuInfoMhz()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo"))
            {
                return null;
            }

            double best = 0;
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0 &&
                    double.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                {
                    best = Math.Max(best, v);
                }
            }

            return best > 0 ? best : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int? ReadPositiveInt(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet.BenchmarkDotNet;
using LightNet.Engine;
using LightNet.Engine.Kernels;

namespace LightNet.Benchmarks;

/// <summary>
/// The cpu-simd integer kernels (uint8 × int8, exact int32 sums, requantized store) at ResNet-18 and MobileNetV2 shapes,
/// one image, 1 thread, on each integer path this machine runs, beside the FP32 kernel of the same shape. A 1×1
/// convolution is the int8 GEMM M = Cout, K = Cin, N = H·W. Columns: the kernel's algorithm, GMAC/s and the share of one
/// core's peak for the path (<see cref="CpuPeak"/> for fp32, <see cref="Int8MacsPerCycle"/> for the integer paths).
/// </summary>
/// <example><c>dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*Int8KernelBenchmarks*' --quick</c></example>
[Config(typeof(ColumnsConfig))]
public class Int8KernelBenchmarks
{
    private static readonly Dictionary<string, Conv2dShape> Shapes = new()
    {
        ["gemm 256x256x3136 (1x1 256-256 56)"] = new(256, 56, 56, 256, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        ["r18-l1 3x3 64-64 56"] = new(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        ["r18-l3 3x3 256-256 14"] = new(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        ["r18-l4 3x3 512-512 7"] = new(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        ["r18-l4 3x3 s2 256-512 14"] = new(256, 14, 14, 512, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1),
        ["mbv2 1x1 24-144 56"] = new(24, 56, 56, 144, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        ["mbv2 dw3x3 144 56 s1"] = new(144, 56, 56, 144, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 144),
        ["mbv2 dw3x3 96 112 s2"] = new(96, 112, 112, 96, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 96),
        ["mbv2 1x1 16-96 112 (K = 16)"] = new(16, 112, 112, 96, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        ["mbv2 dw3x3 384 14 s1 (blocked)"] = new(384, 14, 14, 384, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 384),
        ["mbv3 dw5x5 672 14 s1 (blocked)"] = new(672, 14, 14, 672, 14, 14, 5, 5, 1, 1, 1, 1, 2, 2, 672),
        ["r18 stem 7x7 3-64 224 s2"] = new(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1),
    };

    private static readonly Dictionary<(string, string), (long Macs, string Algorithm)> Described = new();

    private Int8Harness? _int8;
    private GemmHarness? _fp32;

    /// <summary>The shape.</summary>
    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    /// <summary>
    /// "fp32", or the integer path ("avx512", "avx2", "vector128", ...) with the kernel <see cref="Int8Convolutions"/>
    /// picks on NCHW codes (integer Winograd for 3×3 stride-1 layers on the AVX-512 level); "avxvnni-gemm" is the
    /// AVX-VNNI path held to the im2col GEMM, "avxvnni-direct" and "avx2-direct" the paths held to the direct kernel; "nhwc" the kernel a
    /// pixel-major chain of a quantized model runs (<see cref="Int8Harness.PixelMajor"/>: Winograd or the direct
    /// convolution, 1×1 layers included, and the direct depthwise kernel, [H][W][C] codes in and out); "nhwc-7bit" the same
    /// with weights in [-63, 63] (<c>lightnet quantize --reduce-range</c>: on AVX2 without AVX-VNNI the <c>vpmaddubsw</c> form).
    /// </summary>
    [ParamsSource(nameof(KernelNames))]
    public string Kernel { get; set; } = "";

    /// <summary>Every shape name.</summary>
    public static IEnumerable<string> CaseNames => Shapes.Keys;

    /// <summary>
    /// fp32 and every integer path this machine runs except scalar (far too slow to be worth timing), the AVX-VNNI GEMM,
    /// and the pixel-major chain kernels where quantized models run them here.
    /// </summary>
    public static IEnumerable<string> KernelNames =>
        new[] { "fp32" }.Concat(Enum.GetValues<Int8Path>().Where(p => p != Int8Path.Scalar && Int8Paths.IsSupported(p)).Select(Int8Paths.Name))
            .Concat(Int8Paths.IsSupported(Int8Path.AvxVnni) ? [Int8Paths.Name(Int8Path.AvxVnni) + GemmSuffix] : [])
            .Concat(new[] { Int8Path.AvxVnni, Int8Path.Avx2 }.Where(Int8Paths.IsSupported).Select(p => Int8Paths.Name(p) + DirectSuffix))
            .Concat(QuantizedLayout.DensePath(IsaSupport.Best) is not null ? [PixelMajorKernel, PixelMajorSevenBitKernel] : []);

    private const string PixelMajorKernel = "nhwc";

    private const string PixelMajorSevenBitKernel = "nhwc-7bit";

    private const string GemmSuffix = "-gemm";

    private const string DirectSuffix = "-direct";

    /// <summary>Prepares the kernel, its buffers and its pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var d = Create(Case, Kernel, out _int8, out _fp32);
        lock (Described)
        {
            Described[(Case, Kernel)] = d;
        }
    }

    /// <summary>One run of the kernel on one image.</summary>
    [Benchmark]
    public void Run()
    {
        if (_int8 is not null)
        {
            _int8.Run();
        }
        else
        {
            _fp32!.Run();
        }
    }

    /// <summary>Frees the kernel.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _int8?.Dispose();
        _fp32?.Dispose();
    }

    /// <summary>The harness of one case on one kernel ("fp32" or an integer path), and its MACs and algorithm.</summary>
    internal static (long Macs, string Algorithm) Create(string name, string kernel, out Int8Harness? int8, out GemmHarness? fp32)
    {
        Conv2dShape shape = Shapes[name];
        int8 = null;
        fp32 = null;
        if (kernel == "fp32")
        {
            fp32 = GemmHarness.Conv(shape, IsaSupport.Best, 1);
            return (fp32.Macs, fp32.Algorithm);
        }

        if (kernel is PixelMajorKernel or PixelMajorSevenBitKernel)
        {
            int8 = Int8Harness.PixelMajor(shape, IsaSupport.Best, 1, sevenBitWeights: kernel == PixelMajorSevenBitKernel)
                ?? throw new InvalidOperationException($"{name}: no pixel-major integer kernel at {IsaSupport.Best}.");
            return (int8.Macs, int8.Algorithm);
        }

        bool? direct = kernel.EndsWith(GemmSuffix, StringComparison.Ordinal) ? false : kernel.EndsWith(DirectSuffix, StringComparison.Ordinal) ? true : null;
        string path = direct is null ? kernel : kernel[..kernel.LastIndexOf('-')];
        if (direct == true && !Int8DirectConv.Supports(shape, Enum.GetValues<Int8Path>().Single(p => Int8Paths.Name(p) == path)))
        {
            direct = null; // a depthwise case: the path's own kernel
        }

        int8 = Int8Harness.Conv(shape, IsaSupport.Best, 1, Enum.GetValues<Int8Path>().Single(p => Int8Paths.Name(p) == path), direct);
        return (int8.Macs, int8.Algorithm);
    }

    private static (long Macs, string Algorithm) Describe(BenchmarkCase benchmarkCase)
    {
        var key = ((string)benchmarkCase.Parameters["Case"], (string)benchmarkCase.Parameters["Kernel"]);
        lock (Described)
        {
            if (!Described.TryGetValue(key, out var d))
            {
                // The summary is built in the host process, not the one that ran the case: describe it here.
                Described[key] = d = Create(key.Item1, key.Item2, out Int8Harness? i, out GemmHarness? f);
                i?.Dispose();
                f?.Dispose();
            }

            return d;
        }
    }

    /// <summary>
    /// Multiply-accumulates per cycle per core of each integer path's multiply instruction at full issue, the denominator
    /// of the "Peak %" column: <c>vpmaddwd</c> sums 16-bit pairs, 16 MACs per 256 bits, and a core retires two 256-bit or
    /// one 512-bit of them per cycle (Intel since Haswell; AMD Zen 2 to Zen 4, where a 512-bit one is double-pumped), so
    /// avx2 and avx512 both peak at 32; <c>vpdpbusd</c> (AVX-VNNI) sums 8-bit quads, 32 MACs per 256-bit instruction, two per
    /// cycle: 64; AVX2's <c>vpmaddubsw</c> form (7-bit weights) sums byte pairs, 32 MACs per instruction, but each needs a
    /// <c>vpmaddwd</c> by ones on the same two ports: 32 as well; the Vector128 path is taken as SSE <c>pmaddwd</c>, 8 MACs per instruction, two per cycle: 16. The zero
    /// extension and requantization around the multiplies are not counted, so no kernel reaches 100%. Where the CPU's
    /// integer multiplier is narrower (Zen 1: one 128-bit pipe, 8 MACs per cycle on every path) the path's figure is
    /// capped by <see cref="CpuPeak.IntegerMacsPerCycle"/>.
    /// </summary>
    internal static double Int8MacsPerCycle(string path) => CpuPeak.Current.IntegerMacsPerCycle(FullIssueMacsPerCycle(path));

    // A path's MACs per cycle at two full-width multiplies a cycle (see Int8MacsPerCycle); 0 for an unknown path.
    private static double FullIssueMacsPerCycle(string path) => path switch
    {
        "avx512" or "avx2" or "avx2-direct" => 32,
        "avxvnni" or "avxvnni-gemm" or "avxvnni-direct" => 64,
        "vector128" => 16,
        _ => 0,
    };

    /// <summary>
    /// The MACs per cycle the peak column of <paramref name="caseName"/> on <paramref name="kernel"/> divides by, or 0 for
    /// the float FMA peak: fp32, and the pixel-major depthwise kernel (it sums in float); the pixel-major convolution has
    /// its dense path's.
    /// </summary>
    internal static double PeakMacsPerCycle(string caseName, string kernel) => kernel switch
    {
        "fp32" => 0,
        PixelMajorKernel or PixelMajorSevenBitKernel => Shapes[caseName].IsDepthwise ? 0 : Int8MacsPerCycle(Int8Paths.Name(QuantizedLayout.DensePath(IsaSupport.Best)!.Value)),
        _ => Int8MacsPerCycle(kernel),
    };

    private sealed class ColumnsConfig : ManualConfig
    {
        public ColumnsConfig() => AddColumn(KernelColumns.Create(Describe,
            c => PeakMacsPerCycle((string)c.Parameters["Case"], (string)c.Parameters["Kernel"]) is double perCycle and > 0
                ? CpuPeak.Current.PeakMacsPerSecond(1, perCycle) : CpuPeak.Current.PeakMacsPerSecond(1),
            "The kernel's algorithm and instruction path", "Peak %",
            () => $"GMAC/s as a share of one core's peak: fp32 {CpuPeak.Current}; integer paths at the clock above with MACs per cycle "
                + "avx512 32 and avx2 32 (vpmaddwd: two 256-bit or one 512-bit per cycle), avxvnni 64 (vpdpbusd), vector128 16"
                + (CpuPeak.Current.IntegerMacsPerCycleLimit > 0 ? $", each at most {CpuPeak.Current.IntegerMacsPerCycleLimit} on this CPU's narrower integer multiplier; " : "; ")
                + "nhwc and nhwc-7bit their dense path's, their depthwise kernel (float sums) the fp32 peak"));
    }
}

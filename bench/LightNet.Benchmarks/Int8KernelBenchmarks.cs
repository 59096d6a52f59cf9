using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet.BenchmarkDotNet;
using LightNet.Engine.Kernels;

namespace LightNet.Benchmarks;

/// <summary>
/// The cpu-simd integer kernels (uint8 × int8, exact int32 sums, requantized store) at ResNet-18 and MobileNetV2 shapes,
/// one image, 1 thread, on each integer path this machine runs, beside the FP32 kernel of the same shape. A 1×1
/// convolution is the int8 GEMM M = Cout, K = Cin, N = H·W. Columns: the kernel's algorithm and GMAC/s.
/// </summary>
/// <example><c>dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*Int8KernelBenchmarks*' --quick</c></example>
[Config(typeof(ColumnsConfig))]
public class Int8KernelBenchmarks
{
    private static readonly Dictionary<string, Conv2dShape> Shapes = new()
    {
        ["gemm 256x256x3136 (1x1 256-256 56)"] = new(256, 56, 56, 256, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        ["r18-l1 3x3 64-64 56"] = new(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        ["r18-l4 3x3 512-512 7"] = new(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        ["mbv2 1x1 24-144 56"] = new(24, 56, 56, 144, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        ["mbv2 dw3x3 144 56 s1"] = new(144, 56, 56, 144, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 144),
    };

    private static readonly Dictionary<(string, string), (long Macs, string Algorithm)> Described = new();

    private Int8Harness? _int8;
    private GemmHarness? _fp32;

    /// <summary>The shape.</summary>
    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    /// <summary>"fp32", or the integer path ("avx512", "avx2", "vector128", ...).</summary>
    [ParamsSource(nameof(KernelNames))]
    public string Kernel { get; set; } = "";

    /// <summary>Every shape name.</summary>
    public static IEnumerable<string> CaseNames => Shapes.Keys;

    /// <summary>fp32 and every integer path this machine runs except scalar (far too slow to be worth timing).</summary>
    public static IEnumerable<string> KernelNames =>
        new[] { "fp32" }.Concat(Enum.GetValues<Int8Path>().Where(p => p != Int8Path.Scalar && Int8Paths.IsSupported(p)).Select(Int8Paths.Name));

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

    private static (long Macs, string Algorithm) Create(string name, string kernel, out Int8Harness? int8, out GemmHarness? fp32)
    {
        Conv2dShape shape = Shapes[name];
        int8 = null;
        fp32 = null;
        if (kernel == "fp32")
        {
            fp32 = GemmHarness.Conv(shape, IsaSupport.Best, 1);
            return (fp32.Macs, fp32.Algorithm);
        }

        int8 = Int8Harness.Conv(shape, IsaSupport.Best, 1, Enum.GetValues<Int8Path>().Single(p => Int8Paths.Name(p) == kernel));
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

    private sealed class ColumnsConfig : ManualConfig
    {
        public ColumnsConfig() => AddColumn(new Column(false), new Column(true));
    }

    private sealed class Column(bool gmacs) : LightNetColumn("Case")
    {
        public override string Id => base.Id + (gmacs ? ".Gmacs" : ".Algorithm");

        public override string ColumnName => gmacs ? "GMAC/s" : "Algorithm";

        public override int PriorityInCategory => gmacs ? 1 : 0;

        public override string Legend => gmacs ? "Multiply-accumulates per nanosecond of the mean time" : "The kernel's algorithm and instruction path";

        protected override string? Format(Summary summary, BenchmarkCase benchmarkCase)
        {
            var (macs, algorithm) = Describe(benchmarkCase);
            if (!gmacs)
            {
                return algorithm;
            }

            return MeanNanoseconds(summary, benchmarkCase) is double ns ? (macs / ns).ToString("0.00", CultureInfo.InvariantCulture) : null;
        }
    }
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet.BenchmarkDotNet;
using LightNet.Engine.Kernels;
using IsaLevel = LightNet.Engine.Kernels.Isa;

namespace LightNet.Benchmarks;

/// <summary>
/// The cpu-simd engine's heavy kernels at the shapes ResNet-18 and MobileNetV2 use (one image, NCHW, fused ReLU),
/// plus a square run-time GEMM, on the best ISA of this machine (and AVX2 too where that is AVX-512), 1 and 2 threads. Columns: the kernel's algorithm,
/// GMAC/s, and the share of this CPU's peak FMA rate on the case's threads (<see cref="CpuPeak"/>).
/// </summary>
/// <example><c>dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*KernelBenchmarks*' --quick</c></example>
[Config(typeof(ColumnsConfig))]
public class KernelBenchmarks
{
    /// <summary>The kernel cases: name → harness for (ISA, threads).</summary>
    internal static readonly Dictionary<string, Func<IsaLevel, int, GemmHarness>> Cases = WithPackedTwins(new()
    {
        ["gemm 512x512x512"] = (i, t) => GemmHarness.Gemm(512, 512, 512, i, t),
        ["r18-l2 3x3 128-128 28"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 28, 28, 128, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18-l2 3x3 128-128 28 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 28, 28, 128, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["r18-l1 3x3 64-64 56"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18-l1 3x3 64-64 56 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["r18-l3 3x3 256-256 14"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18-l3 3x3 256-256 14 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["r18-l4 3x3 512-512 7"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18-l4 3x3 s2 256-512 14"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 512, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18-l4 3x3 512-512 7 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["r18-l4 3x3 512-512 7 wino2x2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd2x2),
        ["dn121 3x3 128-32 7"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 7, 7, 32, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["dn121 3x3 128-32 7 wino2x2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 7, 7, 32, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd2x2),
        ["dn121 3x3 128-32 14"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 14, 14, 32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["dn121 3x3 128-32 14 wino2x2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 14, 14, 32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd2x2),
        ["r18-l3 3x3 256-256 14 wino2x2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd2x2),
        ["sqz e3x3 16-64 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 55, 55, 64, 55, 55, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["sqz e3x3 16-64 55 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 55, 55, 64, 55, 55, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["sqz e3x3 32-128 27"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 27, 27, 128, 27, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["sqz e3x3 32-128 27 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 27, 27, 128, 27, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["sqz e3x3 64-256 13"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 13, 13, 256, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["sqz e3x3 64-256 13 wino"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 13, 13, 256, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Winograd),
        ["sqz 1x1 64-16 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 55, 55, 16, 55, 55, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 16-64 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 55, 55, 64, 55, 55, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 128-16 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 55, 55, 16, 55, 55, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 16-96 112"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 96, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 24-144 56"] = (i, t) => GemmHarness.Conv(new Conv2dShape(24, 56, 56, 144, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 144-24 56"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 24, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 960-160 7"] = (i, t) => GemmHarness.Conv(new Conv2dShape(960, 7, 7, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 320-1280 7"] = (i, t) => GemmHarness.Conv(new Conv2dShape(320, 7, 7, 1280, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 dw3x3 144 56 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 144, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 144), i, t),
        ["mbv2 dw3x3 960 7 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(960, 7, 7, 960, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 960), i, t),
        ["mbv2 dw3x3 192 28 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(192, 28, 28, 192, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 192), i, t),
        ["mbv2 dw3x3 32 112 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 112, 112, 32, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 32), i, t),
        ["mbv2 dw3x3 576 14 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(576, 14, 14, 576, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 576), i, t),
        ["mbv2 dw3x3 192 28 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(192, 28, 28, 192, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 192), i, t),
        ["mbv2 dw3x3 576 14 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(576, 14, 14, 576, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 576), i, t),
        ["mbv3 dw3x3 64 112 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 112, 112, 64, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 64), i, t),
        ["mbv2 dw3x3 96 112 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(96, 112, 112, 96, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 96), i, t),
        ["mbv3 dw5x5 672 14 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(672, 14, 14, 672, 14, 14, 5, 5, 1, 1, 1, 1, 2, 2, 672), i, t),
        ["mbv3 dw5x5 120 28 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(120, 28, 28, 120, 28, 28, 5, 5, 1, 1, 1, 1, 2, 2, 120), i, t),
        ["mbv2 dw3x3 144 56 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 144, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 144), i, t),
        ["r18 stem 7x7 s2 3-64 224"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1), i, t, ConvAlgorithm.Im2Col),
        ["mbv3 dw5x5 960 7 s1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(960, 7, 7, 960, 7, 7, 5, 5, 1, 1, 1, 1, 2, 2, 960), i, t),
        ["mbv3 dw5x5 72 56 s2"] = (i, t) => GemmHarness.Conv(new Conv2dShape(72, 56, 56, 72, 28, 28, 5, 5, 2, 2, 1, 1, 2, 2, 72), i, t),
        ["mbv3 se 1x1 240-960 1"] = (i, t) => GemmHarness.Conv(new Conv2dShape(240, 1, 1, 960, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),

        // The same layers on channel-blocked tensors (NCHWc16 on AVX-512, NCHWc8 on AVX2), as MobileNet's chains run them.
        ["mbv2 1x1 16-96 112 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 96, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 24-144 56 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(24, 56, 56, 144, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 144-24 56 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 24, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 960-160 7 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(960, 7, 7, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 32-16 112 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 112, 112, 16, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 576-96 14 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(576, 14, 14, 96, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv2 1x1 384-64 14 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(384, 14, 14, 64, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv3 1x1 16-64 112 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 64, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["tile overhead 1x1 8-64 28 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(8, 28, 28, 64, 28, 28, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t, blocked: true),
        ["mbv3 dw3x3 64 112 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 112, 112, 64, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 64), i, t, blocked: true),
        ["mbv2 dw3x3 144 56 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 144, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 144), i, t, blocked: true),
        ["mbv2 dw3x3 192 28 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(192, 28, 28, 192, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 192), i, t, blocked: true),
        ["mbv2 dw3x3 144 56 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(144, 56, 56, 144, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 144), i, t, blocked: true),
        ["mbv2 dw3x3 192 28 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(192, 28, 28, 192, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 192), i, t, blocked: true),
        ["mbv3 dw5x5 672 14 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(672, 14, 14, 672, 7, 7, 5, 5, 2, 2, 1, 1, 2, 2, 672), i, t, blocked: true),
        ["mbv2 dw3x3 960 7 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(960, 7, 7, 960, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 960), i, t, blocked: true),
        ["mbv3 dw5x5 120 28 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(120, 28, 28, 120, 28, 28, 5, 5, 1, 1, 1, 1, 2, 2, 120), i, t, blocked: true),
        ["mbv3 dw5x5 72 56 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(72, 56, 56, 72, 28, 28, 5, 5, 2, 2, 1, 1, 2, 2, 72), i, t, blocked: true),
        ["mbv3 dw3x3 16 112 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 16, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 16), i, t, blocked: true),
        ["mbv2 dw3x3 96 112 s2 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(96, 112, 112, 96, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 96), i, t, blocked: true),
        ["r18-l4 3x3 512-512 7 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["r18-l4 3x3 s2 256-512 14 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 512, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["r18-l3 3x3 256-256 14 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["sqz e3x3 64-256 13 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 13, 13, 256, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["sqz e3x3 32-128 27 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 27, 27, 128, 27, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["sqz e3x3 16-64 55 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 55, 55, 64, 55, 55, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["sqz e3x3 32-128 27 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 27, 27, 128, 27, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["sqz e3x3 64-256 13 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 13, 13, 256, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l1 3x3 64-64 56 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l2 3x3 128-128 28 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 28, 28, 128, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l3 3x3 256-256 14 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 256, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l4 3x3 512-512 7 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l4 3x3 s2 256-512 14 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 14, 14, 512, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l2 3x3 s2 64-128 56 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 128, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["r18-l2 3x3 s2 64-128 56 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 128, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l3 3x3 s2 128-256 28 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 28, 28, 256, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["r18-l3 3x3 s2 128-256 28 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(128, 28, 28, 256, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2ColBlocked),
        ["r18 stem 7x7 s2 3-64 224 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["sqz stem 3x3 s2 3-64 224"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 111, 111, 3, 3, 2, 2, 1, 1, 0, 0, 1), i, t, ConvAlgorithm.Im2Col),
        ["sqz stem 3x3 s2 3-64 224 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 111, 111, 3, 3, 2, 2, 1, 1, 0, 0, 1), i, t, ConvAlgorithm.DirectBlocked),
        ["mbv2 stem 3x3 s2 3-32 224"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["r18 stem 7x7 s2 3-64 224 direct stem"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1), i, t, ConvAlgorithm.StemDirect),
        ["mbv2 stem 3x3 s2 3-32 224 direct stem"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.StemDirect),
        ["sqz stem 3x3 s2 3-64 224 direct stem"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 111, 111, 3, 3, 2, 2, 1, 1, 0, 0, 1), i, t, ConvAlgorithm.StemDirect),
        ["alexnet stem 11x11 s4 3-64 224"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 55, 55, 11, 11, 4, 4, 1, 1, 2, 2, 1), i, t, ConvAlgorithm.Im2Col),
        ["alexnet stem 11x11 s4 3-64 224 direct stem"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 64, 55, 55, 11, 11, 4, 4, 1, 1, 2, 2, 1), i, t, ConvAlgorithm.StemDirect),
        ["mbv3 stem 3x3 s2 3-16 224"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 16, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.Im2Col),
        ["mbv3 stem 3x3 s2 3-16 224 direct stem"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 16, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.StemDirect),
        ["mbv2 stem 3x3 s2 3-32 224 direct nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked),
        // As in a model: blocked in and out (no planar conversions around the kernel); shapes every blocked level runs
        // blocked (Winograd takes 14×14 stride 1 below AVX-512).
        ["r18-l4 3x3 512-512 7 direct blocked-io"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 7, 7, 512, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked, blocked: true),
        ["r18-l2 3x3 s2 64-128 56 direct blocked-io"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 128, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 1), i, t, ConvAlgorithm.DirectBlocked, blocked: true),
        ["r18-l2 1x1 s2 64-128 56 direct blocked-io"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 56, 56, 128, 28, 28, 1, 1, 2, 2, 1, 1, 0, 0, 1), i, t, ConvAlgorithm.DirectBlocked, blocked: true),
        ["sqz 1x1 256-32 27"] = (i, t) => GemmHarness.Conv(new Conv2dShape(256, 27, 27, 32, 27, 27, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 32-128 27"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 27, 27, 128, 27, 27, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 64-256 13"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 13, 13, 256, 13, 13, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 64-16 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(64, 55, 55, 16, 55, 55, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 16-64 55"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 55, 55, 64, 55, 55, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["sqz 1x1 512-1000 13"] = (i, t) => GemmHarness.Conv(new Conv2dShape(512, 13, 13, 1000, 13, 13, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 32-192 28"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 28, 28, 192, 28, 28, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv3 1x1 16-64 112"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 64, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv3 1x1 16-16 112"] = (i, t) => GemmHarness.Conv(new Conv2dShape(16, 112, 112, 16, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 32-16 112"] = (i, t) => GemmHarness.Conv(new Conv2dShape(32, 112, 112, 16, 112, 112, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 1x1 576-96 14"] = (i, t) => GemmHarness.Conv(new Conv2dShape(576, 14, 14, 96, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 1), i, t),
        ["mbv2 dw3x3 576 14 s1 nchwc"] = (i, t) => GemmHarness.Conv(new Conv2dShape(576, 14, 14, 576, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 576), i, t, blocked: true),
    });

    // Every planar 1×1 case of a model layer again as "… packed", with B packed as before it was read in place
    // (GemmWork.AllowBInPlace), so the two are timed side by side in one process.
    private static Dictionary<string, Func<IsaLevel, int, GemmHarness>> WithPackedTwins(Dictionary<string, Func<IsaLevel, int, GemmHarness>> cases)
    {
        foreach (var (name, make) in cases.Where(c => (c.Key.StartsWith("mbv2 1x1 ", StringComparison.Ordinal) || c.Key.StartsWith("sqz 1x1 ", StringComparison.Ordinal) || c.Key.StartsWith("mbv3 1x1 ", StringComparison.Ordinal))
            && !c.Key.EndsWith(" nchwc", StringComparison.Ordinal)).ToList())
        {
            cases[name + " packed"] = (i, t) => make(i, t).ForcePackedB();
        }

        // Planar GEMM cases whose last panel ends in one column (7×7, 13×13, 27×27 and 55×55 outputs) again as "… masked",
        // with that column through the 6×8 masked kernel as before the strip kernel (GemmWork.AllowNarrowStrip).
        foreach (var name in new[] { "r18-l4 3x3 512-512 7", "r18-l4 3x3 s2 256-512 14", "mbv2 1x1 960-160 7", "sqz 1x1 64-16 55", "sqz 1x1 16-64 55", "sqz 1x1 512-1000 13", "sqz 1x1 256-32 27" })
        {
            var make = cases[name];
            cases[name + " masked"] = (i, t) => make(i, t).ForceMaskedEdge();
        }

        return cases;
    }

    /// <summary>Whether the channel-blocked ("nchwc") cases run: every ISA of <see cref="IsaLevels"/> has blocked kernels.</summary>
    internal static bool BlockedCasesRun => IsaLevels().All(l => ConvLayout.LanesFor(l) > 0);

    /// <summary>The ISAs the suite runs: this machine's best and, below AVX-512, nothing else; on AVX-512 also AVX2.</summary>
    internal static IEnumerable<IsaLevel> IsaLevels() =>
        IsaSupport.Best == IsaLevel.Avx512 ? [IsaLevel.Avx512, IsaLevel.Avx2] : [IsaSupport.Best];

    private static readonly Dictionary<string, (long Macs, string Algorithm)> Described = new();

    private GemmHarness? _harness;

    /// <summary>The kernel case.</summary>
    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    /// <summary>The instruction-set level (<see cref="IsaSupport.Name"/>).</summary>
    [ParamsSource(nameof(IsaNames))]
    public string Isa { get; set; } = "";

    /// <summary>Every ISA level of <see cref="IsaLevels"/>, by name.</summary>
    public static IEnumerable<string> IsaNames => IsaLevels().Select(IsaSupport.Name);

    /// <summary>Threads of the kernel's worker pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Every case name.</summary>
    public static IEnumerable<string> CaseNames => Cases.Keys.Where(k => BlockedCasesRun || !k.EndsWith(" nchwc", StringComparison.Ordinal));

    /// <summary>Prepares the kernel, its buffers and its pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _harness = Cases[Case](IsaSupport.Parse(Isa), Threads);
        lock (Described)
        {
            Described[Case + "|" + Isa] = (_harness.Macs, _harness.Algorithm);
        }
    }

    /// <summary>One run of the kernel on one image.</summary>
    [Benchmark]
    public void Run() => _harness!.Run();

    /// <summary>Frees the kernel.</summary>
    [GlobalCleanup]
    public void Cleanup() => _harness?.Dispose();

    private static (long Macs, string Algorithm) Describe(BenchmarkCase benchmarkCase)
    {
        string name = (string)benchmarkCase.Parameters["Case"];
        string isa = (string)benchmarkCase.Parameters["Isa"];
        lock (Described)
        {
            if (!Described.TryGetValue(name + "|" + isa, out var d))
            {
                // The summary is built in the host process, not the one that ran the case: describe it here.
                using var h = Cases[name](IsaSupport.Parse(isa), 1);
                Described[name + "|" + isa] = d = (h.Macs, h.Algorithm);
            }

            return d;
        }
    }

    private sealed class ColumnsConfig : ManualConfig
    {
        public ColumnsConfig() => AddColumn(KernelColumns.Create(Describe,
            c => CpuPeak.Current.PeakMacsPerSecond(c.Parameters["Threads"] is int t ? Math.Min(t, Environment.ProcessorCount) : 1),
            "The kernel's algorithm and ISA", "Peak FMA %", () => $"GMAC/s as a share of threads × {CpuPeak.Current}"));
    }
}

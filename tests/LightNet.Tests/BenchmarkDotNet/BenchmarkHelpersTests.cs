using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.BenchmarkDotNet;
using Xunit;

namespace LightNet.Tests.BenchmarkDotNet;

// Runs alone, after the parallel tests: it runs ONNX Runtime sessions, and timing and allocation tests elsewhere
// (ProfilerTests' ManagedBytesPerRun) must not share the machine with it.
[CollectionDefinition(nameof(BenchmarkHelpersTests), DisableParallelization = true)]
public sealed class BenchmarkHelpersCollection;

[Collection(nameof(BenchmarkHelpersTests))]
public class BenchmarkHelpersTests
{
    private sealed class SqueezeNetSuite : ModelBenchmarkBase
    {
        public override IEnumerable<string> Models => ["squeezenet1_1", "squeezenet1_1"];

        public override IEnumerable<string> Backends => ["ort-cpu", "no-such-backend", "ort-cpu"];
    }

    [Fact]
    public void Parameter_lists_drop_unavailable_backends_and_duplicates()
    {
        var suite = new SqueezeNetSuite();
        Assert.Equal(["squeezenet1_1"], suite.ModelValues);
        Assert.Equal(["ort-cpu"], suite.BackendValues);
        Assert.Equal([1], suite.ThreadValues);
    }

    [Fact]
    public void Model_paths_are_made_absolute_and_zoo_names_kept()
    {
        Assert.Equal("resnet18", BenchmarkModels.Normalize("resnet18"));
        string path = BenchmarkModels.Normalize("models/my.onnx");
        Assert.True(Path.IsPathFullyQualified(path));
        Assert.EndsWith("my.onnx", path, StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_prepares_a_run_that_inference_reuses()
    {
        var suite = new SqueezeNetSuite { Model = "squeezenet1_1", Backend = "ort-cpu", Threads = 1 };
        suite.Setup();
        try
        {
            suite.Inference();
            suite.Inference();
        }
        finally
        {
            suite.Cleanup();
        }

        Assert.True(BenchmarkModels.TryGetInfo("squeezenet1_1")!.Macs > 300_000_000);
        Assert.Null(BenchmarkModels.TryGetInfo("no_such_model"));
    }

    [Fact]
    public void Cpu_peak_has_plausible_factors()
    {
        CpuPeak peak = CpuPeak.Detect();
        Assert.InRange(peak.FmaUnitsPerCore, 1, 8);
        Assert.Contains(peak.Fp32Lanes, new[] { 4, 8, 16 });
        if (peak.ClockHz > 0)
        {
            Assert.InRange(peak.ClockHz, 2e8, 1e10);
            Assert.Equal(2 * peak.PeakMacsPerSecond(1), peak.PeakMacsPerSecond(2), 6);
            Assert.Equal(peak.PeakMacsPerSecond(3), peak.PeakMacsPerSecond(3, peak.FmaUnitsPerCore * peak.Fp32Lanes), 6);
            Assert.Equal(4 * 32 * peak.ClockHz, peak.PeakMacsPerSecond(4, 32), 6);
        }

        // One FMA unit per core is explained (no FMA, or Zen 4's double-pumped 512-bit FMA), as is every other count.
        Assert.NotEqual("", peak.FmaUnitsSource);
        Assert.Contains(peak.FmaUnitsSource, peak.ToString(), StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("LIGHTNET_FMA_UNITS") is null && peak.Fp32Lanes == 16 && CpuPeak.IsAmdFamily(0x19))
        {
            Assert.Equal(1, peak.FmaUnitsPerCore); // Zen 4: 16 fp32 MACs per cycle per core, not 32
        }

        // Zen 1 and Zen+ (family 17h below model 30h): two 128-bit FMA pipes, 8 fp32 MACs per cycle with AVX2.
        if (Environment.GetEnvironmentVariable("LIGHTNET_FMA_UNITS") is null && peak.Fp32Lanes == 8 && CpuPeak.AmdFamilyModel() is (0x17, < 0x30))
        {
            Assert.Equal(1, peak.FmaUnitsPerCore);
            Assert.Equal("Zen 1 (256-bit FMA on two 128-bit pipes)", peak.FmaUnitsSource);
            Assert.Equal(2, peak.FmaUnitsFor(4)); // 128-bit code fills both pipes
        }

        Assert.Equal(peak.FmaUnitsPerCore, peak.FmaUnitsFor(peak.Fp32Lanes));
        Assert.Equal(Math.Max(2, peak.FmaUnitsPerCore), peak.FmaUnitsFor(peak.Fp32Lanes / 2));

        // The integer paths' cap: one 128-bit integer multiplier on Zen 1 and Zen+ (8 MACs per cycle on every path,
        // named in the description), none known elsewhere; the cap only ever lowers a path's figure.
        bool zen1 = RuntimeInformation.ProcessArchitecture == Architecture.X64 && CpuPeak.AmdFamilyModel() is (0x17, < 0x30);
        Assert.Equal(zen1 ? 8 : 0, peak.IntegerMacsPerCycleLimit);
        Assert.Equal(zen1 ? 8 : 32, peak.IntegerMacsPerCycle(32));
        Assert.Equal(zen1 ? 8 : 64, peak.IntegerMacsPerCycle(64));
        Assert.Equal(4, peak.IntegerMacsPerCycle(4));
        Assert.Equal(zen1, peak.ToString().Contains("integer multiply-adds at most 8 MACs per cycle", StringComparison.Ordinal));
        Assert.Equal(16, (peak with { IntegerMacsPerCycleLimit = 0 }).IntegerMacsPerCycle(16));
    }

    [Fact]
    public void Fma_latency_follows_the_cpu_family()
    {
        int cycles = CpuPeak.FmaLatencyCycles();
        Assert.InRange(cycles, 4, 5);
        if (CpuPeak.AmdFamilyModel() is { } amd)
        {
            Assert.True(amd.Family >= 0x10 && amd.Model is >= 0 and < 256, $"family {amd.Family:X}h model {amd.Model:X}h");
            Assert.Equal(amd.Family == 0x17 ? 5 : 4, cycles); // Zen 1 to Zen 2: 5 cycles; Zen 3 and later: 4
            Assert.True(CpuPeak.IsAmdFamily(amd.Family));
        }
        else
        {
            Assert.False(CpuPeak.IsAmdFamily(0x17) || CpuPeak.IsAmdFamily(0x19));
        }
    }
}

using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LightNet.Profiling;
using Xunit;
using Arm = System.Runtime.Intrinsics.Arm;
using X86 = System.Runtime.Intrinsics.X86;

namespace LightNet.Tests.Profiling;

public class EnvironmentInfoTests
{
    [Fact]
    public void Capture_DescribesThisMachine()
    {
        var info = EnvironmentInfo.Capture();

        Assert.False(string.IsNullOrWhiteSpace(info.CpuModel));
        if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
        {
            Assert.NotEqual("unknown", info.CpuModel);
        }

        Assert.True(info.LogicalCores >= 1);
        Assert.Equal(Environment.ProcessorCount, info.LogicalCores);
        Assert.Equal(Vector<byte>.Count * 8, info.VectorWidthBits);
        Assert.Contains(info.VectorWidthBits, new[] { 128, 256, 512 });
        Assert.Equal(Vector512.IsHardwareAccelerated, info.IsVector512HardwareAccelerated);
        Assert.Equal(RuntimeInformation.OSDescription, info.OperatingSystem);
        Assert.Equal(RuntimeInformation.ProcessArchitecture, info.Architecture);
        Assert.Equal(RuntimeInformation.FrameworkDescription, info.DotNetRuntime);
        Assert.True(info.TotalMemoryBytes > 0);
        Assert.Null(info.OnnxRuntimeVersion);
    }

    [Fact]
    public void Capture_IsCached()
    {
        Assert.Same(EnvironmentInfo.Capture(), EnvironmentInfo.Capture());
    }

    [Fact]
    public void IsaFeatures_FollowIsSupported()
    {
        var features = EnvironmentInfo.Capture().IsaFeatures;

        Assert.Equal(X86.Avx2.IsSupported, features.Contains("AVX2"));
        Assert.Equal(X86.Fma.IsSupported, features.Contains("FMA"));
        Assert.Equal(X86.Avx.IsSupported, features.Contains("AVX"));
        Assert.Equal(X86.Sse42.IsSupported, features.Contains("SSE4.2"));
        Assert.Equal(X86.Avx512F.IsSupported, features.Contains("AVX-512F"));
        Assert.Equal(X86.Avx10v1.V512.IsSupported, features.Contains("AVX-512 VNNI"));
        Assert.Equal(X86.AvxVnni.IsSupported, features.Contains("AVX-VNNI"));
        Assert.Equal(Arm.AdvSimd.IsSupported, features.Contains("AdvSIMD"));
        Assert.Equal(Arm.Dp.IsSupported, features.Contains("AdvSIMD.Dot"));
        Assert.Equal(features.Count, features.Distinct().Count());

        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            // SSE2 is part of x64 itself.
            Assert.Contains("SSE2", features);
        }
        else if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
        {
            Assert.Contains("AdvSIMD", features);
        }
    }

    [Fact]
    public void LightNetVersion_HasNoCommitSuffix()
    {
        string version = EnvironmentInfo.Capture().LightNetVersion;

        Assert.False(string.IsNullOrWhiteSpace(version));
        Assert.NotEqual("unknown", version);
        Assert.DoesNotContain('+', version);
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
    }

    [Fact]
    public void OnnxRuntimeVersion_IsSetByOthersWithAWithExpression()
    {
        var captured = EnvironmentInfo.Capture();

        var withOrt = captured with { OnnxRuntimeVersion = "1.22.0" };

        Assert.Equal("1.22.0", withOrt.OnnxRuntimeVersion);
        Assert.Equal(captured.CpuModel, withOrt.CpuModel);
        Assert.Null(EnvironmentInfo.Capture().OnnxRuntimeVersion);
    }

    [Fact]
    public void ParseProcCpuInfo_X86()
    {
        const string text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz\n" +
                            "flags\t\t: fpu sse2 avx2\n\nprocessor\t: 1\nmodel name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz\n";

        Assert.Equal("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", EnvironmentInfo.ParseProcCpuInfo(text));
    }

    [Fact]
    public void ParseProcCpuInfo_Arm()
    {
        // Older 32-bit ARM kernels name the processor in "Processor".
        const string arm32 = "Processor\t: ARMv7 Processor rev 4 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 38.40\n";
        Assert.Equal("ARMv7 Processor rev 4 (v7l)", EnvironmentInfo.ParseProcCpuInfo(arm32));

        // ARM64 kernels often give only the implementer and part numbers.
        const string arm64 = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n";
        Assert.Equal("CPU implementer 0x41, part 0xd0c", EnvironmentInfo.ParseProcCpuInfo(arm64));

        Assert.Null(EnvironmentInfo.ParseProcCpuInfo("processor\t: 0\n"));
        Assert.Null(EnvironmentInfo.ParseProcCpuInfo(""));
    }
}

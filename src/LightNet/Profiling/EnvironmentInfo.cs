using System.Diagnostics;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Arm = System.Runtime.Intrinsics.Arm;
using X86 = System.Runtime.Intrinsics.X86;

namespace LightNet.Profiling;

/// <summary>
/// The machine and runtime a benchmark ran on, recorded next to its numbers so that results from
/// different machines are not compared blindly. <see cref="Capture"/> describes the current process; the
/// init-only properties let a report read back from disk, or a test, build one. The machine's name is
/// deliberately not recorded.
/// </summary>
public sealed record EnvironmentInfo
{
    private const string Unknown = "unknown";

    private static readonly Lazy<EnvironmentInfo> Current = new(CaptureCore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The CPU's model name: "model name" from /proc/cpuinfo on Linux (the implementer and part numbers on
    /// ARM kernels that give no name), <c>sysctl machdep.cpu.brand_string</c> on macOS and the
    /// PROCESSOR_IDENTIFIER environment variable on Windows; "unknown" when none is available.
    /// </summary>
    public string CpuModel { get; init; } = Unknown;

    /// <summary>The number of logical processors available to the process (<see cref="Environment.ProcessorCount"/>).</summary>
    public int LogicalCores { get; init; }

    /// <summary>
    /// The instruction-set extensions the .NET runtime reports as supported (<c>IsSupported</c> of the
    /// <c>System.Runtime.Intrinsics</c> classes), widest first: on x86 for example "AVX-512F", "AVX2", "FMA",
    /// "AVX", "SSE4.2"; on ARM "SVE", "AdvSIMD", "AdvSIMD.Dot". The runtime can disable extensions
    /// (DOTNET_EnableAVX512=0 and similar), and then they are absent here even if the CPU has them.
    /// </summary>
    /// <remarks>
    /// .NET 10 has no class of its own for AVX-512 VNNI: "AVX-512 VNNI" is listed when 512-bit AVX10.1, which
    /// includes it, is supported. "AVX-VNNI" is the 256-bit VEX-encoded variant.
    /// </remarks>
    public IReadOnlyList<string> IsaFeatures { get; init; } = [];

    /// <summary>The width of <see cref="Vector{T}"/> in bits (<c>Vector&lt;byte&gt;.Count · 8</c>): 128, 256 or 512.</summary>
    public int VectorWidthBits { get; init; }

    /// <summary>Whether <see cref="Vector512"/> operations are hardware accelerated (<see cref="Vector512.IsHardwareAccelerated"/>).</summary>
    public bool IsVector512HardwareAccelerated { get; init; }

    /// <summary>The operating system's description (<see cref="RuntimeInformation.OSDescription"/>).</summary>
    public string OperatingSystem { get; init; } = Unknown;

    /// <summary>The process's architecture (<see cref="RuntimeInformation.ProcessArchitecture"/>).</summary>
    public Architecture Architecture { get; init; }

    /// <summary>The .NET runtime's description, for example ".NET 10.0.0" (<see cref="RuntimeInformation.FrameworkDescription"/>).</summary>
    public string DotNetRuntime { get; init; } = Unknown;

    /// <summary>LightNet's version (its assembly's informational version without the "+commit" suffix).</summary>
    public string LightNetVersion { get; init; } = Unknown;

    /// <summary>
    /// The memory available to the process in bytes, as the garbage collector sees it
    /// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>): physical memory, or a container's limit.
    /// </summary>
    public long TotalMemoryBytes { get; init; }

    /// <summary>
    /// The ONNX Runtime version used for the measurements, when one was used; <see cref="Capture"/> leaves it
    /// null and the code that runs ONNX Runtime sets it with a <c>with</c> expression.
    /// </summary>
    public string? OnnxRuntimeVersion { get; init; }

    /// <summary>
    /// Describes the current machine and runtime. The first call gathers the information (on macOS it runs
    /// <c>sysctl</c> once); later calls return the same cached instance.
    /// </summary>
    /// <returns>The description of this machine, with <see cref="OnnxRuntimeVersion"/> null.</returns>
    public static EnvironmentInfo Capture() => Current.Value;

    private static EnvironmentInfo CaptureCore() => new()
    {
        CpuModel = ReadCpuModel(),
        LogicalCores = Environment.ProcessorCount,
        IsaFeatures = DetectIsaFeatures(),
        VectorWidthBits = Vector<byte>.Count * 8,
        IsVector512HardwareAccelerated = Vector512.IsHardwareAccelerated,
        OperatingSystem = RuntimeInformation.OSDescription,
        Architecture = RuntimeInformation.ProcessArchitecture,
        DotNetRuntime = RuntimeInformation.FrameworkDescription,
        LightNetVersion = ReadLightNetVersion(),
        TotalMemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
    };

    /// <summary>The ISA extensions the runtime supports, widest first.</summary>
    internal static IReadOnlyList<string> DetectIsaFeatures()
    {
        var features = new List<string>();
        void Add(bool supported, string name)
        {
            if (supported)
            {
                features.Add(name);
            }
        }

        // x86 / x64.
        Add(X86.Avx10v2.IsSupported, "AVX10.2");
        Add(X86.Avx10v1.IsSupported, "AVX10.1");
        Add(X86.Avx512F.IsSupported, "AVX-512F");
        Add(X86.Avx512BW.IsSupported, "AVX-512BW");
        Add(X86.Avx512CD.IsSupported, "AVX-512CD");
        Add(X86.Avx512DQ.IsSupported, "AVX-512DQ");
        Add(X86.Avx512Vbmi.IsSupported, "AVX-512VBMI");
        Add(X86.Avx512Vbmi2.IsSupported, "AVX-512VBMI2");
        Add(X86.Avx10v1.V512.IsSupported, "AVX-512 VNNI");
        Add(X86.AvxVnni.IsSupported, "AVX-VNNI");
        Add(X86.Avx2.IsSupported, "AVX2");
        Add(X86.Fma.IsSupported, "FMA");
        Add(X86.Avx.IsSupported, "AVX");
        Add(X86.Bmi1.IsSupported, "BMI1");
        Add(X86.Bmi2.IsSupported, "BMI2");
        Add(X86.Lzcnt.IsSupported, "LZCNT");
        Add(X86.Popcnt.IsSupported, "POPCNT");
        Add(X86.Sse42.IsSupported, "SSE4.2");
        Add(X86.Sse41.IsSupported, "SSE4.1");
        Add(X86.Ssse3.IsSupported, "SSSE3");
        Add(X86.Sse3.IsSupported, "SSE3");
        Add(X86.Sse2.IsSupported, "SSE2");
        Add(X86.Aes.IsSupported, "AES");
        Add(X86.Pclmulqdq.IsSupported, "PCLMULQDQ");
        Add(X86.Gfni.IsSupported, "GFNI");

        // ARM / ARM64. SVE's classes are marked experimental, but IsSupported only reports the hardware.
#pragma warning disable SYSLIB5003
        Add(Arm.Sve2.IsSupported, "SVE2");
        Add(Arm.Sve.IsSupported, "SVE");
#pragma warning restore SYSLIB5003
        Add(Arm.AdvSimd.IsSupported, "AdvSIMD");
        Add(Arm.Dp.IsSupported, "AdvSIMD.Dot");
        Add(Arm.Rdm.IsSupported, "AdvSIMD.RDM");
        Add(Arm.Aes.IsSupported, "AES");
        Add(Arm.Sha1.IsSupported, "SHA1");
        Add(Arm.Sha256.IsSupported, "SHA256");
        Add(Arm.Crc32.IsSupported, "CRC32");

        return features.AsReadOnly();
    }

    /// <summary>
    /// The CPU model from /proc/cpuinfo text: the first "model name" (x86, most ARM64 kernels), else
    /// "Hardware", "cpu model" or "Processor" (older ARM and MIPS kernels), else the first CPU's implementer and
    /// part numbers; null when there is none of these.
    /// </summary>
    internal static string? ParseProcCpuInfo(string text)
    {
        string[] nameKeys = ["model name", "Hardware", "cpu model", "Processor"];
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (value.Length > 0)
            {
                values.TryAdd(key, value);
            }
        }

        foreach (string key in nameKeys)
        {
            // "processor : 0" (the CPU's index, on x86) is not a name; "Processor : ARMv7 ..." is.
            if (values.TryGetValue(key, out string? name) && !int.TryParse(name, out _))
            {
                return name;
            }
        }

        if (values.TryGetValue("CPU implementer", out string? implementer) && values.TryGetValue("CPU part", out string? part))
        {
            return $"CPU implementer {implementer}, part {part}";
        }

        return null;
    }

    private static string ReadCpuModel()
    {
        try
        {
            string? model = null;
            if (System.OperatingSystem.IsLinux() || System.OperatingSystem.IsAndroid())
            {
                const string path = "/proc/cpuinfo";
                if (File.Exists(path))
                {
                    model = ParseProcCpuInfo(File.ReadAllText(path));
                }
            }
            else if (System.OperatingSystem.IsMacOS() || System.OperatingSystem.IsMacCatalyst())
            {
                model = RunSysctl("machdep.cpu.brand_string");
            }
            else if (System.OperatingSystem.IsWindows())
            {
                model = Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER");
            }

            return string.IsNullOrWhiteSpace(model) ? Unknown : model.Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException
                                      or System.ComponentModel.Win32Exception or PlatformNotSupportedException)
        {
            return Unknown;
        }
    }

    private static string? RunSysctl(string name)
    {
        var start = new ProcessStartInfo("sysctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(name);
        using var process = Process.Start(start);
        if (process is null)
        {
            return null;
        }

        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(2000))
        {
            process.Kill();
            return null;
        }

        return process.ExitCode == 0 ? output.GetAwaiter().GetResult() : null;
    }

    private static string ReadLightNetVersion()
    {
        Assembly assembly = typeof(EnvironmentInfo).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrWhiteSpace(version))
        {
            version = assembly.GetName().Version?.ToString();
        }

        if (string.IsNullOrWhiteSpace(version))
        {
            return Unknown;
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}

using System.Diagnostics;
using LightNet.Backends;
using LightNet.Backends.Cudnn;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Backends.Cudnn;

/// <summary>Availability, options and library probing of the cudnn backend (this machine, like CI, has no CUDA).</summary>
[Collection(CudnnCollection.Name)]
public class CudnnBackendTests
{
    [Fact]
    public void NamesOptionsAndKind()
    {
        Backend fp32 = Backend.Parse("cudnn");
        Backend fp16 = Backend.Parse("cudnn:fp16,device=1,algo=exhaustive");
        Assert.Equal(BackendKind.Native, fp32.Kind);
        Assert.Equal(Precision.Fp32, fp32.Precision);
        Assert.Equal("CUDA:0", fp32.Device);
        Assert.Equal(Precision.Fp16, fp16.Precision);
        Assert.Equal("CUDA:1", fp16.Device);
        Assert.Equal("exhaustive", fp16.EffectiveOptions["algo"]);
        Assert.Equal("heuristic", fp32.EffectiveOptions["algo"]);
        Assert.Contains(Backend.All, b => b.Name == "cudnn");
        Assert.Contains(Backend.All, b => b.Name == "cudnn:fp16");

        var e = Assert.Throws<LightNetException>(() => Backend.Parse("cudnn:threads=2"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("libpath", e.Message);
        e = Assert.Throws<LightNetException>(() => Backend.Parse("cudnn:algo=fastest"));
        Assert.Contains("heuristic, exhaustive", e.Message);
    }

    [Fact]
    public void ParsingAndListingLoadNoLibrary()
    {
        using var dir = new TempDirectory();
        Backend backend = Backend.Parse($"cudnn:libpath={dir.Path}");
        _ = Backend.All.Select(b => (b.Name, b.Kind, b.Precision, b.Device, b.EffectiveOptions.Count)).ToArray();
        _ = backend.ToString();
        Assert.Equal(0, CudaLibraries.ProbeCount(dir.Path));

        backend.CheckAvailability();
        Assert.Equal(1, CudaLibraries.ProbeCount(dir.Path));
        backend.CheckAvailability();
        Assert.Equal(1, CudaLibraries.ProbeCount(dir.Path)); // cached per name
    }

    [Fact]
    public void AListingFindsPlantedLibrariesWithoutLoadingThem()
    {
        using var dir = new TempDirectory();
        string planted = dir.File(OperatingSystem.IsWindows() ? "cudart64_13.dll" : "libcudart.so.13");
        File.WriteAllText(planted, "not a library");
        string option = $"{dir.Path};lib";
        Backend backend = Backend.Parse($"cudnn:libpath={option}");

        BackendAvailability listed = backend.DescribeAvailability();
        Assert.False(listed.IsProbed);
        Assert.False(listed.IsAvailable);
        Assert.StartsWith("cudnn:libpath=", listed.Reason);
        Assert.Contains("was not probed: a listing loads no native library", listed.Reason);
        Assert.Contains($"Found without loading: CUDA runtime {planted}", listed.Reason);
        Assert.Contains("Ignored because not absolute: lib", listed.Reason);
        Assert.Equal(0, CudaLibraries.ProbeCount(option));

        BackendAvailability probed = backend.CheckAvailability();
        Assert.Equal(1, CudaLibraries.ProbeCount(option));
        Assert.True(probed.IsProbed);
        Assert.Same(probed, backend.DescribeAvailability()); // once probed, a listing shows the probe's answer
    }

    [Fact]
    public void TheBackendsCommandDoesNotOpenLibrariesFromLightNetCudaPath()
    {
        // Issue 19: `lightnet backends` (a listing) must not dlopen what LIGHTNET_CUDA_PATH names. The child's dynamic
        // loader reports every file it maps (LD_DEBUG=files); a real shared library planted as libcudart.so.13 appears
        // there with --probe (the control) and not without it.
        string cli = Path.Combine(AppContext.BaseDirectory, "LightNet.Cli");
        string? native = Path.GetDirectoryName(typeof(object).Assembly.Location) is { } runtime ? Path.Combine(runtime, "libSystem.Native.so") : null;
        if (!OperatingSystem.IsLinux() || !File.Exists(cli) || native is null || !File.Exists(native))
        {
            return; // glibc's LD_DEBUG and the CLI's apphost are what this test watches
        }

        using var dir = new TempDirectory();
        string libs = Directory.CreateDirectory(dir.File("cuda")).FullName;
        string planted = Path.Combine(libs, "libcudart.so.13");
        File.Copy(native, planted);

        string Loaded(params string[] args)
        {
            string log = dir.File("ld-" + string.Join("", args));
            var start = new ProcessStartInfo(cli, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment[CudaLibraries.PathVariable] = libs;
            start.Environment["LD_DEBUG"] = "files";
            start.Environment["LD_DEBUG_OUTPUT"] = log;
            using Process child = Process.Start(start)!;
            string stdout = child.StandardOutput.ReadToEnd();
            child.StandardError.ReadToEnd();
            Assert.True(child.WaitForExit(60_000));
            Assert.Equal(0, child.ExitCode);
            string debug = string.Concat(Directory.GetFiles(dir.Path, Path.GetFileName(log) + ".*").Select(File.ReadAllText));
            Assert.Contains("libSystem.Native.so", debug); // the loader did report what it mapped
            return stdout + "\n--- loader ---\n" + debug;
        }

        string listing = Loaded("backends", "--json");
        Assert.DoesNotContain($"file={planted}", listing);
        Assert.Contains("\"probed\": false", listing);
        Assert.Contains($"Found without loading: CUDA runtime {planted}", listing.Replace("\\/", "/"));

        string probing = Loaded("backends", "--json", "--probe");
        Assert.Contains($"file={planted}", probing);
    }

    [Fact]
    public void AvailabilityHasAClearReason()
    {
        foreach (string name in new[] { "cudnn", "cudnn:fp16" })
        {
            BackendAvailability availability = Backend.Parse(name).CheckAvailability();
            if (availability.IsAvailable)
            {
                Assert.Contains("cuDNN 9.", availability.Reason);
                continue;
            }

            // No CUDA here: the reason names the backend, what is missing and what to install.
            Assert.StartsWith($"{name} is unavailable:", availability.Reason);
            Assert.Contains("cuDNN 9", availability.Reason);
            Assert.Contains(CudaLibraries.PathVariable, availability.Reason);
            Assert.Contains("Install an NVIDIA driver", availability.Reason);

            var e = Assert.Throws<LightNetException>(() => Backend.Parse(name).CreateSession(TestModels.Tiny()));
            Assert.Equal(ErrorCode.BackendUnavailable, e.Code);
            Assert.Contains(availability.Reason, e.Message);
        }
    }

    [Fact]
    public void ProbingHonoursTheLibPathOverride()
    {
        using var dir = new TempDirectory();
        LibraryProbe probe = CudaLibraries.Probe(dir.Path);
        Assert.Equal([dir.Path], probe.Folders.Take(1));
        BackendAvailability availability = Backend.Parse($"cudnn:libpath={dir.Path}").CheckAvailability();
        if (!probe.Loaded)
        {
            Assert.False(availability.IsAvailable);
            Assert.Contains(dir.Path, availability.Reason);
            Assert.Contains(OperatingSystem.IsWindows() ? "cudnn64_9.dll" : "libcudnn.so.9", availability.Reason);
        }
    }

    [Fact]
    public void TheEnvironmentVariableListsFoldersAndExpandsAStar()
    {
        using var dir = new TempDirectory();
        string a = Directory.CreateDirectory(Path.Combine(dir.Path, "site-packages", "nvidia", "cudnn", "lib")).FullName;
        string b = Directory.CreateDirectory(Path.Combine(dir.Path, "site-packages", "nvidia", "cublas", "lib")).FullName;
        string other = Directory.CreateDirectory(Path.Combine(dir.Path, "cuda")).FullName;
        string? saved = Environment.GetEnvironmentVariable(CudaLibraries.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(CudaLibraries.PathVariable,
                string.Join(Path.PathSeparator, Path.Combine(dir.Path, "site-packages", "nvidia", "*", "lib"), other));
            IReadOnlyList<string> folders = CudaLibraries.OverrideFolders("/opt/first");
            Assert.Equal(["/opt/first", b, a, other], folders);

            LibraryProbe probe = CudaLibraries.Probe(null);
            Assert.Equal(folders.Skip(1), probe.Folders);
            if (!probe.Loaded)
            {
                Assert.Contains(probe.Missing, m => m.StartsWith("cuDNN 9", StringComparison.Ordinal));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraries.PathVariable, saved);
        }
    }
}

/// <summary>The cudnn tests share the process-wide library state and the environment variable: run them one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class CudnnCollection
{
    public const string Name = "cudnn";

    [Fact]
    public void RelativeLibraryFoldersAreNeverSearched()
    {
        // Issue 19: './lib' would resolve from the working directory, where a planted libcudart.so.13 would run its constructor.
        string? saved = Environment.GetEnvironmentVariable(CudaLibraries.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(CudaLibraries.PathVariable, string.Join(Path.PathSeparator, "lib", "./cuda/lib64"));
            Assert.Equal(["/opt/abs"], CudaLibraries.OverrideFolders("relative/one;/opt/abs"));
            Assert.Equal(["relative/one", "lib", "./cuda/lib64"], CudaLibraries.IgnoredRelativeFolders("relative/one;/opt/abs"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraries.PathVariable, saved);
        }
    }
}

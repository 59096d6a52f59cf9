using System.Diagnostics;
using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

/// <summary>
/// Re-runs the SIMD kernel tests in a child <c>dotnet test</c> process with a hardware feature switched off, so the
/// lower ISA paths (and the dispatch to them) are exercised on this machine. Not itself in the "SimdKernels"
/// category, so the child does not recurse.
/// </summary>
[Trait("Category", "ChildProcess")]
public sealed class IsaChildProcessTests
{
    [Theory]
    [InlineData("DOTNET_EnableAVX512", "avx2")]
    [InlineData("DOTNET_EnableAVX2", "vector128")]
    public async Task KernelTestsPassWithAFeatureSwitchedOff(string variable, string expectedIsa)
    {
        // With AVX-512 off the best level is AVX2 only where AVX2+FMA exist; otherwise the switch changes nothing below.
        if (expectedIsa == "avx2" && !IsaSupport.IsSupported(Isa.Avx2))
        {
            expectedIsa = IsaSupport.Name(IsaSupport.Best);
        }

        if (expectedIsa == "vector128" && !IsaSupport.IsSupported(Isa.Vector128))
        {
            expectedIsa = "scalar";
        }

        string assembly = typeof(IsaChildProcessTests).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "test", assembly, "--filter", "Category=SimdKernels", "--nologo" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[variable] = "0";
        start.Environment[IsaTests.ExpectedIsaVariable] = expectedIsa;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        bool exited = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            exited = false;
            process.Kill(entireProcessTree: true);
        }

        string output = await stdout + await stderr;
        Assert.True(exited, "the child test run did not finish within 3 minutes:\n" + output);
        Assert.True(process.ExitCode == 0, $"child run with {variable}=0 failed (exit {process.ExitCode}):\n{output}");
        Assert.Contains("Passed!", output);
    }
}

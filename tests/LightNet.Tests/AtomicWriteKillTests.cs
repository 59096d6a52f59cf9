using System.Diagnostics;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests;

/// <summary>
/// Issue 19: a write is atomic under <c>kill -9</c> at a random moment. A child process (the CLI, converting a model to
/// FP16 and writing it over an existing file) is killed at seeded random times; the target must then hold either the old
/// model, byte for byte, or a complete new one, never a part.
/// </summary>
public class AtomicWriteKillTests(ITestOutputHelper output)
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "LightNet.Cli.exe" : "LightNet.Cli");

    /// <summary>mobilenet_v2 saved in <paramref name="dir"/> (what the child converts) and the path it writes to.</summary>
    private static (string Source, string Target) Files(TempDirectory dir)
    {
        string source = dir.File("mobilenet_v2.onnx");
        ModelZoo.MobileNetV2().Save(source);
        return (source, dir.File("target.onnx"));
    }

    /// <summary>Starts the CLI writing an FP16 copy of <paramref name="source"/> over <paramref name="target"/>.</summary>
    private static Process ConvertToFp16(string source, string target) =>
        Process.Start(new ProcessStartInfo(Cli, ["fp16", source, "-o", target])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;

    [Fact]
    public void KillAtARandomMomentLeavesTheOldOrTheNewFile()
    {
        if (!File.Exists(Cli))
        {
            return; // the CLI's apphost is not built on this platform
        }

        using var dir = new TempDirectory();
        (string source, string target) = Files(dir);
        byte[] old = TestModels.Tiny().ToArray();
        var random = new Random(19);
        int keptOld = 0, wroteNew = 0;
        for (int round = 0; round < 4; round++)
        {
            File.WriteAllBytes(target, old);
            using Process child = ConvertToFp16(source, target);
            int delay = random.Next(300, 3000);
            if (!child.WaitForExit(delay))
            {
                child.Kill(); // SIGKILL on Unix: no handler runs
                child.WaitForExit();
            }

            byte[] now = File.ReadAllBytes(target);
            if (now.AsSpan().SequenceEqual(old))
            {
                keptOld++;
            }
            else
            {
                Model written = Model.Load(target); // complete and valid, or this throws
                Assert.Contains(written.Graph.Initializers.Values, t => t.ElementType == LightNet.Onnx.TensorElementType.Float16);
                wroteNew++;
            }

            output.WriteLine($"round {round}: killed after {delay} ms (exit {child.ExitCode}); target {(now.Length == old.Length ? "old" : "new")}");
        }

        Assert.Equal(4, keptOld + wroteNew);
    }

    [Fact]
    public void ATempFileLeftByAKilledWriterIsDeletedByTheNextWrite()
    {
        if (!File.Exists(Cli))
        {
            return; // the CLI's apphost is not built on this platform
        }

        using var dir = new TempDirectory();
        (string source, string target) = Files(dir);
        string[] leftovers = [];
        for (int attempt = 0; attempt < 5 && leftovers.Length == 0; attempt++)
        {
            // Kill the writer (SIGKILL) as soon as its temp file appears: it dies mid-write and leaves it behind.
            using Process child = ConvertToFp16(source, target);
            var watch = Stopwatch.StartNew();
            while (!child.HasExited && watch.Elapsed < TimeSpan.FromSeconds(30) && Directory.GetFiles(dir.Path, ".target.onnx.*.tmp").Length == 0)
            {
                Thread.SpinWait(1000);
            }

            if (!child.HasExited)
            {
                child.Kill();
            }

            child.WaitForExit();
            leftovers = Directory.GetFiles(dir.Path, ".target.onnx.*.tmp");
            output.WriteLine($"attempt {attempt}: exit {child.ExitCode} after {watch.ElapsedMilliseconds} ms, {leftovers.Length} temp file(s) left");
        }

        Assert.NotEmpty(leftovers); // the child was caught mid-write at least once in five tries
        Assert.All(leftovers, f => Assert.NotNull(AtomicFile.WriterOf(Path.GetFileName(f))));

        // The next write to the folder (another file, well inside the 10 minutes of the older rule) removes it at once.
        TestModels.Tiny().Save(dir.File("other.onnx"));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
    }
}

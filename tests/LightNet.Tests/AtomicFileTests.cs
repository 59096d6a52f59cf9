using System.Diagnostics;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests;

/// <summary>Atomic writes, and the temp files a killed writer leaves behind.</summary>
public class AtomicFileTests
{
    [Fact]
    public void TheNextWriteDeletesStaleTempFilesOfItsTargetOnly()
    {
        using var dir = new TempDirectory();
        string target = dir.File("report.json");
        DateTime old = DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1);

        string stale = dir.File($".report.json.{Guid.NewGuid():N}.tmp"); // what kill -9 mid-write leaves
        string fresh = dir.File($".report.json.{Guid.NewGuid():N}.tmp"); // a writer still at work
        string otherTarget = dir.File($".other.json.{Guid.NewGuid():N}.tmp");
        string notOurs = dir.File(".report.json.backup.tmp");
        string upperHex = dir.File($".report.json.{Guid.NewGuid().ToString("N").ToUpperInvariant()}.tmp");
        foreach (string path in new[] { stale, fresh, otherTarget, notOurs, upperHex })
        {
            File.WriteAllText(path, "partial");
            if (path != fresh)
            {
                File.SetLastWriteTimeUtc(path, old);
            }
        }

        AtomicFile.Write(target, s => s.Write("{}"u8));

        Assert.Equal("{}", File.ReadAllText(target));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(upperHex));
        Assert.Equal(5, Directory.GetFiles(dir.Path).Length); // target, fresh, other, not ours, upper-case hex: no new leftover
    }

    [Fact]
    public void TempFilesOfDeadWritersGoAtOnceAndLiveWritersKeepTheirs()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // the child below is a Unix 'sleep'
        }

        using var dir = new TempDirectory();
        using var live = Process.Start(new ProcessStartInfo("sleep", ["30"]) { UseShellExecute = false })!;
        try
        {
            string liveOwner = AtomicFile.OwnerTag(live.Id, AtomicFile.StartSeconds(live));
            string ofLive = dir.File($".model.onnx.{liveOwner}.{Guid.NewGuid():N}.tmp");
            string ofThisProcess = dir.File($".model.onnx.{AtomicFile.Owner}.{Guid.NewGuid():N}.tmp"); // a concurrent write here
            string ofReusedId = dir.File($".model.onnx.{AtomicFile.OwnerTag(live.Id, AtomicFile.StartSeconds(live) - 3600)}.{Guid.NewGuid():N}.tmp");
            string ofGone = dir.File($".report.json.{AtomicFile.OwnerTag(int.MaxValue - 7, 1)}.{Guid.NewGuid():N}.tmp"); // other target, same folder
            string notOurs = dir.File($".model.onnx.{liveOwner}.backup.tmp");
            foreach (string path in new[] { ofLive, ofThisProcess, ofReusedId, ofGone, notOurs })
            {
                File.WriteAllText(path, "partial"); // all fresh: age does not matter for these names
            }

            Assert.Equal(AtomicFile.Owner.Split('-')[0], Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(liveOwner, AtomicFile.WriterOf(Path.GetFileName(ofLive)));
            Assert.Null(AtomicFile.WriterOf(Path.GetFileName(notOurs)));

            string lockedByWriter = dir.File($".model.onnx.{AtomicFile.OwnerTag(int.MaxValue - 7, 1)}.{Guid.NewGuid():N}.tmp");
            using (var held = new FileStream(lockedByWriter, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // A writer whose process id we cannot see (another PID namespace) still holds its temp file locked.
                AtomicFile.Write(dir.File("model.onnx"), s => s.Write("new"u8));
                Assert.True(File.Exists(lockedByWriter));
            }

            Assert.True(File.Exists(ofLive));
            Assert.True(File.Exists(ofThisProcess));
            Assert.True(File.Exists(notOurs));
            Assert.False(File.Exists(ofReusedId));
            Assert.False(File.Exists(ofGone));

            live.Kill(); // SIGKILL: its temp file is now a leftover, removed by the next write to the folder
            live.WaitForExit();
            AtomicFile.Write(dir.File("other.json"), s => s.Write("{}"u8));
            Assert.False(File.Exists(ofLive));
            Assert.False(File.Exists(lockedByWriter));
            Assert.True(File.Exists(ofThisProcess));
        }
        finally
        {
            if (!live.HasExited)
            {
                live.Kill();
            }
        }
    }

    [Fact]
    public void AFailedWriteLeavesNoTempFileAndTheOldContent()
    {
        using var dir = new TempDirectory();
        string target = dir.File("model.onnx");
        File.WriteAllText(target, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, _ => throw new InvalidOperationException("boom")));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}

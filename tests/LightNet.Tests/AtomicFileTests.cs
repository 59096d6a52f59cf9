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

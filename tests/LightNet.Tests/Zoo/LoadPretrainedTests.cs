using System.Security.Cryptography;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Zoo;

public class LoadPretrainedTests
{
    [Fact]
    public async Task DownloadsVerifiesAndLoadsAModelFromALocalServer()
    {
        byte[] bytes = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }).ToArray();
        await using var server = new LocalHttpServer(bytes) { DropFirstResponseAfterBytes = bytes.Length / 3 };
        using var cache = new TempDirectory();
        var file = new PretrainedFile("squeezenet.onnx", server.UrlFor("squeezenet.onnx"), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var downloader = new ModelDownloader { RetryDelay = TimeSpan.FromMilliseconds(10) };

        Model model = await ModelZoo.LoadPretrainedAsync(file, cache.Path, downloader: downloader);

        Assert.Equal(bytes, model.ToArray());
        Assert.Equal(Path.Combine(cache.Path, "squeezenet.onnx"), model.SourcePath);
        Assert.Equal($"bytes={bytes.Length / 3}-", server.RangeHeaders.Last());
        await ModelZoo.LoadPretrainedAsync(file, cache.Path, downloader: downloader);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task CorruptedDownloadIsNotLoadedNorCached()
    {
        byte[] bytes = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 }).ToArray();
        byte[] corrupted = (byte[])bytes.Clone();
        corrupted[corrupted.Length / 2] ^= 0xFF;
        await using var server = new LocalHttpServer(corrupted);
        using var cache = new TempDirectory();
        var file = new PretrainedFile("squeezenet.onnx", server.UrlFor("squeezenet.onnx"), Convert.ToHexStringLower(SHA256.HashData(bytes)));

        var e = await Assert.ThrowsAsync<LightNetException>(() => ModelZoo.LoadPretrainedAsync(file, cache.Path));
        Assert.Equal(ErrorCode.ChecksumMismatch, e.Code);
        Assert.Empty(Directory.GetFiles(cache.Path));
    }

    [Fact]
    public void EntriesWithPretrainedFilesPinTheirHashes()
    {
        ZooEntry[] withFiles = ModelZoo.Entries.Where(e => e.Pretrained is not null).ToArray();
        Assert.True(withFiles.Length >= 8);
        Assert.All(withFiles, e =>
        {
            Assert.Equal(64, e.Pretrained!.Sha256!.Length);
            Assert.StartsWith("https://github.com/onnx/models/", e.Pretrained.Url.ToString());
        });
        var error = Assert.Throws<LightNetException>(() => ModelZoo.LoadPretrained("inception_v3", Path.GetTempPath()));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Equal(ErrorCode.UnknownModel, Assert.Throws<LightNetException>(() => ModelZoo.Get("mobilenet_v9")).Code);
    }
}

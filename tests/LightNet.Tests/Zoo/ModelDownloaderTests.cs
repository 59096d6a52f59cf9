using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LightNet.Tests.Zoo;

public sealed class ModelDownloaderTests : IDisposable
{
    private const string FileName = "model.onnx";
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    private readonly string _cache = Path.Combine(Path.GetTempPath(), "lightnet-downloader-tests", Guid.NewGuid().ToString("N"));
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 12345);
    private readonly ListLogger _logger = new();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_cache, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private string FinalPath => Path.Combine(_cache, FileName);

    private string PartialPath => FinalPath + ".partial";

    private string HashPath => FinalPath + ".sha256";

    private static string Sha256Of(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private ModelDownloader NewDownloader(int maxAttempts = 5) => new(loggerFactory: _logger)
    {
        MaxAttempts = maxAttempts,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        StallTimeout = TimeSpan.FromSeconds(5),
    };

    private PretrainedFile FileOn(LocalHttpServer server, string? sha256 = null, long? size = null) =>
        new(FileName, server.UrlFor("models/" + FileName), sha256, size);

    private static CancellationToken Timeout() => new CancellationTokenSource(TestTimeout).Token;

    [Fact]
    public async Task GoodFile_IsDownloadedVerified_AndServedFromCacheWithoutRequest()
    {
        await using var server = new LocalHttpServer(_payload);
        var progress = new ListProgress();
        PretrainedFile file = FileOn(server, Sha256Of(_payload).ToUpperInvariant(), _payload.Length);

        string path = await NewDownloader().DownloadAsync(file, _cache, progress, Timeout());

        Assert.Equal(Path.GetFullPath(FinalPath), path);
        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(PartialPath));
        Assert.False(File.Exists(HashPath)); // pinned hashes are not recorded
        Assert.Equal(1, server.RequestCount);
        Assert.Null(server.RangeHeaders[0]);

        DownloadProgress last = progress.Reports.Last();
        Assert.Equal(FileName, last.FileName);
        Assert.Equal(_payload.Length, last.BytesReceived);
        Assert.Equal(_payload.Length, last.TotalBytes);
        Assert.True(progress.Reports.Zip(progress.Reports.Skip(1)).All(p => p.First.BytesReceived <= p.Second.BytesReceived));

        string again = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(path, again);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task CorruptedFile_ThrowsChecksumMismatch_AndCachesNothing()
    {
        byte[] corrupted = (byte[])_payload.Clone();
        corrupted[corrupted.Length / 2] ^= 0x5A;
        await using var server = new LocalHttpServer(corrupted);
        PretrainedFile file = FileOn(server, Sha256Of(_payload));

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.ChecksumMismatch, e.Code);
        Assert.Contains(FileName, e.Message);
        Assert.Contains(file.Url.ToString(), e.Message);
        Assert.Contains(Sha256Of(_payload), e.Message);
        Assert.Contains(Sha256Of(corrupted), e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartialPath));
        Assert.False(File.Exists(HashPath));
    }

    [Fact]
    public async Task DroppedConnection_IsResumedWithRangeRequest()
    {
        const int DropAfter = 700_001;
        await using var server = new LocalHttpServer(_payload) { DropFirstResponseAfterBytes = DropAfter };
        PretrainedFile file = FileOn(server, Sha256Of(_payload));

        string path = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(PartialPath));
        Assert.Equal(2, server.RequestCount);
        Assert.Equal([null, $"bytes={DropAfter}-"], server.RangeHeaders);
    }

    [Fact]
    public async Task ServerIgnoringRange_AfterDrop_RestartsFromZero()
    {
        await using var server = new LocalHttpServer(_payload) { DropFirstResponseAfterBytes = 500_000, IgnoreRange = true };
        PretrainedFile file = FileOn(server, Sha256Of(_payload));

        string path = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(PartialPath));
        Assert.Equal([null, "bytes=500000-"], server.RangeHeaders);
    }

    [Fact]
    public async Task NotFound_ThrowsDownloadFailed_NamingUrlAndStatus_AndCachesNothing()
    {
        await using var server = new LocalHttpServer(_payload) { StatusCode = 404 };
        PretrainedFile file = FileOn(server, Sha256Of(_payload));

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains(file.Url.ToString(), e.Message);
        Assert.Contains("404", e.Message);
        Assert.Equal(1, server.RequestCount); // a 404 is not retried
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task ServerError_IsRetried_ThenDownloadFailedNamingStatus()
    {
        await using var server = new LocalHttpServer(_payload) { StatusCode = 500 };
        PretrainedFile file = FileOn(server, Sha256Of(_payload));

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader(maxAttempts: 3).DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains(file.Url.ToString(), e.Message);
        Assert.Contains("500", e.Message);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Equal(3, server.RequestCount);
        Assert.False(File.Exists(FinalPath));
    }

    [Fact]
    public async Task UnreachableServer_ThrowsDownloadFailed_WithInnerException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var file = new PretrainedFile(FileName, new Uri($"http://127.0.0.1:{port}/{FileName}"), Sha256Of(_payload));

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader(maxAttempts: 2).DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains(file.Url.ToString(), e.Message);
        Assert.NotNull(e.InnerException);
        Assert.False(File.Exists(FinalPath));
    }

    [Fact]
    public async Task NoPinnedHash_RecordsHash_AndTamperedCacheIsDownloadedAgain()
    {
        await using var server = new LocalHttpServer(_payload);
        PretrainedFile file = FileOn(server);

        string path = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.StartsWith(Sha256Of(_payload), await File.ReadAllTextAsync(HashPath));
        Assert.Contains(_logger.Messages, m => m.Level == LogLevel.Warning && m.Text.Contains("recorded", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));

        // Verified against the recorded hash: no request.
        await NewDownloader().DownloadAsync(file, _cache, null, Timeout());
        Assert.Equal(1, server.RequestCount);

        byte[] tampered = (byte[])_payload.Clone();
        tampered[42] ^= 0xFF;
        await File.WriteAllBytesAsync(path, tampered);

        string again = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(path, again);
        Assert.Equal(_payload, await File.ReadAllBytesAsync(again));
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task NoPinnedHash_ChangedUpstream_ThrowsChecksumMismatchAgainstRecordedHash()
    {
        await using var server = new LocalHttpServer(_payload);
        PretrainedFile file = FileOn(server);
        string path = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());
        File.Delete(path);
        byte[] changed = RandomNumberGenerator.GetBytes(_payload.Length);
        server.Content = changed;

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.ChecksumMismatch, e.Code);
        Assert.Contains(HashPath, e.Message);
        Assert.Contains(Sha256Of(changed), e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task CachedFileNoLongerMatchingPinnedHash_IsDownloadedAgain()
    {
        await using var server = new LocalHttpServer(_payload);
        PretrainedFile file = FileOn(server, Sha256Of(_payload));
        Directory.CreateDirectory(_cache);
        await File.WriteAllBytesAsync(FinalPath, RandomNumberGenerator.GetBytes(1000));

        string path = await NewDownloader().DownloadAsync(file, _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Cancellation_LeavesNoFinalFile_AndLaterCallResumesThePartial()
    {
        const int StallAfter = 300_000;
        await using (var stalling = new LocalHttpServer(_payload) { StallAfterBytes = StallAfter })
        {
            using var cts = new CancellationTokenSource(TestTimeout);
            PretrainedFile stalled = FileOn(stalling, Sha256Of(_payload));
            Task<string> download = NewDownloader().DownloadAsync(stalled, _cache, null, cts.Token);

            // Wait until every byte the server sends before going silent is on disk, then cancel.
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (!(File.Exists(PartialPath) && new FileInfo(PartialPath).Length == StallAfter) && !download.IsCompleted)
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(5), "The partial file never reached the stall point.");
                await Task.Delay(10);
            }

            await cts.CancelAsync();
            var cancelled = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
            Assert.True(cancelled.Elapsed < TimeSpan.FromSeconds(4), $"Cancellation took {cancelled.Elapsed}."); // under the 5 s stall timeout
        }

        Assert.False(File.Exists(FinalPath));
        long kept = new FileInfo(PartialPath).Length;
        Assert.Equal(StallAfter, kept);

        await using var server = new LocalHttpServer(_payload);
        string path = await NewDownloader().DownloadAsync(FileOn(server, Sha256Of(_payload)), _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.Equal([$"bytes={kept}-"], server.RangeHeaders);
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task CancelledBeforeStart_Throws_AndMakesNoRequest()
    {
        await using var server = new LocalHttpServer(_payload);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => NewDownloader().DownloadAsync(FileOn(server, Sha256Of(_payload)), _cache, null, new CancellationToken(canceled: true)));

        Assert.Equal(0, server.RequestCount);
        Assert.False(File.Exists(FinalPath));
    }

    [Fact]
    public async Task CompletePartialFromEarlierCall_IsFinishedAfter416()
    {
        await using var server = new LocalHttpServer(_payload);
        Directory.CreateDirectory(_cache);
        await File.WriteAllBytesAsync(PartialPath, _payload);

        string path = await NewDownloader().DownloadAsync(FileOn(server, Sha256Of(_payload)), _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.Equal([$"bytes={_payload.Length}-"], server.RangeHeaders);
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task StalePartialWithWrongBytes_IsDiscarded_AndDownloadedAgainFromZero()
    {
        await using var server = new LocalHttpServer(_payload);
        Directory.CreateDirectory(_cache);
        await File.WriteAllBytesAsync(PartialPath, RandomNumberGenerator.GetBytes(100_000));

        string path = await NewDownloader().DownloadAsync(FileOn(server, Sha256Of(_payload)), _cache, null, Timeout());

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.Equal(["bytes=100000-", null], server.RangeHeaders);
    }

    [Fact]
    public async Task ConcurrentCallsForSameFile_DownloadOnce_AndBothGetVerifiedFile()
    {
        await using var server = new LocalHttpServer(_payload);
        PretrainedFile file = FileOn(server, Sha256Of(_payload));
        ModelDownloader downloader = NewDownloader();

        string[] paths = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => Task.Run(() => downloader.DownloadAsync(file, _cache, null, Timeout()))));

        Assert.All(paths, p => Assert.Equal(Path.GetFullPath(FinalPath), p));
        Assert.Equal(_payload, await File.ReadAllBytesAsync(FinalPath));
        Assert.Equal(1, server.RequestCount);
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task WrongSize_ThrowsDownloadFailed_AndCachesNothing()
    {
        await using var server = new LocalHttpServer(_payload);
        PretrainedFile file = FileOn(server, size: _payload.Length + 1);

        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, _cache, null, Timeout()));

        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains(file.Url.ToString(), e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(HashPath));
    }

    [Theory]
    [InlineData("../model.onnx")]
    [InlineData("..")]
    [InlineData("models/model.onnx")]
    [InlineData("models\\model.onnx")]
    [InlineData("/etc/passwd")]
    [InlineData("C:model.onnx")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("model.onnx.partial")]
    [InlineData("model.onnx.sha256")]
    public void InvalidFileName_ThrowsInvalidArgument(string name)
    {
        var e = Assert.Throws<LightNetException>(() => new PretrainedFile(name, new Uri("https://example.com/m.onnx")));

        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void InvalidFileNameThroughWith_ThrowsInvalidArgument()
    {
        var file = new PretrainedFile("ok.onnx", new Uri("https://example.com/m.onnx"));

        var e = Assert.Throws<LightNetException>(() => file with { FileName = "../evil.onnx" });

        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("../evil.onnx", e.Message);
    }

    [Theory]
    [InlineData("ftp://example.com/m.onnx", null)]
    [InlineData("file:///tmp/m.onnx", null)]
    [InlineData("https://example.com/m.onnx", "abc")]
    [InlineData("https://example.com/m.onnx", "zz00000000000000000000000000000000000000000000000000000000000000")]
    public void InvalidUrlOrHash_ThrowsInvalidArgument(string url, string? sha256)
    {
        var e = Assert.Throws<LightNetException>(() => new PretrainedFile("m.onnx", new Uri(url), sha256));

        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void NullUrl_AndNegativeSize_ThrowInvalidArgument()
    {
        Assert.Throws<ArgumentNullException>(() => new PretrainedFile("m.onnx", null!));
        Assert.Equal(
            ErrorCode.InvalidArgument,
            Assert.Throws<LightNetException>(() => new PretrainedFile("m.onnx", new Uri("https://example.com/m"), SizeBytes: -1)).Code);
    }

    [Fact]
    public void Sha256_IsComparedCaseInsensitively()
    {
        string hash = Sha256Of(_payload);
        var upper = new PretrainedFile("m.onnx", new Uri("https://example.com/m"), hash.ToUpperInvariant());

        Assert.Equal(hash, upper.Sha256);
        Assert.Equal(new PretrainedFile("m.onnx", new Uri("https://example.com/m"), hash), upper);
    }

    [Fact]
    public async Task InvalidArguments_ToDownloadAsync_ThrowInvalidArgument()
    {
        var file = new PretrainedFile("m.onnx", new Uri("https://example.com/m.onnx"));

        await Assert.ThrowsAsync<ArgumentNullException>(() => NewDownloader().DownloadAsync(null!, _cache));
        var noCache = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, " "));

        Assert.Equal(ErrorCode.InvalidArgument, noCache.Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => new ModelDownloader { MaxAttempts = 0 }).Code);
    }

    /// <summary>Records every report synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class ListProgress(Action<DownloadProgress>? onReport = null) : IProgress<DownloadProgress>
    {
        private readonly ConcurrentQueue<DownloadProgress> _reports = new();

        public IReadOnlyList<DownloadProgress> Reports => _reports.ToArray();

        public void Report(DownloadProgress value)
        {
            _reports.Enqueue(value);
            onReport?.Invoke(value);
        }
    }

    [Fact]
    public async Task PlainHttpToAnotherMachine_IsRefusedBeforeAnyRequest()
    {
        var file = new PretrainedFile(FileName, new Uri("http://models.example.invalid/" + FileName));
        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(file, _cache, cancellationToken: Timeout()));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("AllowInsecureHttp", e.Message);
        Assert.False(File.Exists(PartialPath));
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/")]
    [InlineData("http://127.5.6.7:1/")]
    [InlineData("http://localhost:1/")]
    [InlineData("http://[::1]:1/")]
    public void PlainHttpToThisMachine_IsAccepted_EvenOnManyThreadsAtOnce(string origin)
    {
        // .NET's Uri.IsLoopback answers false now and then when several threads read it first on one Uri (CI saw
        // four concurrent downloads of one loopback file refused); each round reads a fresh Uri on four threads.
        // A cancelled token stops each call right after the scheme check: cancelled = accepted, LightNetException = refused.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        ModelDownloader downloader = NewDownloader();
        int refused = 0;
        for (int round = 0; round < 1500; round++)
        {
            var file = new PretrainedFile(FileName, new Uri(origin + round + "/" + FileName));
            using var start = new Barrier(4);
            Thread[] threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    downloader.DownloadAsync(file, _cache, cancellationToken: cancelled.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                }
                catch (LightNetException)
                {
                    Interlocked.Increment(ref refused);
                }
            })).ToArray();
            foreach (Thread t in threads) t.Start();
            foreach (Thread t in threads) t.Join();
        }

        Assert.Equal(0, refused);
        Assert.False(File.Exists(PartialPath));
    }

    [Fact]
    public async Task UnpinnedDownload_StopsAtTheDefaultOrGivenCap()
    {
        Assert.Equal(2L * 1024 * 1024 * 1024, new ModelDownloader().MaxBytes);
        await using var server = new LocalHttpServer(_payload);
        ModelDownloader capped = new(loggerFactory: _logger) { MaxAttempts = 1, MaxBytes = 1024 * 1024, StallTimeout = TimeSpan.FromSeconds(5) };
        var e = await Assert.ThrowsAsync<LightNetException>(() => capped.DownloadAsync(FileOn(server), _cache, cancellationToken: Timeout()));
        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains("MaxBytes", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.True(!File.Exists(PartialPath) || new FileInfo(PartialPath).Length <= 1024 * 1024 + 81920);
    }

    [Fact]
    public async Task CrossOriginRedirect_IsRefusedUnlessAllowed()
    {
        await using var target = new LocalHttpServer(_payload);
        await using var origin = new LocalHttpServer([]) { RedirectTo = target.UrlFor("models/" + FileName) };
        var e = await Assert.ThrowsAsync<LightNetException>(() => NewDownloader().DownloadAsync(FileOn(origin), _cache, cancellationToken: Timeout()));
        Assert.Equal(ErrorCode.DownloadFailed, e.Code);
        Assert.Contains("AllowCrossOriginRedirects", e.Message);
        Assert.False(File.Exists(FinalPath));

        ModelDownloader allowing = new(loggerFactory: _logger) { AllowCrossOriginRedirects = true, RetryDelay = TimeSpan.FromMilliseconds(10) };
        string path = await allowing.DownloadAsync(FileOn(origin, Sha256Of(_payload), _payload.Length), _cache, cancellationToken: Timeout());
        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Zoo;

/// <summary>
/// Downloads pretrained files into a cache folder and hands back only files whose SHA-256 checks out.
/// </summary>
/// <remarks>
/// <para>
/// Cache layout, for a file named <c>F</c> in cache folder <c>C</c>: the verified file is <c>C/F</c>; bytes
/// still arriving are in <c>C/F.partial</c> (never under the final name); when the file's hash is not pinned,
/// the hash of its first download is recorded in <c>C/F.sha256</c>. A finished download is verified and then
/// renamed atomically from <c>.partial</c> to its final name.
/// </para>
/// <para>
/// A cached file that still matches its pinned or recorded hash is returned without any network request; one
/// that does not is deleted and downloaded again. An interrupted download (dropped connection, stalled
/// server, cancellation, an earlier failed call) is resumed with an HTTP <c>Range</c> request; a server that
/// ignores the range is read again from the start.
/// </para>
/// <para>
/// Calls for the same file in one process are serialised; the second waits and then finds the file cached.
/// Another process that is downloading the same file at the same moment makes the call fail with
/// <see cref="ErrorCode.IOFailure"/> instead of corrupting the file.
/// </para>
/// </remarks>
public sealed class ModelDownloader
{
    /// <summary>Suffix of the file that holds the bytes of a download in progress.</summary>
    internal const string PartialSuffix = ".partial";

    /// <summary>Suffix of the file that records the hash of a file whose hash was not pinned.</summary>
    internal const string HashSuffix = ".sha256";

    private const int BufferSize = 81920;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly long ProgressIntervalTicks = Stopwatch.Frequency / 10;
    private static readonly HttpClient _sharedClient = CreateSharedClient();
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> _fileLocks = new(
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private readonly HttpClient _httpClient;
    private readonly ILogger _logger;

    /// <summary>Creates a downloader.</summary>
    /// <param name="httpClient">
    /// The client to send requests with, or null to use a shared client owned by LightNet. A client given here
    /// is not disposed; it should not decompress responses automatically, or resuming cannot work.
    /// </param>
    /// <param name="loggerFactory">Where to log retries, resumptions and hashes recorded rather than verified; null logs nothing.</param>
    public ModelDownloader(HttpClient? httpClient = null, ILoggerFactory? loggerFactory = null)
    {
        _httpClient = httpClient ?? _sharedClient;
        _logger = Logging.For(loggerFactory, typeof(ModelDownloader).FullName!);
    }

    /// <summary>
    /// How many attempts in a row may fail (network error, dropped connection, stall, HTTP 408, 429 or 5xx)
    /// without bringing more of the file than any attempt before them, before the download is given up with
    /// <see cref="ErrorCode.DownloadFailed"/>. Default 5; at least 1.
    /// </summary>
    public int MaxAttempts
    {
        get;
        init => field = value >= 1
            ? value
            : throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxAttempts)} must be at least 1, not {value}.");
    } = 5;

    /// <summary>
    /// The wait before the first retry; it doubles for each further failure in a row, up to 30 seconds.
    /// Default 1 second; zero retries at once.
    /// </summary>
    public TimeSpan RetryDelay
    {
        get;
        init => field = value >= TimeSpan.Zero
            ? value
            : throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(RetryDelay)} must not be negative, not {value}.");
    } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the server may stay silent (before answering, or between two reads of the body) before the
    /// attempt is abandoned and retried. Default 60 seconds; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    public TimeSpan StallTimeout
    {
        get;
        init => field = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(StallTimeout)} must be positive or infinite, not {value}.");
    } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most bytes one download may bring when the file's size is not pinned (<see cref="PretrainedFile.SizeBytes"/>);
    /// more, or an announced length over it, fails with <see cref="ErrorCode.DownloadFailed"/> and deletes what was
    /// received. Default 2 GiB (protobuf's ceiling for a model); at least 1.
    /// </summary>
    public long MaxBytes
    {
        get;
        init => field = value >= 1
            ? value
            : throw new LightNetException(ErrorCode.InvalidArgument, $"{nameof(MaxBytes)} must be at least 1, not {value}.");
    } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Whether plain <c>http://</c> URLs are fetched from other machines. Off by default: a model is code, and an
    /// unencrypted download can be altered on the way. Loopback addresses (localhost, 127.0.0.1, ::1) are always allowed.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>
    /// Whether a redirect may lead to another origin (scheme, host or port) than the URL asked for. Off by default;
    /// model hosts that serve files from a CDN need it on.
    /// </summary>
    public bool AllowCrossOriginRedirects { get; init; }

    /// <summary>
    /// Returns the verified file from the cache, downloading (or resuming) it first when it is missing or no
    /// longer matches its hash.
    /// </summary>
    /// <param name="file">What to download and the hash it must have.</param>
    /// <param name="cacheDirectory">The cache folder; created when missing.</param>
    /// <param name="progress">Receives progress reports (at most about ten a second) while bytes arrive; may be null.</param>
    /// <param name="cancellationToken">
    /// Cancels the download promptly; the bytes received so far are kept in the <c>.partial</c> file, so a later
    /// call resumes where this one stopped.
    /// </param>
    /// <returns>The full path of the verified file in the cache.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> for an unusable cache folder, or an <c>http://</c> URL of another
    /// machine without <see cref="AllowInsecureHttp"/>;
    /// <see cref="ErrorCode.DownloadFailed"/> for an HTTP error status, or network errors that persist after
    /// <see cref="MaxAttempts"/> attempts; <see cref="ErrorCode.ChecksumMismatch"/> when the downloaded bytes do
    /// not match the pinned or recorded SHA-256 (nothing is cached then); <see cref="ErrorCode.IOFailure"/> when
    /// the cache cannot be read or written.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<string> DownloadAsync(
        PretrainedFile file,
        string cacheDirectory,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);

        using System.Diagnostics.Activity? activity = Telemetry.LightNetTelemetry.Start("lightnet.download", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("url.full", file.Url.AbsoluteUri);
        CachePaths paths = ResolvePaths(file, cacheDirectory);
        CheckScheme(file, file.Url);
        cancellationToken.ThrowIfCancellationRequested();

        SemaphoreSlim gate = _fileLocks.GetOrAdd(paths.Final, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DownloadLockedAsync(file, paths, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> DownloadLockedAsync(
        PretrainedFile file,
        CachePaths paths,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        string? recordedHash = file.Sha256 is null ? ReadRecordedHash(file, paths) : null;
        string? expectedHash = file.Sha256 ?? recordedHash;

        if (File.Exists(paths.Final))
        {
            if (expectedHash is null)
            {
                _logger.LogWarning(
                    "Cached file {Path} has neither a pinned SHA-256 nor a recorded one in {HashPath}, so it cannot be verified; downloading it again from {Url}.",
                    paths.Final, paths.Hash, file.Url);
            }
            else
            {
                string? problem = await CheckCachedFileAsync(file, paths.Final, expectedHash, cancellationToken).ConfigureAwait(false);
                if (problem is null)
                {
                    long length = GetLength(paths.Final);
                    progress?.Report(new DownloadProgress(file.FileName, length, length));
                    return paths.Final;
                }

                _logger.LogWarning("Cached file {Path} {Problem}; deleting it and downloading it again from {Url}.", paths.Final, problem, file.Url);
            }

            DeleteFile(paths.Final);
        }

        bool freshRetryUsed = false;
        while (true)
        {
            bool usedEarlierBytes = await TransferAsync(file, paths, progress, cancellationToken).ConfigureAwait(false);
            (LightNetException? failure, string actualHash) = await VerifyPartialAsync(
                file, paths, expectedHash, recordedHash is not null, cancellationToken).ConfigureAwait(false);

            if (failure is null)
            {
                if (expectedHash is null)
                {
                    WriteRecordedHash(paths, file.FileName, actualHash);
                    _logger.LogWarning(
                        "{FileName} from {Url} has no pinned SHA-256: its hash {Sha256} was recorded in {HashPath}, not verified. Later calls verify against it; pin it in the PretrainedFile to verify the first download too.",
                        file.FileName, file.Url, actualHash, paths.Hash);
                }

                MoveFile(paths.Partial, paths.Final);
                return paths.Final;
            }

            DeleteFile(paths.Partial);
            if (usedEarlierBytes && !freshRetryUsed)
            {
                // The bytes kept from an earlier call may belong to an older version of the file: try once from zero.
                _logger.LogWarning(
                    "{FileName}: the download resumed from an earlier partial file failed verification ({Reason}); downloading it again from the start.",
                    file.FileName, failure.Message);
                freshRetryUsed = true;
                continue;
            }

            throw failure;
        }
    }

    /// <summary>
    /// Brings <c>.partial</c> up to the whole file, resuming and retrying as needed. Returns whether the file
    /// still holds bytes that were on disk before this call began.
    /// </summary>
    private async Task<bool> TransferAsync(
        PretrainedFile file,
        CachePaths paths,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        var state = new TransferState();
        bool firstAttempt = true;
        int failuresInARow = 0;
        long bestLength = 0;

        while (true)
        {
            long existing = GetLength(paths.Partial);
            if (file.SizeBytes is { } size && existing > size)
            {
                _logger.LogWarning(
                    "{Path} holds {Length} bytes, more than the expected {Size}; starting {FileName} again from the start.",
                    paths.Partial, existing, size, file.FileName);
                DeleteFile(paths.Partial);
                existing = 0;
            }

            if (firstAttempt)
            {
                state.UsesEarlierBytes = existing > 0;
                bestLength = existing;
                firstAttempt = false;
                if (existing > 0)
                {
                    _logger.LogInformation("Resuming {FileName} from {Url} at byte {Offset}.", file.FileName, file.Url, existing);
                }
            }

            try
            {
                if (await TransferOnceAsync(file, paths, existing, state, progress, cancellationToken).ConfigureAwait(false))
                {
                    return state.UsesEarlierBytes;
                }
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                long now = GetLength(paths.Partial);
                if (now > bestLength)
                {
                    // This attempt brought new bytes: only attempts in a row that bring nothing count towards the limit.
                    bestLength = now;
                    failuresInARow = 1;
                }
                else
                {
                    failuresInARow++;
                }

                if (failuresInARow >= MaxAttempts)
                {
                    throw new LightNetException(
                        ErrorCode.DownloadFailed,
                        $"Downloading '{file.FileName}' from {file.Url} failed after {failuresInARow} attempts in a row without progress: {e.Message}",
                        e);
                }

                TimeSpan delay = RetryDelayFor(failuresInARow);
                _logger.LogWarning(
                    e,
                    "Downloading {FileName} from {Url} was interrupted after {Bytes} bytes ({Reason}); retrying in {Delay} ms (failure {Failure} of {MaxAttempts}).",
                    file.FileName, file.Url, now, e.Message, (long)delay.TotalMilliseconds, failuresInARow, MaxAttempts);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One HTTP request. Returns true when <c>.partial</c> now holds the whole file as the server describes it,
    /// false when the attempt should simply be repeated (the partial file was discarded); throws for failures.
    /// </summary>
    private async Task<bool> TransferOnceAsync(
        PretrainedFile file,
        CachePaths paths,
        long existing,
        TransferState state,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(StallTimeout);

        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (existing > 0)
        {
            request.Headers.Range = new RangeHeaderValue(existing, null);
        }

        HttpResponseMessage response;
        try
        {
            response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The server did not answer within {StallTimeout.TotalSeconds:0.#} s.", e);
        }

        using (response)
        {
            Uri? final = response.RequestMessage?.RequestUri;
            if (final is not null && final != file.Url)
            {
                CheckScheme(file, final);
                if (!AllowCrossOriginRedirects && !SameOrigin(final, file.Url))
                {
                    throw new LightNetException(ErrorCode.DownloadFailed,
                        $"Downloading '{file.FileName}' from {file.Url} failed: the server redirected to another origin, {final.GetLeftPart(UriPartial.Authority)} " +
                        $"(set {nameof(ModelDownloader)}.{nameof(AllowCrossOriginRedirects)} to follow it).");
                }
            }

            long offset;
            long? total;
            ContentRangeHeaderValue? range = response.Content.Headers.ContentRange;
            long? contentLength = response.Content.Headers.ContentLength;

            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    if (existing > 0)
                    {
                        _logger.LogInformation(
                            "The server for {Url} ignored the range request; downloading {FileName} again from the start.",
                            file.Url, file.FileName);
                    }

                    offset = 0;
                    total = contentLength ?? file.SizeBytes;
                    state.UsesEarlierBytes = false;
                    break;

                case HttpStatusCode.PartialContent:
                    if (range is null || !range.HasRange || range.From != existing)
                    {
                        string got = range?.ToString() ?? "no Content-Range";
                        if (existing == 0)
                        {
                            throw new LightNetException(
                                ErrorCode.DownloadFailed,
                                $"Downloading '{file.FileName}' from {file.Url} failed: the server answered 206 Partial Content ({got}) to a request for the whole file.");
                        }

                        _logger.LogWarning(
                            "The server for {Url} answered the request for bytes {Offset}- with {ContentRange}; downloading {FileName} again from the start.",
                            file.Url, existing, got, file.FileName);
                        DeleteFile(paths.Partial);
                        state.UsesEarlierBytes = false;
                        return false;
                    }

                    offset = existing;
                    total = range.Length ?? (contentLength is { } rest ? existing + rest : file.SizeBytes);
                    break;

                case HttpStatusCode.RequestedRangeNotSatisfiable when existing > 0:
                    if (range?.Length is { } length && length != existing)
                    {
                        _logger.LogWarning(
                            "{Path} holds {Existing} bytes but the file at {Url} has {Length}; downloading {FileName} again from the start.",
                            paths.Partial, existing, file.Url, length, file.FileName);
                        DeleteFile(paths.Partial);
                        state.UsesEarlierBytes = false;
                        return false;
                    }

                    // The partial file already holds every byte: verification decides whether they are right.
                    progress?.Report(new DownloadProgress(file.FileName, existing, existing));
                    return true;

                default:
                    int status = (int)response.StatusCode;
                    string message =
                        $"Downloading '{file.FileName}' from {file.Url} failed: the server answered HTTP {status} ({response.ReasonPhrase}).";
                    if (IsTransientStatus(response.StatusCode))
                    {
                        throw new HttpRequestException(message, null, response.StatusCode);
                    }

                    throw new LightNetException(ErrorCode.DownloadFailed, message);
            }

            if (file.SizeBytes is null && total is { } announcedTotal && announcedTotal > MaxBytes)
            {
                throw new LightNetException(ErrorCode.DownloadFailed,
                    $"Downloading '{file.FileName}' from {file.Url} failed: the server announces {announcedTotal} bytes, over the limit of {MaxBytes} ({nameof(ModelDownloader)}.{nameof(MaxBytes)}).");
            }

            if (file.SizeBytes is { } expectedSize && total is { } announced && announced != expectedSize)
            {
                throw new LightNetException(
                    ErrorCode.DownloadFailed,
                    $"Downloading '{file.FileName}' from {file.Url} failed: the server announces {announced} bytes but {expectedSize} were expected.");
            }

            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The server sent no data for {StallTimeout.TotalSeconds:0.#} s.", e);
            }

            long received = offset;
            bool tooLong = false;
            await using (body.ConfigureAwait(false))
            {
                FileStream output = OpenPartial(paths.Partial, append: offset > 0);
                await using (output.ConfigureAwait(false))
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    try
                    {
                        long lastReport = Stopwatch.GetTimestamp();
                        progress?.Report(new DownloadProgress(file.FileName, received, total));
                        while (true)
                        {
                            stall.CancelAfter(StallTimeout);
                            int read;
                            try
                            {
                                read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), stall.Token).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                            {
                                throw new TimeoutException($"The server sent no data for {StallTimeout.TotalSeconds:0.#} s.", e);
                            }

                            if (read == 0)
                            {
                                break;
                            }

                            await WritePartialAsync(output, paths.Partial, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                            received += read;

                            if ((total is { } t && received > t) || (file.SizeBytes is { } s && received > s) || (file.SizeBytes is null && received > MaxBytes))
                            {
                                tooLong = true;
                                break;
                            }

                            long now = Stopwatch.GetTimestamp();
                            if (now - lastReport >= ProgressIntervalTicks)
                            {
                                lastReport = now;
                                progress?.Report(new DownloadProgress(file.FileName, received, total));
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }

            if (tooLong)
            {
                DeleteFile(paths.Partial);
                throw new LightNetException(
                    ErrorCode.DownloadFailed,
                    $"Downloading '{file.FileName}' from {file.Url} failed: the server sent more than the {total ?? file.SizeBytes ?? MaxBytes} bytes expected" +
                    $"{(total is null && file.SizeBytes is null ? $" ({nameof(ModelDownloader)}.{nameof(MaxBytes)})" : "")}.");
            }

            if (total is { } whole && received < whole)
            {
                throw new IOException($"The response ended after {received} of {whole} bytes.");
            }

            progress?.Report(new DownloadProgress(file.FileName, received, total ?? received));
            return true;
        }
    }

    /// <summary>Checks size and hash of the finished <c>.partial</c> file; returns the failure (not thrown) and the actual hash.</summary>
    private async Task<(LightNetException? Failure, string ActualHash)> VerifyPartialAsync(
        PretrainedFile file,
        CachePaths paths,
        string? expectedHash,
        bool expectedIsRecorded,
        CancellationToken cancellationToken)
    {
        long length = GetLength(paths.Partial);
        if (file.SizeBytes is { } size && length != size)
        {
            return (new LightNetException(
                ErrorCode.DownloadFailed,
                $"Downloading '{file.FileName}' from {file.Url} failed: received {length} bytes but {size} were expected."), string.Empty);
        }

        string actual = await HashFileAsync(paths.Partial, cancellationToken).ConfigureAwait(false);
        if (expectedHash is null || string.Equals(actual, expectedHash, StringComparison.OrdinalIgnoreCase))
        {
            return (null, actual);
        }

        string message = expectedIsRecorded
            ? $"'{file.FileName}' downloaded from {file.Url} does not match the SHA-256 recorded in '{paths.Hash}' by its first download: expected {expectedHash}, actual {actual}. The download was discarded. If the file was changed on purpose upstream, delete '{paths.Hash}' to accept the new content."
            : $"'{file.FileName}' downloaded from {file.Url} does not match its pinned SHA-256: expected {expectedHash}, actual {actual}. The download was discarded.";
        return (new LightNetException(ErrorCode.ChecksumMismatch, message), actual);
    }

    /// <summary>Returns null when the cached file matches; otherwise a short description of what is wrong.</summary>
    private static async Task<string?> CheckCachedFileAsync(PretrainedFile file, string path, string expectedHash, CancellationToken cancellationToken)
    {
        long length = GetLength(path);
        if (file.SizeBytes is { } size && length != size)
        {
            return $"has {length} bytes instead of {size}";
        }

        string actual = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
        return string.Equals(actual, expectedHash, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"has SHA-256 {actual} instead of {expectedHash}";
    }

    private string? ReadRecordedHash(PretrainedFile file, CachePaths paths)
    {
        string text;
        try
        {
            if (!File.Exists(paths.Hash))
            {
                return null;
            }

            text = File.ReadAllText(paths.Hash, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the recorded hash '{paths.Hash}' of '{file.FileName}': {e.Message}", e);
        }

        string token = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
        if (PretrainedFile.IsSha256Hex(token))
        {
            return token.ToLowerInvariant();
        }

        _logger.LogWarning(
            "The recorded hash file {HashPath} does not hold a SHA-256; ignoring it, and {FileName} will be downloaded and recorded again.",
            paths.Hash, file.FileName);
        DeleteFile(paths.Hash);
        return null;
    }

    private static void WriteRecordedHash(CachePaths paths, string fileName, string hash)
    {
        string temp = $"{paths.Hash}.{Guid.NewGuid():N}.tmp";
        try
        {
            // sha256sum's format, so the file can be checked by hand.
            File.WriteAllText(temp, $"{hash}  {fileName}\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, paths.Hash, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot record the hash of '{fileName}' in '{paths.Hash}': {e.Message}", e);
        }
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
                return Convert.ToHexStringLower(hash);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read '{path}' to verify its SHA-256: {e.Message}", e);
        }
    }

    private static FileStream OpenPartial(string path, bool append)
    {
        try
        {
            // FileShare.None: another process downloading the same file makes this open fail instead of interleaving bytes.
            return new FileStream(
                path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(
                ErrorCode.IOFailure,
                $"Cannot write the download in progress '{path}' (is another process downloading the same file?): {e.Message}",
                e);
        }
    }

    private static async Task WritePartialAsync(FileStream output, string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot write the download in progress '{path}': {e.Message}", e);
        }
    }

    /// <summary>Refuses a URL that is neither HTTPS nor loopback HTTP (unless <see cref="AllowInsecureHttp"/>).</summary>
    private void CheckScheme(PretrainedFile file, Uri url)
    {
        bool secure = url.Scheme == Uri.UriSchemeHttps;
        bool loopbackHttp = url.Scheme == Uri.UriSchemeHttp && IsLoopbackHost(url.Host);
        bool insecureAllowed = url.Scheme == Uri.UriSchemeHttp && AllowInsecureHttp;
        if (!secure && !loopbackHttp && !insecureAllowed)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Refusing to download '{file.FileName}' from {url}: only https:// is used for other machines" +
                $"{(url.Scheme == Uri.UriSchemeHttp ? $" (set {nameof(ModelDownloader)}.{nameof(AllowInsecureHttp)} to allow http://)" : "")}.");
        }
    }

    /// <summary>
    /// Whether <paramref name="host"/> names this machine: <c>localhost</c> or a loopback address. Not
    /// <see cref="Uri.IsLoopback"/>: on .NET 10 its first evaluation races when several threads read it on one shared
    /// <see cref="Uri"/> (about 1 in 500 concurrent first reads of <c>http://127.0.0.1/</c> answered false), which
    /// refused concurrent downloads of one file from a loopback server.
    /// </summary>
    private static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ||
        (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address));

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static CachePaths ResolvePaths(PretrainedFile file, string cacheDirectory)
    {
        if (string.IsNullOrWhiteSpace(cacheDirectory))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The cache folder for '{file.FileName}' must not be empty.");
        }

        string directory;
        try
        {
            directory = Path.GetFullPath(cacheDirectory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The cache folder '{cacheDirectory}' is not a valid path: {e.Message}", e);
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot create the cache folder '{directory}': {e.Message}", e);
        }

        string final = Path.Combine(directory, file.FileName);
        if (!string.Equals(Path.GetDirectoryName(final), Path.TrimEndingDirectorySeparator(directory), StringComparison.Ordinal))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The file name '{file.FileName}' would leave the cache folder '{directory}'.");
        }

        return new CachePaths(final, final + PartialSuffix, final + HashSuffix);
    }

    private static long GetLength(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the size of '{path}': {e.Message}", e);
        }
    }

    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot delete '{path}': {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original failure is the one worth reporting.
        }
    }

    private static void MoveFile(string source, string destination)
    {
        try
        {
            File.Move(source, destination, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot move the verified download '{source}' to '{destination}': {e.Message}", e);
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        LightNetException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // HttpClient.Timeout, not the caller
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private TimeSpan RetryDelayFor(int failuresInARow)
    {
        double factor = Math.Pow(2, Math.Min(failuresInARow - 1, 16));
        double milliseconds = Math.Min(RetryDelay.TotalMilliseconds * factor, MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(milliseconds);
    }

    private static HttpClient CreateSharedClient()
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        string version = typeof(ModelDownloader).Assembly.GetName().Version?.ToString(3) ?? "0";
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("LightNet", version));
        return client;
    }

    private sealed record CachePaths(string Final, string Partial, string Hash);

    private sealed class TransferState
    {
        public bool UsesEarlierBytes { get; set; }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LightNet.Tests.TestSupport;

/// <summary>
/// A tiny raw HTTP/1.1 server on 127.0.0.1 and a free port, for download tests without outside network.
/// Each connection carries one request and is closed after the response (<c>Connection: close</c>).
/// Its behaviour is set with properties before (or between) requests; it counts requests and records the
/// <c>Range</c> header of each.
/// </summary>
public sealed class LocalHttpServer : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, Task> _connections = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Task _acceptLoop;
    private int _requestCount;
    private int _disposed;

    public LocalHttpServer(byte[] content)
    {
        Content = content;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bytes served for every path.</summary>
    public byte[] Content { get; set; }

    /// <summary>When set, every request is answered with this status code and a short text body instead of the content.</summary>
    public int? StatusCode { get; set; }

    /// <summary>When true, Range headers are ignored and the whole content is sent with 200.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>When set, the first request's response announces the full length but the connection is closed after this many body bytes.</summary>
    public long? DropFirstResponseAfterBytes { get; set; }

    /// <summary>When set, every response sends this many body bytes and then goes silent until the server is disposed.</summary>
    public long? StallAfterBytes { get; set; }

    /// <summary>The server's root address, e.g. http://127.0.0.1:12345/.</summary>
    public Uri BaseUri { get; }

    /// <summary>When set, every request is answered with a 302 redirect to this address.</summary>
    public Uri? RedirectTo { get; set; }

    /// <summary>How many requests have been received (complete request heads).</summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Every request received, in order of arrival.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>The Range header of every request in order of arrival; null where a request had none.</summary>
    public IReadOnlyList<string?> RangeHeaders => _requests.Select(r => r.Range).ToArray();

    /// <summary>An absolute URL on this server.</summary>
    public Uri UrlFor(string path) => new(BaseUri, path.TrimStart('/'));

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        foreach (TcpClient client in _connections.Keys)
        {
            client.Dispose();
        }

        Task all = Task.WhenAll(_connections.Values.Append(_acceptLoop));
        try
        {
            await all.WaitAsync(ShutdownTimeout).ConfigureAwait(false);
            _stop.Dispose();
        }
        catch (TimeoutException)
        {
            // Bounded shutdown: a stuck handler is abandoned (its token left alive) rather than hanging the test run.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _connections[client] = Task.Run(() => HandleConnectionAsync(client));
        }
    }

    private async Task HandleConnectionAsync(TcpClient client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ConnectionTimeout);
        try
        {
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            RecordedRequest? request = await ReadRequestAsync(stream, timeout.Token).ConfigureAwait(false);
            if (request is null)
            {
                return;
            }

            int number = Interlocked.Increment(ref _requestCount);
            _requests.Enqueue(request);
            await RespondAsync(client, stream, request, number, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away, the connection timed out, or the server is stopping.
        }
        finally
        {
            client.Dispose();
            _connections.TryRemove(client, out _);
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>(1024);
        var buffer = new byte[1024];
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            head.AddRange(buffer.AsSpan(0, read));
            int end = IndexOfHeadEnd(head);
            if (end >= 0)
            {
                return Parse(Encoding.ASCII.GetString(head.ToArray(), 0, end));
            }

            if (head.Count > 64 * 1024)
            {
                throw new IOException("Request head too large.");
            }
        }
    }

    private static int IndexOfHeadEnd(List<byte> data)
    {
        for (int i = 3; i < data.Count; i++)
        {
            if (data[i - 3] == '\r' && data[i - 2] == '\n' && data[i - 1] == '\r' && data[i] == '\n')
            {
                return i - 3;
            }
        }

        return -1;
    }

    private static RecordedRequest Parse(string head)
    {
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return new RecordedRequest(
            requestLine[0],
            requestLine.Length > 1 ? requestLine[1] : "/",
            headers.TryGetValue("Range", out string? range) ? range : null,
            headers);
    }

    private async Task RespondAsync(TcpClient client, NetworkStream stream, RecordedRequest request, int number, CancellationToken cancellationToken)
    {
        if (RedirectTo is { } target)
        {
            await WriteHeadAsync(stream, 302, ("Location", target.AbsoluteUri), ("Content-Length", "0")).ConfigureAwait(false);
            return;
        }

        if (StatusCode is { } status)
        {
            byte[] text = Encoding.ASCII.GetBytes($"status {status}\n");
            await WriteHeadAsync(stream, status, ("Content-Type", "text/plain"), ("Content-Length", text.Length.ToString(CultureInfo.InvariantCulture)))
                .ConfigureAwait(false);
            await stream.WriteAsync(text, cancellationToken).ConfigureAwait(false);
            return;
        }

        byte[] content = Content;
        long start = 0;
        long end = content.Length - 1;
        int code = 200;
        var headers = new List<(string, string)> { ("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes") };

        if (!IgnoreRange && TryParseRange(request.Range, content.Length, out long from, out long to))
        {
            if (from >= content.Length)
            {
                headers.Add(("Content-Range", $"bytes */{content.Length}"));
                headers.Add(("Content-Length", "0"));
                await WriteHeadAsync(stream, 416, [.. headers]).ConfigureAwait(false);
                return;
            }

            code = 206;
            start = from;
            end = to;
            headers.Add(("Content-Range", $"bytes {start}-{end}/{content.Length}"));
        }

        long length = end - start + 1;
        headers.Add(("Content-Length", length.ToString(CultureInfo.InvariantCulture)));
        await WriteHeadAsync(stream, code, [.. headers]).ConfigureAwait(false);

        long limit = length;
        bool drop = false;
        if (number == 1 && DropFirstResponseAfterBytes is { } dropAfter && dropAfter < limit)
        {
            limit = dropAfter;
            drop = true;
        }

        bool stall = false;
        if (StallAfterBytes is { } stallAfter && stallAfter < limit)
        {
            limit = stallAfter;
            stall = true;
        }

        const int Chunk = 16 * 1024;
        for (long sent = 0; sent < limit; sent += Chunk)
        {
            int count = (int)Math.Min(Chunk, limit - sent);
            await stream.WriteAsync(content.AsMemory((int)(start + sent), count), cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (drop)
        {
            // A graceful close: the client gets every byte sent, then an early end of the body.
            client.Client.Shutdown(SocketShutdown.Both);
            return;
        }

        if (stall)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteHeadAsync(NetworkStream stream, int code, params (string Name, string Value)[] headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {Reason(code)}\r\n");
        foreach ((string name, string value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString())).ConfigureAwait(false);
    }

    private static string Reason(int code) => code switch
    {
        200 => "OK",
        206 => "Partial Content",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    private static bool TryParseRange(string? header, long length, out long from, out long to)
    {
        from = 0;
        to = length - 1;
        if (header is null || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return false;
        }

        string[] parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            return false;
        }

        if (parts[1].Length > 0)
        {
            if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long last) || last < from)
            {
                return false;
            }

            to = Math.Min(last, length - 1);
        }

        return true;
    }

    /// <summary>One request the server received.</summary>
    public sealed record RecordedRequest(string Method, string Path, string? Range, IReadOnlyDictionary<string, string> Headers);
}

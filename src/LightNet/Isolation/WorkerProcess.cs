using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using LightNet.Conformance;

namespace LightNet.Isolation;

/// <summary>
/// One LightNet worker process, the mechanism both isolated conformance runs and isolated sessions use: its protocol
/// lines (those starting with a prefix; anything else a library prints is ignored) through a queue, the tail of its
/// standard error kept for crash reports, and optionally its resident memory watched (killed past a limit). Input is
/// either a script written at once and then closed (conformance: settings and the case list) or lines sent one by one.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _prefix;
    private readonly BlockingCollection<(string? Line, long Arrival)> _lines = new();
    private readonly ConcurrentQueue<string> _stderrTail = new();
    private readonly Task? _writer;
    private readonly Timer? _memoryWatch;
    private readonly object _sendLock = new();

    /// <summary>Starts the worker.</summary>
    /// <param name="command">Executable and leading arguments.</param>
    /// <param name="prefix">The prefix of protocol lines on the worker's standard output.</param>
    /// <param name="script">Lines to write to the worker's input, which is then closed; null to send lines with <see cref="Send"/>.</param>
    /// <param name="memoryLimitBytes">Resident memory past which the worker is killed; null for no limit.</param>
    /// <param name="what">What the worker is, for messages ("conformance worker").</param>
    public WorkerProcess(WorkerCommand command, string prefix, IEnumerable<string>? script, long? memoryLimitBytes, string what)
    {
        _prefix = prefix;
        FileName = command.FileName;
        Arguments = command.Arguments;
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (string a in command.Arguments)
        {
            info.ArgumentList.Add(a);
        }

        // A worker's crash must not leave a core dump behind for every input that kills it.
        info.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || e.Data.StartsWith(_prefix, StringComparison.Ordinal))
            {
                Enqueue((e.Data, Stopwatch.GetTimestamp()));
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                _stderrTail.Enqueue(line);
                while (_stderrTail.Count > 20 && _stderrTail.TryDequeue(out string? _))
                {
                }
            }
        };
        try
        {
            _process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            throw new LightNetException(ErrorCode.InvalidOperation, $"Cannot start the {what} '{command.FileName}': {e.Message}", e);
        }

        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (memoryLimitBytes is long limit)
        {
            _memoryWatch = new Timer(_ => WatchMemory(limit), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
        }

        if (script is not null)
        {
            string[] list = [.. script];
            _writer = Task.Run(() =>
            {
                try
                {
                    foreach (string l in list)
                    {
                        _process.StandardInput.WriteLine(l);
                    }

                    _process.StandardInput.Close();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The worker died before reading its list: its exit is reported where it is noticed.
                }
            });
        }
    }

    // The output event can still fire while the worker is being disposed (its last line or the end of its output):
    // nobody reads the queue then, and an exception on that thread-pool thread would end the whole process.
    private void Enqueue((string? Line, long Arrival) item)
    {
        try
        {
            _lines.Add(item);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // Disposed or completed: the line has no reader.
        }
    }

    public string FileName { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>True once <see cref="Next"/> gave up waiting.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>True once the memory watch killed the worker.</summary>
    public bool OverMemoryLimit { get; private set; }

    /// <summary>The largest resident memory the memory watch saw, in bytes.</summary>
    public long PeakResidentBytes { get; private set; }

    /// <summary>When the line <see cref="Next"/> last returned arrived (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long LastArrival { get; private set; }

    /// <summary>Writes one line to the worker's input; false when the worker is gone.</summary>
    public bool Send(string line)
    {
        lock (_sendLock)
        {
            try
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
                return true;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>The next protocol line; null at the end of output or after <paramref name="timeout"/> (then <see cref="TimedOut"/> is set).</summary>
    public string? Next(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout < TimeSpan.Zero)
        {
            timeout = TimeSpan.Zero;
        }

        try
        {
            if (_lines.TryTake(out (string? Line, long Arrival) item, (int)Math.Min(timeout.TotalMilliseconds, int.MaxValue), cancellationToken))
            {
                LastArrival = item.Arrival;
                return item.Line;
            }
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        TimedOut = true;
        return null;
    }

    /// <summary>The worker's exit code (with the signal that killed it on Unix) and the last lines of its standard error.</summary>
    public string ExitDescription()
    {
        if (!_process.WaitForExit(5000))
        {
            return "it closed its output but did not exit";
        }

        // WaitForExit(timeout) returns at the exit, before the asynchronous readers have taken the last lines of the
        // redirected streams (CI once lost a worker's last stderr line so): wait for their end too, at most 2 s, since
        // a process the worker started may still hold the pipes open.
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                _process.WaitForExitAsync(drained.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // The streams are still open after 2 s: describe the exit with the lines read so far.
            }
        }

        int code = _process.ExitCode;
        string signal = code > 128 && !OperatingSystem.IsWindows() ? $" (signal {code - 128}{SignalName(code - 128)})" : "";
        string tail = string.Join(" / ", _stderrTail.Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)).TakeLast(3));
        return $"exit code {code}{signal}" + (tail.Length > 0 ? ": " + ConformanceCase.FirstLine(tail) : "");
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => ", SIGILL",
        6 => ", SIGABRT",
        7 => ", SIGBUS",
        8 => ", SIGFPE",
        9 => ", SIGKILL",
        11 => ", SIGSEGV",
        _ => "",
    };

    private void WatchMemory(long limit)
    {
        try
        {
            if (_process.HasExited)
            {
                return;
            }

            _process.Refresh();
            long resident = _process.WorkingSet64;
            PeakResidentBytes = Math.Max(PeakResidentBytes, resident);
            if (resident > limit && !OverMemoryLimit)
            {
                OverMemoryLimit = true;
                Kill();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // The process is gone: its end is reported where it is noticed.
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(5000);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        _memoryWatch?.Dispose();
        Kill();
        _writer?.Wait(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _lines.Dispose();
    }
}

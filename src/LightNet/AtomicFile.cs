using System.Diagnostics;
using System.Globalization;

namespace LightNet;

/// <summary>Writes files so that readers see either the old file or the complete new one, never a part.</summary>
/// <remarks>
/// The new content goes to a hidden <c>.NAME.PID-START.GUID.tmp</c> beside the target (the writer's process id and start
/// time), then is renamed over it. A process killed mid-write leaves that temp file behind; the next write to the same
/// folder deletes it at once when its writer is gone, and leaves a live writer's temp file alone
/// (<see cref="DeleteStaleTempFiles"/>).
/// </remarks>
internal static class AtomicFile
{
    /// <summary>
    /// A temp file without a writer's process id (the older <c>.NAME.GUID.tmp</c>) untouched for this long belongs to a
    /// writer that died: no live writer pauses that long.
    /// </summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private static readonly Lazy<string> s_owner = new(() => OwnerTag(Environment.ProcessId, OwnStartSeconds()));

    /// <summary>This process's part of a temp file name: <c>PID-START</c>, START its start time in Unix seconds.</summary>
    internal static string Owner => s_owner.Value;

    /// <summary>The <c>PID-START</c> part of a temp file name for a writer process.</summary>
    internal static string OwnerTag(int processId, long startSeconds) =>
        processId.ToString(CultureInfo.InvariantCulture) + "-" + startSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>This process's start time in Unix seconds, or 0 where the platform does not tell (then only the id is compared).</summary>
    private static long OwnStartSeconds()
    {
        try
        {
            using Process self = Process.GetCurrentProcess();
            return StartSeconds(self);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return 0;
        }
    }

    /// <summary>A process's start time in Unix seconds (what <see cref="Owner"/> records).</summary>
    internal static long StartSeconds(Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();

    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Owner}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            DeleteStaleTempFiles(full, StaleAfter);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot write '{path}': {e.Message}", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Deletes temp files that earlier, interrupted <see cref="Write"/>s left in <paramref name="target"/>'s folder:
    /// files named <c>.NAME.PID-START.</c> + 32 hex digits + <c>.tmp</c> (any NAME) whose writer process (that id, started
    /// at that second) no longer runs and that no process holds locked; and, for the older name without a process id,
    /// <c>.TARGETNAME.</c> + 32 hex digits + <c>.tmp</c> last written more than <paramref name="olderThan"/> ago. Regular
    /// files only. Best effort: failures are ignored.
    /// </summary>
    internal static int DeleteStaleTempFiles(string target, TimeSpan olderThan)
    {
        string full = Path.GetFullPath(target);
        string directory = Path.GetDirectoryName(full) ?? ".";
        string prefix = $".{Path.GetFileName(full)}.";
        int deleted = 0;
        try
        {
            if (!Directory.Exists(directory))
            {
                return 0;
            }

            DateTime cutoff = DateTime.UtcNow - olderThan;
            var alive = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (string candidate in Directory.EnumerateFiles(directory, ".*.tmp"))
            {
                string name = Path.GetFileName(candidate);
                bool stale;
                if (WriterOf(name) is { } owner)
                {
                    if (!alive.TryGetValue(owner, out bool running))
                    {
                        alive[owner] = running = IsRunning(owner);
                    }

                    stale = !running;
                }
                else if (IsOlderTempName(name, prefix))
                {
                    stale = new FileInfo(candidate).LastWriteTimeUtc <= cutoff;
                }
                else
                {
                    continue;
                }

                if (stale && new FileInfo(candidate).LinkTarget is null && TryDeleteUnlocked(candidate))
                {
                    deleted++;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a folder we cannot list keeps its leftovers.
        }

        return deleted;
    }

    /// <summary>The <c>PID-START</c> of a temp file name <c>.NAME.PID-START.HEX32.tmp</c>, or null for any other name.</summary>
    internal static string? WriterOf(string name)
    {
        if (!name.StartsWith('.') || !name.EndsWith(".tmp", StringComparison.Ordinal) || name.Length < 1 + 1 + 4 + 33 + 4)
        {
            return null;
        }

        ReadOnlySpan<char> rest = name.AsSpan(0, name.Length - 4); // ".NAME.PID-START.HEX32"
        if (!IsLowerHex(rest[^32..]) || rest[^33] != '.')
        {
            return null;
        }

        rest = rest[..^33];
        int dot = rest.LastIndexOf('.');
        if (dot <= 1)
        {
            return null;
        }

        ReadOnlySpan<char> owner = rest[(dot + 1)..];
        int dash = owner.IndexOf('-');
        return dash > 0 && dash < owner.Length - 1 && IsDigits(owner[..dash]) && IsDigits(owner[(dash + 1)..]) ? owner.ToString() : null;
    }

    /// <summary>
    /// True when the writer named by <c>PID-START</c> still runs: a process with that id exists and started within a
    /// second of START (another start time is a reused id). A process we may not inspect counts as running.
    /// </summary>
    private static bool IsRunning(string owner)
    {
        int dash = owner.IndexOf('-', StringComparison.Ordinal);
        if (!int.TryParse(owner.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ||
            !long.TryParse(owner.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long start))
        {
            return true;
        }

        try
        {
            using Process process = Process.GetProcessById(pid);
            return start == 0 || Math.Abs(StartSeconds(process) - start) <= 1; // 0: its start time was unknown to it
        }
        catch (ArgumentException)
        {
            return false; // no process with that id
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // It exited while we looked (InvalidOperation), or we may not read its start time: leave its files alone.
            return e is not InvalidOperationException;
        }
    }

    private static bool IsOlderTempName(string name, string prefix) =>
        name.Length == prefix.Length + 32 + 4 && name.StartsWith(prefix, StringComparison.Ordinal) &&
        name.EndsWith(".tmp", StringComparison.Ordinal) && IsLowerHex(name.AsSpan(prefix.Length, 32));

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return text.Length is > 0 and <= 19;
    }

    /// <summary>
    /// Deletes a file unless another process holds it open exclusively (a writer's <see cref="FileShare.None"/> lock: the
    /// guard for a writer whose process id we cannot see, in another PID namespace).
    /// </summary>
    private static bool TryDeleteUnlocked(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // locked by a live writer, or gone already
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temp name is unique and hidden, so a leftover cannot be mistaken for the file.
            return false;
        }
    }
}

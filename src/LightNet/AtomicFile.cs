namespace LightNet;

/// <summary>Writes files so that readers see either the old file or the complete new one, never a part.</summary>
/// <remarks>
/// The new content goes to a hidden <c>.NAME.GUID.tmp</c> beside the target, then is renamed over it. A process
/// killed mid-write leaves that temp file behind; the next write to the same target deletes such leftovers
/// (<see cref="DeleteStaleTempFiles"/>).
/// </remarks>
internal static class AtomicFile
{
    /// <summary>A temp file untouched for this long belongs to a writer that died: no live writer pauses that long.</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
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
    /// Deletes temp files that an earlier, interrupted <see cref="Write"/> to <paramref name="target"/> left behind:
    /// only files in the target's folder named exactly <c>.NAME.</c> + 32 hex digits + <c>.tmp</c>, regular files,
    /// last written more than <paramref name="olderThan"/> ago. Best effort: failures are ignored.
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
            foreach (string candidate in Directory.EnumerateFiles(directory, "*.tmp"))
            {
                string name = Path.GetFileName(candidate);
                if (!IsOurTempName(name, prefix))
                {
                    continue;
                }

                var info = new FileInfo(candidate);
                if (info.LinkTarget is not null || info.LastWriteTimeUtc > cutoff)
                {
                    continue;
                }

                if (TryDelete(candidate))
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

    private static bool IsOurTempName(string name, string prefix)
    {
        if (name.Length != prefix.Length + 32 + 4 || !name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in name.AsSpan(prefix.Length, 32))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
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

using System.Buffers;
using System.Runtime.InteropServices;

namespace LightNet;

/// <summary>
/// Reads untrusted paths: only regular files (a device such as /dev/zero, a FIFO, a socket or a directory is refused
/// before it is opened, so a FIFO cannot block the reader), and never more than a cap, counted while reading, so a
/// file whose reported length lies (a device, a file growing under us) stops at the cap.
/// </summary>
internal static class BoundedFileRead
{
    /// <summary>What <see cref="Kind"/> found at a path.</summary>
    internal enum FileKind
    {
        Missing,
        Regular,
        Directory,
        Special,
        Unknown,
    }

    /// <summary>The kind of the file at <paramref name="path"/>, following links.</summary>
    internal static FileKind Kind(string path)
    {
        if (Directory.Exists(path))
        {
            return FileKind.Directory;
        }

        if (!File.Exists(path))
        {
            return FileKind.Missing;
        }

        if (OperatingSystem.IsWindows())
        {
            return FileKind.Regular;
        }

        // The runtime's own native shim (present in every .NET on Unix) gives the file type bits of stat(2).
        try
        {
            Span<byte> status = stackalloc byte[512];
            if (SystemNativeStat(path, ref MemoryMarshal.GetReference(status)) != 0)
            {
                return FileKind.Unknown;
            }

            int mode = BitConverter.ToInt32(status[4..]) & 0xF000;
            return mode switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                _ => FileKind.Special,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Unknown;
        }
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link resolved, in every component (a link to a folder
    /// in the middle of the path included), as realpath(3) does; a component that does not exist is kept as it is.
    /// </summary>
    /// <exception cref="IOException">More than 40 links are followed (a loop).</exception>
    internal static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "/";
        string current = root;
        var pending = new Stack<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        int links = 0;
        while (pending.TryPop(out string? part))
        {
            string next = Path.Combine(current, part);
            FileSystemInfo info = new FileInfo(next);
            if (info.LinkTarget is not string target)
            {
                current = Path.GetFullPath(next);
                continue;
            }

            if (++links > 40)
            {
                throw new IOException($"Too many symbolic links while resolving '{path}'.");
            }

            // Resolve the link's target from the folder that holds the link, then walk its components too.
            string resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            string resolvedRoot = Path.GetPathRoot(resolved) ?? "/";
            foreach (string piece in resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(piece);
            }

            current = resolvedRoot;
        }

        return current;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref byte status);

    /// <summary>
    /// Throws <see cref="ErrorCode.IOFailure"/> naming <paramref name="source"/> unless <paramref name="path"/> is a regular file.
    /// </summary>
    internal static void RequireRegularFile(string path, string source)
    {
        switch (Kind(path))
        {
            case FileKind.Missing:
                throw new LightNetException(ErrorCode.IOFailure, $"{source} does not exist.");
            case FileKind.Directory:
                throw new LightNetException(ErrorCode.IOFailure, $"{source} is a directory, not a file.");
            case FileKind.Special:
                throw new LightNetException(ErrorCode.IOFailure,
                    $"{source} is not a regular file (a device, FIFO or socket); only regular files are read.");
        }
    }

    /// <summary>
    /// Opens a regular file for one sequential read, with <paramref name="maxBytes"/> clamped to what one array holds;
    /// refuses it with <paramref name="tooLarge"/> when its reported length is already over the cap.
    /// </summary>
    private static FileStream Open(string path, ref long maxBytes, string source, Func<long, bool, LightNetException> tooLarge, out long reported)
    {
        RequireRegularFile(path, source);
        maxBytes = Math.Min(maxBytes, Array.MaxLength - 1);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        reported = stream.CanSeek ? stream.Length : 0;
        if (reported > maxBytes)
        {
            stream.Dispose();
            throw tooLarge(reported, true);
        }

        return stream;
    }

    /// <summary>
    /// Reads a regular file into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it),
    /// refusing it with <paramref name="tooLarge"/> as soon as more than <paramref name="maxBytes"/> are read or reported.
    /// </summary>
    internal static byte[] ReadPooled(string path, long maxBytes, string source, Func<long, bool, LightNetException> tooLarge, out int length)
    {
        using FileStream stream = Open(path, ref maxBytes, source, tooLarge, out long reported);

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(reported + 1, 4096, maxBytes + 1));
        try
        {
            length = 0;
            int read;
            while ((read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    throw tooLarge(length, false);
                }

                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return buffer;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Reads a regular file into a new array of its exact length, sized from the reported length (one copy for an
    /// honest file) and grown, up to the cap, when the file holds more than it reported.
    /// </summary>
    internal static byte[] ReadAll(string path, long maxBytes, string source, Func<long, bool, LightNetException> tooLarge)
    {
        using FileStream stream = Open(path, ref maxBytes, source, tooLarge, out long reported);

        var bytes = new byte[reported];
        int length = 0;
        int read;
        while (length < bytes.Length && (read = stream.Read(bytes, length, bytes.Length - length)) > 0)
        {
            length += read;
        }

        if (length < bytes.Length)
        {
            return bytes.AsSpan(0, length).ToArray(); // shrank while we read
        }

        // The reported length may lie (a device, a growing file): anything beyond it is counted against the cap too.
        var chunk = new byte[81920];
        if ((read = stream.Read(chunk, 0, chunk.Length)) == 0)
        {
            return bytes;
        }

        using var rest = new MemoryStream();
        rest.Write(bytes, 0, length);
        do
        {
            if (rest.Length + read > maxBytes)
            {
                throw tooLarge(rest.Length + read, false);
            }

            rest.Write(chunk, 0, read);
        }
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0);
        return rest.ToArray();
    }
}

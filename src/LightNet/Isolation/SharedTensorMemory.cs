using System.IO.MemoryMappedFiles;

namespace LightNet.Isolation;

/// <summary>
/// The memory an isolated session and its worker share for tensors: a file mapped into both processes (in
/// <c>/dev/shm</c> where it exists, so it never touches a disk; else the temp folder), readable by this user only. The
/// pipe then carries only control lines with each tensor's offset and length. Requests and answers alternate, so the
/// two sides never touch the memory at the same time. The side that writes grows the file when its tensors do not fit;
/// the side that reads maps the file again when an offset lies past what it has mapped.
/// </summary>
internal sealed unsafe class SharedTensorMemory : IDisposable
{
    /// <summary>Tensors start at multiples of this (cache lines; the copies are then aligned).</summary>
    public const int Alignment = 64;

    private const long InitialBytes = 1 << 20;

    private readonly FileStream _file;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private long _mapped;

    private SharedTensorMemory(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The mapped file's path (the worker opens it by this path).</summary>
    public string Path { get; }

    /// <summary>Creates the shared file for a new session (the host's side), <see cref="InitialBytes"/> long.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file cannot be created or mapped.</exception>
    public static SharedTensorMemory Create()
    {
        string folder = OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        string path = System.IO.Path.Combine(folder, $"lightnet-tensors-{Guid.NewGuid():N}");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // tensors are the user's data
        }

        var file = Io(path, () => new FileStream(path, options));
        var memory = new SharedTensorMemory(file, path);
        try
        {
            Io(path, () => file.SetLength(InitialBytes));
            memory.Map();
            return memory;
        }
        catch
        {
            memory.Dispose();
            TryDelete(path);
            throw;
        }
    }

    /// <summary>Runs a file operation, turning an I/O failure (no space left in /dev/shm, say) into <see cref="ErrorCode.IOFailure"/>.</summary>
    private static T Io<T>(string path, Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"The isolated session's shared memory '{path}' failed: {e.Message}", e);
        }
    }

    private static void Io(string path, Action operation) => Io(path, () =>
    {
        operation();
        return 0;
    });

    /// <summary>Opens the file the host created (the worker's side).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file cannot be opened or mapped.</exception>
    public static SharedTensorMemory Open(string path)
    {
        var file = Io(path, () => new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));
        var memory = new SharedTensorMemory(file, path);
        try
        {
            memory.Map();
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Where each tensor goes when <paramref name="sizes"/> are laid out one after another, aligned; and the total.</summary>
    public static (long[] Offsets, long Total) Layout(IEnumerable<long> sizes)
    {
        var offsets = new List<long>();
        long next = 0;
        foreach (long size in sizes)
        {
            offsets.Add(next);
            next = checked(next + ((size + Alignment - 1) / Alignment * Alignment));
        }

        return ([.. offsets], next);
    }

    /// <summary>Makes room for <paramref name="bytes"/> (growing the file, at least doubling it) before writing.</summary>
    public void EnsureWritable(long bytes)
    {
        if (bytes <= _mapped)
        {
            return;
        }

        if (_file.Length < bytes)
        {
            Io(Path, () => _file.SetLength(Math.Max(bytes, _file.Length * 2)));
        }

        Map();
    }

    /// <summary>Copies <paramref name="data"/> to <paramref name="offset"/> (after <see cref="EnsureWritable"/>).</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, data.Length);
        data.CopyTo(new Span<byte>(_base + offset, data.Length));
    }

    /// <summary>Copies the bytes at <paramref name="offset"/> into <paramref name="destination"/>, mapping again when the other side grew the file.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidTensor"/> when the range lies past the end of the file.</exception>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > long.MaxValue - destination.Length)
        {
            throw OutOfRange(offset, destination.Length);
        }

        if (offset + destination.Length > _mapped)
        {
            Map();
        }

        CheckRange(offset, destination.Length);
        new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
    }

    private void CheckRange(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > _mapped - length)
        {
            throw OutOfRange(offset, length);
        }
    }

    private LightNetException OutOfRange(long offset, int length) =>
        new(ErrorCode.InvalidTensor, $"A tensor of {length} bytes at offset {offset} lies outside the isolated session's shared memory ({_mapped} bytes, {Path}).");

    /// <summary>Maps the whole file as it is now (again).</summary>
    private void Map()
    {
        Unmap();
        long length = _file.Length;
        _map = Io(Path, () => MemoryMappedFile.CreateFromFile(_file, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true));
        _view = Io(Path, () => _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite));
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        _mapped = length;
    }

    private void Unmap()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _view = null;
        }

        _map?.Dispose();
        _map = null;
        _base = null;
        _mapped = 0;
    }

    /// <summary>
    /// Removes the file's name (both sides keep their mapping and handle): called once the worker has opened it, so a
    /// killed host leaves nothing in <c>/dev/shm</c>. Not possible on Windows while open; <see cref="Dispose"/> retries.
    /// </summary>
    public void Unlink() => TryDelete(Path);

    public void Dispose()
    {
        Unmap();
        _file.Dispose();
    }

    /// <summary>Deletes the file by name when it is still there (best effort: the name is unique and private).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still open elsewhere (Windows) or already gone: the name is unique, nothing else reads it.
        }
    }
}

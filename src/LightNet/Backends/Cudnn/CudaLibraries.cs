using System.Runtime.InteropServices;
using LightNet.Backends.Cudnn.Native;

namespace LightNet.Backends.Cudnn;

/// <summary>What probing for the CUDA runtime, cuBLAS and cuDNN found.</summary>
/// <param name="Loaded">True when all three libraries were loaded.</param>
/// <param name="Files">Library → the name or file it was loaded from.</param>
/// <param name="Missing">The libraries not found (candidate names), empty when <paramref name="Loaded"/>.</param>
/// <param name="Folders">The override folders searched, in order.</param>
internal sealed record LibraryProbe(bool Loaded, IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> Missing, IReadOnlyList<string> Folders);

/// <summary>
/// Finds and loads the CUDA runtime, cuBLAS and cuDNN 9 on first use: the usual sonames (or Windows DLL names) in the
/// folders named by the <c>libpath=</c> backend option and the <see cref="PathVariable"/> environment variable (each a
/// list; a '*' in a folder name matches any subfolder, e.g. <c>.../site-packages/nvidia/*/lib</c>), then in the default
/// library search path. Nothing is loaded until <see cref="Probe"/> is called, which only the cuDNN backend's
/// availability check and session creation do (a listing uses <see cref="Locate"/>, which loads nothing). The first complete set loaded serves every later call in the process.
/// </summary>
internal static class CudaLibraries
{
    /// <summary>Logical library name of the CUDA runtime in [LibraryImport].</summary>
    public const string CudartName = "lightnet-cudart";

    /// <summary>Logical library name of cuBLAS in [LibraryImport].</summary>
    public const string CublasName = "lightnet-cublas";

    /// <summary>Logical library name of cuDNN in [LibraryImport].</summary>
    public const string CudnnName = "lightnet-cudnn";

    /// <summary>Environment variable with extra folders, separated by the platform's path separator (':' on Linux).</summary>
    public const string PathVariable = "LIGHTNET_CUDA_PATH";

    private static readonly object s_gate = new();
    private static readonly Dictionary<string, int> s_probes = new(StringComparer.Ordinal);
    private static nint s_cudart, s_cublas, s_cudnn;
    private static LibraryProbe? s_active;

    private static string[] CudartNames => OperatingSystem.IsWindows()
        ? ["cudart64_13.dll", "cudart64_12.dll", "cudart64_110.dll"]
        : ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];

    private static string[] CublasNames => OperatingSystem.IsWindows()
        ? ["cublas64_13.dll", "cublas64_12.dll"]
        : ["libcublas.so.13", "libcublas.so.12", "libcublas.so"];

    private static string[] CudnnNames => OperatingSystem.IsWindows() ? ["cudnn64_9.dll"] : ["libcudnn.so.9", "libcudnn.so"];

    /// <summary>How many times <see cref="Probe"/> ran for this option value (tests check that nothing probes eagerly).</summary>
    public static int ProbeCount(string? libPathOption)
    {
        lock (s_gate)
        {
            return s_probes.GetValueOrDefault(libPathOption ?? "");
        }
    }

    /// <summary>The folders searched before the default path: the option's (';'-separated), then the environment variable's.</summary>
    public static IReadOnlyList<string> OverrideFolders(string? libPathOption)
    {
        var raw = new List<string>();
        if (!string.IsNullOrWhiteSpace(libPathOption))
        {
            raw.AddRange(libPathOption.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        string? variable = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(variable))
        {
            raw.AddRange(variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        // Only absolute folders: a relative one would resolve from the working directory, where anyone who can plant a
        // './lib/libcudart.so.13' would have its constructor run in this process.
        return raw.Where(Path.IsPathFullyQualified).SelectMany(Expand).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The configured folders that are ignored because they are not absolute (for the availability message).</summary>
    public static IReadOnlyList<string> IgnoredRelativeFolders(string? libPathOption) =>
        (libPathOption ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat((Environment.GetEnvironmentVariable(PathVariable) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(f => !Path.IsPathFullyQualified(f)).ToArray();

    /// <summary>Expands one '*' path segment (the pip layout nvidia/*/lib); other folders are returned as given.</summary>
    private static IEnumerable<string> Expand(string folder)
    {
        int star = folder.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return [folder];
        }

        int cut = folder.LastIndexOfAny(['/', '\\'], star);
        string parent = cut < 0 ? "." : folder[..cut];
        int next = folder.IndexOfAny(['/', '\\'], star);
        string pattern = folder[(cut + 1)..(next < 0 ? folder.Length : next)];
        string rest = next < 0 ? "" : folder[(next + 1)..];
        if (!Directory.Exists(parent))
        {
            return [];
        }

        return Directory.GetDirectories(parent, pattern).Order(StringComparer.Ordinal)
            .Select(d => rest.Length == 0 ? d : Path.Combine(d, rest));
    }

    /// <summary>
    /// Loads the three libraries (once per process; later calls report the set already loaded) and installs the import
    /// resolver. Never throws for a missing library: the result says what is missing and where it looked.
    /// </summary>
    public static LibraryProbe Probe(string? libPathOption)
    {
        lock (s_gate)
        {
            s_probes[libPathOption ?? ""] = s_probes.GetValueOrDefault(libPathOption ?? "") + 1;
            IReadOnlyList<string> folders = OverrideFolders(libPathOption);
            if (s_active is not null)
            {
                return s_active with { Folders = folders };
            }

            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            var missing = new List<string>();
            nint cudart = Load("CUDA runtime", CudartNames, folders, files, missing, []);
            nint cublas = Load("cuBLAS", CublasNames, folders, files, missing,
                OperatingSystem.IsWindows() ? ["cublasLt64_13.dll", "cublasLt64_12.dll"] : ["libcublasLt.so.13", "libcublasLt.so.12"]);
            nint cudnn = Load("cuDNN 9", CudnnNames, folders, files, missing, CudnnParts);
            var probe = new LibraryProbe(missing.Count == 0, files, missing, folders);
            if (!probe.Loaded)
            {
                // Keep nothing half-loaded: a later probe with another folder may find a complete set.
                foreach (nint h in new[] { cudart, cublas, cudnn }.Where(h => h != 0))
                {
                    NativeLibrary.Free(h);
                }

                return probe;
            }

            (s_cudart, s_cublas, s_cudnn, s_active) = (cudart, cublas, cudnn, probe);
            AssemblyResolver.Register(CudartName, () => s_cudart);
            AssemblyResolver.Register(CublasName, () => s_cublas);
            AssemblyResolver.Register(CudnnName, () => s_cudnn);
            return probe;
        }
    }

    /// <summary>cuDNN 9's sub-libraries, loaded from the folder where libcudnn was found so that its own dlopen finds them.</summary>
    private static string[] CudnnParts => OperatingSystem.IsWindows()
        ? ["cudnn_graph64_9.dll", "cudnn_ops64_9.dll", "cudnn_cnn64_9.dll", "cudnn_heuristic64_9.dll",
            "cudnn_engines_precompiled64_9.dll", "cudnn_engines_runtime_compiled64_9.dll"]
        : ["libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_heuristic.so.9",
            "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9"];

    /// <summary>
    /// The library files that <see cref="Probe"/> would try first, found in the override folders by name alone: nothing
    /// is loaded (for listings, which must not run a library's constructor). Library → file, in probing order.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Locate(string? libPathOption)
    {
        IReadOnlyList<string> folders = OverrideFolders(libPathOption);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string what, string[] names) in new[] { ("CUDA runtime", CudartNames), ("cuBLAS", CublasNames), ("cuDNN 9", CudnnNames) })
        {
            if (Candidates(names, folders).FirstOrDefault() is { } file)
            {
                found[what] = file.Path;
            }
        }

        return found;
    }

    /// <summary>The files named <paramref name="names"/> that exist in <paramref name="folders"/>, folder by folder.</summary>
    private static IEnumerable<(string Folder, string Path)> Candidates(string[] names, IReadOnlyList<string> folders) =>
        folders.SelectMany(folder => names.Select(name => (Folder: folder, Path: Path.Combine(folder, name)))).Where(c => File.Exists(c.Path));

    private static nint Load(string what, string[] names, IReadOnlyList<string> folders, Dictionary<string, string> files,
        List<string> missing, string[] companions)
    {
        foreach ((string folder, string path) in Candidates(names, folders))
        {
            // Dependencies first, from the same folder: the loader then matches them by soname.
            foreach (string companion in companions)
            {
                string c = Path.Combine(folder, companion);
                if (File.Exists(c))
                {
                    NativeLibrary.TryLoad(c, out _);
                }
            }

            if (NativeLibrary.TryLoad(path, out nint handle))
            {
                files[what] = path;
                return handle;
            }
        }

        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                files[what] = name;
                return handle;
            }
        }

        missing.Add($"{what} ({string.Join(" or ", names)})");
        return 0;
    }
}

using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace LightNet.Backends.OnnxRuntime;

/// <summary>
/// Which native ONNX Runtime library this process loaded: its file (asked of the OS loader, not guessed from the
/// package), its version and the execution providers compiled into it. An app picks the build by the package it
/// references (Microsoft.ML.OnnxRuntime for CPU, Microsoft.ML.OnnxRuntime.Gpu.Linux for CUDA, ...); this says which won.
/// </summary>
internal static class OrtNativeLibrary
{
    private static readonly Lazy<string?> s_path = new(FindLoadedPath);

    /// <summary>The loaded library's full path, or null when the OS cannot say (the library is then still in use).</summary>
    public static string? LoadedPath => s_path.Value;

    /// <summary>The execution providers compiled into the loaded build, for example "CUDA, TensorRT, CPU".</summary>
    public static IReadOnlyList<string> CompiledProviders() =>
        OrtEnv.Instance().GetAvailableProviders().Select(p => p.EndsWith("ExecutionProvider", StringComparison.Ordinal) ? p[..^"ExecutionProvider".Length] : p).ToArray();

    /// <summary>The build flavour: "GPU (CUDA)", "DirectML", ... or "CPU" when only CPU providers are compiled in.</summary>
    public static string Flavour()
    {
        IReadOnlyList<string> providers = CompiledProviders();
        string[] extra = providers.Where(p => p is not ("CPU" or "Azure")).ToArray();
        return extra.Length == 0 ? "CPU build" : $"build with {string.Join(", ", extra)}";
    }

    /// <summary>One line for availability messages: "ONNX Runtime 1.31.1, CPU build, /app/runtimes/linux-x64/native/libonnxruntime.so".</summary>
    public static string Describe() =>
        $"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {Flavour()}, {LoadedPath ?? "library path unknown"}";

    private static string? FindLoadedPath()
    {
        try
        {
            OrtEnv.Instance(); // makes sure the managed wrapper has loaded its native library
            Assembly ortAssembly = typeof(OrtEnv).Assembly;
            if (!NativeLibrary.TryLoad("onnxruntime", ortAssembly, null, out nint handle))
            {
                return null;
            }

            return OperatingSystem.IsWindows() ? WindowsModulePath(handle) : UnixModulePath(handle);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>dladdr on an export of the loaded library names the file it came from (Linux, Android, macOS, iOS).</summary>
    private static unsafe string? UnixModulePath(nint handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out nint symbol))
        {
            return null;
        }

        string libc = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsAndroid() ? "libc.so" : "/usr/lib/libSystem.dylib";
        if (!NativeLibrary.TryLoad(libc, out nint libcHandle) || !NativeLibrary.TryGetExport(libcHandle, "dladdr", out nint dladdr))
        {
            return null;
        }

        DlInfo info;
        int found = ((delegate* unmanaged<nint, DlInfo*, int>)dladdr)(symbol, &info);
        return found != 0 && info.FileName != 0 ? Path.GetFullPath(Marshal.PtrToStringUTF8(info.FileName)!) : null;
    }

    private static unsafe string? WindowsModulePath(nint handle)
    {
        if (!NativeLibrary.TryLoad("kernel32.dll", out nint kernel32) || !NativeLibrary.TryGetExport(kernel32, "GetModuleFileNameW", out nint getModuleFileName))
        {
            return null;
        }

        char* buffer = stackalloc char[1024];
        uint length = ((delegate* unmanaged<nint, char*, uint, uint>)getModuleFileName)(handle, buffer, 1024);
        return length == 0 ? null : new string(buffer, 0, (int)length);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public nint FileName;
        public nint FileBase;
        public nint SymbolName;
        public nint SymbolAddress;
    }
}

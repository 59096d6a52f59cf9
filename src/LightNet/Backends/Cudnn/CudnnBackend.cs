using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using LightNet.Backends.Cudnn.Native;

namespace LightNet.Backends.Cudnn;

/// <summary>
/// NVIDIA GPUs through the CUDA runtime, cuBLAS and cuDNN 9 already installed on the machine (no ONNX Runtime GPU
/// package): <c>cudnn</c> (FP32) and <c>cudnn:fp16</c> (FP16 storage, tensor-core math with FP32 accumulation, FP32 in and
/// out for the caller). Options: <c>device=N</c>, <c>algo=heuristic|exhaustive</c> (convolution algorithm choice),
/// <c>libpath=FOLDER[;FOLDER...]</c> (where the libraries are, before <see cref="CudaLibraries.PathVariable"/> and the default path).
/// </summary>
internal sealed class CudnnBackend : Backend
{
    /// <summary>What to install, appended to every "not available" reason.</summary>
    public const string InstallHint =
        "Install an NVIDIA driver, the CUDA 12 or 13 runtime with cuBLAS, and cuDNN 9 (for example the CUDA toolkit and " +
        "the cudnn9 package, or `pip install nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cudnn-cu12`); when the libraries " +
        "are not on the default library path, name their folders in " + CudaLibraries.PathVariable +
        " (for example .../site-packages/nvidia/*/lib) or with the backend option libpath=FOLDER.";

    private static readonly ConcurrentDictionary<string, BackendAvailability> s_availability = new(StringComparer.Ordinal);

    private CudnnBackend(BackendSpec spec)
        : base(spec)
    {
        spec.RejectUnknown("fp16", "device", "algo", "libpath");
        DeviceIndex = spec.GetInt("device", 0);
        Exhaustive = spec.GetChoice("algo", "heuristic", "heuristic", "exhaustive") == "exhaustive";
        LibPath = spec.Values.GetValueOrDefault("libpath");
        EffectiveOptions = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device"] = DeviceIndex.ToString(CultureInfo.InvariantCulture),
            ["algo"] = Exhaustive ? "exhaustive" : "heuristic",
            ["libpath"] = LibPath ?? "",
        };
    }

    public override BackendKind Kind => BackendKind.Native;

    public override Precision Precision => Spec.Flags.Contains("fp16") ? Precision.Fp16 : Precision.Fp32;

    public override string Device => "CUDA:" + DeviceIndex.ToString(CultureInfo.InvariantCulture);

    public override IReadOnlyDictionary<string, string> EffectiveOptions { get; }

    /// <summary>The CUDA device index.</summary>
    internal int DeviceIndex { get; }

    /// <summary>True to time every convolution algorithm at session creation instead of asking cuDNN's heuristics.</summary>
    internal bool Exhaustive { get; }

    /// <summary>The libpath option, or null.</summary>
    internal string? LibPath { get; }

    internal static void Register() =>
        Register("cudnn", spec => new CudnnBackend(spec), ["cudnn", "cudnn:fp16"], order: 200);

    /// <summary>
    /// Loads the libraries (lazily, here and not before), asks the driver for devices, checks cuDNN's version and creates
    /// and frees a cuDNN handle, a cuBLAS handle and a device buffer. Cached per backend name.
    /// </summary>
    public override BackendAvailability CheckAvailability() => s_availability.GetOrAdd(Name, _ => Probe());

    /// <summary>
    /// For listings: the cached result when <see cref="CheckAvailability"/> already ran in this process; otherwise the
    /// library files found in the configured folders by name, loading none of them (a listing must not run a library's
    /// constructor), as a <see cref="BackendAvailability.NotProbed"/> answer.
    /// </summary>
    public override BackendAvailability DescribeAvailability()
    {
        if (s_availability.TryGetValue(Name, out BackendAvailability? probed))
        {
            return probed;
        }

        IReadOnlyList<string> folders = CudaLibraries.OverrideFolders(LibPath);
        IReadOnlyDictionary<string, string> found = CudaLibraries.Locate(LibPath);
        string files = found.Count == 0
            ? (folders.Count == 0 ? "" : " No library file is in the configured folders.")
            : $" Found without loading: {string.Join(", ", found.Select(f => $"{f.Key} {f.Value}"))}.";
        return BackendAvailability.NotProbed(
            $"{Name} was not probed: a listing loads no native library. The CUDA runtime, cuBLAS and cuDNN are loaded from {SearchedIn(folders)} " +
            $"when a session is created (or by `lightnet backends --probe`).{files}{IgnoredNote()}");
    }

    /// <summary>Where the libraries are searched, in words: the override folders, then the default library path.</summary>
    private static string SearchedIn(IReadOnlyList<string> folders) => folders.Count == 0
        ? $"the default library path ({CudaLibraries.PathVariable} is not set)"
        : $"{string.Join(", ", folders)} and the default library path";

    /// <summary>" Ignored because not absolute: ..." naming the configured relative folders, or "".</summary>
    private string IgnoredNote()
    {
        IReadOnlyList<string> ignored = CudaLibraries.IgnoredRelativeFolders(LibPath);
        return ignored.Count == 0 ? "" : $" Ignored because not absolute: {string.Join(", ", ignored)}.";
    }

    private BackendAvailability Probe()
    {
        LibraryProbe libraries = CudaLibraries.Probe(LibPath);
        if (!libraries.Loaded)
        {
            return BackendAvailability.Unavailable(
                $"{Name} is unavailable: {string.Join(", ", libraries.Missing)} not found in {SearchedIn(libraries.Folders)}.{IgnoredNote()} {InstallHint}");
        }

        try
        {
            return ProbeDevice(libraries);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or LightNetException)
        {
            return BackendAvailability.Unavailable($"{Name} is unavailable: {e.Message} {InstallHint}");
        }
    }

    private unsafe BackendAvailability ProbeDevice(LibraryProbe libraries)
    {
        string Unavailable(string what) => $"{Name} is unavailable: {what} (libraries: {string.Join(", ", libraries.Files.Values)}). {InstallHint}";

        if (CudaRuntime.DriverGetVersion(out int driver) != CudaRuntime.Success || driver == 0)
        {
            return BackendAvailability.Unavailable(Unavailable("no NVIDIA driver is installed (cudaDriverGetVersion reports none)"));
        }

        int error = CudaRuntime.GetDeviceCount(out int count);
        if (error == CudaRuntime.ErrorInsufficientDriver)
        {
            CudaRuntime.RuntimeGetVersion(out int runtime);
            return BackendAvailability.Unavailable(Unavailable(
                $"the NVIDIA driver supports CUDA {FormatCuda(driver)} but the runtime is CUDA {FormatCuda(runtime)}: update the driver or use an older runtime"));
        }

        if (error == CudaRuntime.ErrorNoDevice || (error == CudaRuntime.Success && count == 0))
        {
            return BackendAvailability.Unavailable(Unavailable("the driver sees no CUDA device"));
        }

        if (error != CudaRuntime.Success)
        {
            return BackendAvailability.Unavailable(Unavailable($"cudaGetDeviceCount failed: {CudaRuntime.ErrorText(error)}"));
        }

        if (DeviceIndex >= count)
        {
            return BackendAvailability.Unavailable(Unavailable($"device {DeviceIndex} requested, but there are only {count} CUDA device(s)"));
        }

        long cudnnVersion = (long)CudnnApi.GetVersion();
        if (cudnnVersion < 90000)
        {
            return BackendAvailability.Unavailable(Unavailable($"cuDNN {FormatCudnn(cudnnVersion)} is too old; cuDNN 9 or later is needed"));
        }

        CudaRuntime.Check(CudaRuntime.SetDevice(DeviceIndex), "cudaSetDevice");
        CudaRuntime.Check(CudaRuntime.DeviceGetAttribute(out int major, CudaRuntime.AttrComputeCapabilityMajor, DeviceIndex), "cudaDeviceGetAttribute");
        CudaRuntime.Check(CudaRuntime.DeviceGetAttribute(out int minor, CudaRuntime.AttrComputeCapabilityMinor, DeviceIndex), "cudaDeviceGetAttribute");
        if (Precision == Precision.Fp16 && major < 6)
        {
            return BackendAvailability.Unavailable(Unavailable($"compute capability {major}.{minor} has no fast FP16; use 'cudnn'"));
        }

        CudnnApi.Check(CudnnApi.Create(out nint cudnn), "cudnnCreate");
        CudnnApi.Destroy(cudnn);
        Cublas.Check(Cublas.Create(out nint cublas), "cublasCreate");
        Cublas.GetVersion(cublas, out int cublasVersion);
        Cublas.Destroy(cublas);
        CudaRuntime.Check(CudaRuntime.Malloc(out nint probe, 256), "cudaMalloc");
        CudaRuntime.Free(probe);
        CudaRuntime.RuntimeGetVersion(out int runtimeVersion);
        return BackendAvailability.Available(
            $"{DeviceName(DeviceIndex)} (compute {major}.{minor}), driver CUDA {FormatCuda(driver)}, runtime CUDA {FormatCuda(runtimeVersion)}, " +
            $"cuBLAS {cublasVersion}, cuDNN {FormatCudnn(cudnnVersion)} ({string.Join(", ", libraries.Files.Values)})");
    }

    /// <summary>The device's name from cudaGetDeviceProperties (first 256 bytes of a buffer larger than any version of the struct).</summary>
    internal static unsafe string DeviceName(int device)
    {
        byte* properties = (byte*)NativeMemory.AllocZeroed(16384);
        try
        {
            return CudaRuntime.GetDeviceProperties(properties, device) == CudaRuntime.Success
                ? Marshal.PtrToStringUTF8((nint)properties, new ReadOnlySpan<byte>(properties, 256).IndexOf((byte)0) is int n and >= 0 ? n : 256)
                : $"CUDA device {device}";
        }
        finally
        {
            NativeMemory.Free(properties);
        }
    }

    private static string FormatCuda(int version) => $"{version / 1000}.{version % 1000 / 10}";

    private static string FormatCudnn(long version) => $"{version / 10000}.{version % 10000 / 100}.{version % 100}";

    public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null)
    {
        if (Isolation.IsolatedSession.TryCreate(this, model, options) is { } isolated)
        {
            return isolated;
        }

        ArgumentNullException.ThrowIfNull(model);
        options ??= InferenceOptions.Default;
        options.Validate();
        EnsureAvailable();
        SessionPreflight.BeforeNative(model, options, Name);
        CudnnPlan plan = CudnnPlan.Create(model, Precision == Precision.Fp16, options);
        return new CudnnSession(this, model, plan, options);
    }
}

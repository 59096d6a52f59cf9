using System.Runtime.InteropServices;

namespace LightNet.Backends.Cudnn.Native;

/// <summary>cudaMemcpyKind.</summary>
internal enum CudaMemcpyKind
{
    HostToHost = 0,
    HostToDevice = 1,
    DeviceToHost = 2,
    DeviceToDevice = 3,
    Default = 4,
}

/// <summary>
/// The few CUDA runtime (cudart) entry points LightNet needs. Every function returns a cudaError_t (0 = success).
/// The library is named <see cref="CudaLibraries.CudartName"/> and mapped to a real file by <see cref="CudaLibraries"/>.
/// </summary>
internal static partial class CudaRuntime
{
    public const int Success = 0;
    public const int ErrorInsufficientDriver = 35;
    public const int ErrorNoDevice = 100;

    /// <summary>cudaDevAttrMultiProcessorCount.</summary>
    public const int AttrMultiProcessorCount = 16;

    /// <summary>cudaDevAttrComputeCapabilityMajor.</summary>
    public const int AttrComputeCapabilityMajor = 75;

    /// <summary>cudaDevAttrComputeCapabilityMinor.</summary>
    public const int AttrComputeCapabilityMinor = 76;

    /// <summary>cudaStreamNonBlocking.</summary>
    public const uint StreamNonBlocking = 1;

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaRuntimeGetVersion")]
    public static partial int RuntimeGetVersion(out int version);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaDriverGetVersion")]
    public static partial int DriverGetVersion(out int version);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaGetDeviceCount")]
    public static partial int GetDeviceCount(out int count);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaSetDevice")]
    public static partial int SetDevice(int device);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaDeviceGetAttribute")]
    public static partial int DeviceGetAttribute(out int value, int attribute, int device);

    /// <summary>
    /// cudaGetDeviceProperties: the struct's size differs between CUDA versions, so the caller passes a buffer far larger
    /// than any of them and reads only the name (char[256] at offset 0 in every version).
    /// </summary>
    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaGetDeviceProperties")]
    public static unsafe partial int GetDeviceProperties(byte* properties, int device);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMemGetInfo")]
    public static partial int MemGetInfo(out nuint free, out nuint total);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaGetErrorString")]
    public static partial nint GetErrorString(int error);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMalloc")]
    public static partial int Malloc(out nint devicePointer, nuint size);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaFree")]
    public static partial int Free(nint devicePointer);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMallocHost")]
    public static partial int MallocHost(out nint hostPointer, nuint size);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaFreeHost")]
    public static partial int FreeHost(nint hostPointer);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMemcpy")]
    public static partial int Memcpy(nint destination, nint source, nuint count, CudaMemcpyKind kind);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMemcpyAsync")]
    public static partial int MemcpyAsync(nint destination, nint source, nuint count, CudaMemcpyKind kind, nint stream);

    /// <summary>Copies <paramref name="height"/> rows of <paramref name="width"/> bytes between pitched buffers (strided copy).</summary>
    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMemcpy2DAsync")]
    public static partial int Memcpy2DAsync(nint destination, nuint destinationPitch, nint source, nuint sourcePitch,
        nuint width, nuint height, CudaMemcpyKind kind, nint stream);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaMemsetAsync")]
    public static partial int MemsetAsync(nint devicePointer, int value, nuint count, nint stream);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaStreamCreateWithFlags")]
    public static partial int StreamCreateWithFlags(out nint stream, uint flags);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaStreamDestroy")]
    public static partial int StreamDestroy(nint stream);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaStreamSynchronize")]
    public static partial int StreamSynchronize(nint stream);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaEventCreate")]
    public static partial int EventCreate(out nint cudaEvent);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaEventDestroy")]
    public static partial int EventDestroy(nint cudaEvent);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaEventRecord")]
    public static partial int EventRecord(nint cudaEvent, nint stream);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaEventSynchronize")]
    public static partial int EventSynchronize(nint cudaEvent);

    [LibraryImport(CudaLibraries.CudartName, EntryPoint = "cudaEventElapsedTime")]
    public static partial int EventElapsedTime(out float milliseconds, nint start, nint end);

    /// <summary>The runtime's text for an error code.</summary>
    public static string ErrorText(int error)
    {
        nint text = GetErrorString(error);
        return text == 0 ? $"cudaError {error}" : $"{Marshal.PtrToStringUTF8(text)} (cudaError {error})";
    }

    /// <summary>Throws <see cref="ErrorCode.InferenceFailed"/> naming the call when <paramref name="error"/> is not success.</summary>
    public static void Check(int error, string call)
    {
        if (error != Success)
        {
            throw new LightNetException(ErrorCode.InferenceFailed, $"CUDA runtime call {call} failed: {ErrorText(error)}.");
        }
    }
}

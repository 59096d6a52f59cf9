using System.Runtime.InteropServices;

namespace LightNet.Backends.Cudnn.Native;

/// <summary>cublasOperation_t.</summary>
internal enum CublasOperation
{
    None = 0,
    Transpose = 1,
}

/// <summary>cudaDataType_t (the subset used here).</summary>
internal enum CudaDataType
{
    R32F = 0,
    R16F = 2,
}

/// <summary>cublasComputeType_t (the subset used here).</summary>
internal enum CublasComputeType
{
    Compute16F = 64,
    Compute32F = 68,
    Compute32FFast16F = 74,
}

/// <summary>cuBLAS v2 entry points (the _v2 names are the exported symbols in CUDA 12 and 13). Every function returns a cublasStatus_t (0 = success).</summary>
internal static partial class Cublas
{
    public const int Success = 0;

    /// <summary>cublasMath_t CUBLAS_DEFAULT_MATH.</summary>
    public const int DefaultMath = 0;

    /// <summary>cublasMath_t CUBLAS_TENSOR_OP_MATH (deprecated but accepted: allows tensor cores for FP32 through down-conversion; not used for FP32).</summary>
    public const int TensorOpMath = 1;

    /// <summary>cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT.</summary>
    public const int GemmDefault = -1;

    /// <summary>cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT_TENSOR_OP.</summary>
    public const int GemmDefaultTensorOp = 99;

    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasCreate_v2")]
    public static partial int Create(out nint handle);

    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasDestroy_v2")]
    public static partial int Destroy(nint handle);

    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasGetVersion_v2")]
    public static partial int GetVersion(nint handle, out int version);

    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasSetStream_v2")]
    public static partial int SetStream(nint handle, nint stream);

    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasSetMathMode")]
    public static partial int SetMathMode(nint handle, int mode);

    /// <summary>Column-major C = alpha·op(A)·op(B) + beta·C in FP32; alpha and beta are host pointers.</summary>
    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasSgemm_v2")]
    public static unsafe partial int Sgemm(nint handle, CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float* alpha, nint a, int lda, nint b, int ldb, float* beta, nint c, int ldc);

    /// <summary>Column-major GEMM with per-operand data types and a compute type (FP16 storage with FP32 accumulation here).</summary>
    [LibraryImport(CudaLibraries.CublasName, EntryPoint = "cublasGemmEx")]
    public static unsafe partial int GemmEx(nint handle, CublasOperation transA, CublasOperation transB, int m, int n, int k,
        void* alpha, nint a, CudaDataType aType, int lda, nint b, CudaDataType bType, int ldb,
        void* beta, nint c, CudaDataType cType, int ldc, CublasComputeType computeType, int algo);

    /// <summary>Throws <see cref="ErrorCode.InferenceFailed"/> naming the call when <paramref name="status"/> is not success.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw new LightNetException(ErrorCode.InferenceFailed, $"cuBLAS call {call} failed with cublasStatus {status}.");
        }
    }
}

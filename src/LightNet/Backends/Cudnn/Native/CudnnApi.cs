using System.Runtime.InteropServices;

namespace LightNet.Backends.Cudnn.Native;

/// <summary>cudnnDataType_t (subset).</summary>
internal enum CudnnDataType
{
    Float = 0,
    Double = 1,
    Half = 2,
}

/// <summary>cudnnTensorFormat_t.</summary>
internal enum CudnnTensorFormat
{
    Nchw = 0,
    Nhwc = 1,
}

/// <summary>cudnnConvolutionMode_t.</summary>
internal enum CudnnConvolutionMode
{
    Convolution = 0,
    CrossCorrelation = 1,
}

/// <summary>cudnnConvolutionFwdAlgo_t.</summary>
internal enum CudnnConvolutionFwdAlgo
{
    ImplicitGemm = 0,
    ImplicitPrecompGemm = 1,
    Gemm = 2,
    Direct = 3,
    Fft = 4,
    FftTiling = 5,
    Winograd = 6,
    WinogradNonfused = 7,
}

/// <summary>cudnnMathType_t.</summary>
internal enum CudnnMathType
{
    Default = 0,
    TensorOp = 1,
    TensorOpAllowConversion = 2,
    Fma = 3,
}

/// <summary>cudnnActivationMode_t.</summary>
internal enum CudnnActivationMode
{
    Sigmoid = 0,
    Relu = 1,
    Tanh = 2,
    ClippedRelu = 3,
    Elu = 4,
    Identity = 5,
    Swish = 6,
}

/// <summary>cudnnPoolingMode_t.</summary>
internal enum CudnnPoolingMode
{
    Max = 0,
    AverageCountIncludePadding = 1,
    AverageCountExcludePadding = 2,
    MaxDeterministic = 3,
}

/// <summary>cudnnNanPropagation_t.</summary>
internal enum CudnnNanPropagation
{
    NotPropagate = 0,
    Propagate = 1,
}

/// <summary>cudnnSoftmaxAlgorithm_t.</summary>
internal enum CudnnSoftmaxAlgorithm
{
    Fast = 0,
    Accurate = 1,
    Log = 2,
}

/// <summary>cudnnSoftmaxMode_t.</summary>
internal enum CudnnSoftmaxMode
{
    Instance = 0,
    Channel = 1,
}

/// <summary>cudnnOpTensorOp_t.</summary>
internal enum CudnnOpTensorOp
{
    Add = 0,
    Mul = 1,
    Min = 2,
    Max = 3,
    Sqrt = 4,
    Not = 5,
}

/// <summary>cudnnLRNMode_t.</summary>
internal enum CudnnLrnMode
{
    CrossChannelDim1 = 0,
}

/// <summary>cudnnConvolutionFwdAlgoPerf_t (48 bytes: int, int, float, size_t at 16, int, int, int[3]).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CudnnConvolutionFwdAlgoPerf
{
    public CudnnConvolutionFwdAlgo Algo;
    public int Status;
    public float Time;
    public nuint Memory;
    public int Determinism;
    public CudnnMathType MathType;
    public int Reserved0;
    public int Reserved1;
    public int Reserved2;
}

/// <summary>
/// cuDNN 9's legacy (descriptor) API: the handle, tensor/filter/convolution descriptors, convolution forward (plain and
/// fused bias + activation), pooling, activation, softmax, LRN, op-tensor, add-tensor and transform-tensor. Every
/// function returns a cudnnStatus_t (0 = success). Scaling factors (alpha, beta) are host pointers to float for FP32
/// and FP16 data alike.
/// </summary>
internal static unsafe partial class CudnnApi
{
    public const int Success = 0;

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetVersion")]
    public static partial nuint GetVersion();

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetCudartVersion")]
    public static partial nuint GetCudartVersion();

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetErrorString")]
    public static partial nint GetErrorString(int status);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreate")]
    public static partial int Create(out nint handle);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroy")]
    public static partial int Destroy(nint handle);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetStream")]
    public static partial int SetStream(nint handle, nint stream);

    // Tensor descriptors.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateTensorDescriptor")]
    public static partial int CreateTensorDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyTensorDescriptor")]
    public static partial int DestroyTensorDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetTensor4dDescriptor")]
    public static partial int SetTensor4dDescriptor(nint descriptor, CudnnTensorFormat format, CudnnDataType dataType, int n, int c, int h, int w);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetTensor4dDescriptorEx")]
    public static partial int SetTensor4dDescriptorEx(nint descriptor, CudnnDataType dataType, int n, int c, int h, int w,
        int nStride, int cStride, int hStride, int wStride);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetTensorNdDescriptor")]
    public static partial int SetTensorNdDescriptor(nint descriptor, CudnnDataType dataType, int dimensions, int* dims, int* strides);

    // Filter descriptors.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateFilterDescriptor")]
    public static partial int CreateFilterDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyFilterDescriptor")]
    public static partial int DestroyFilterDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetFilter4dDescriptor")]
    public static partial int SetFilter4dDescriptor(nint descriptor, CudnnDataType dataType, CudnnTensorFormat format, int k, int c, int h, int w);

    // Convolution.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateConvolutionDescriptor")]
    public static partial int CreateConvolutionDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyConvolutionDescriptor")]
    public static partial int DestroyConvolutionDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetConvolution2dDescriptor")]
    public static partial int SetConvolution2dDescriptor(nint descriptor, int padH, int padW, int strideH, int strideW,
        int dilationH, int dilationW, CudnnConvolutionMode mode, CudnnDataType computeType);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetConvolutionGroupCount")]
    public static partial int SetConvolutionGroupCount(nint descriptor, int groups);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetConvolutionMathType")]
    public static partial int SetConvolutionMathType(nint descriptor, CudnnMathType mathType);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetConvolution2dForwardOutputDim")]
    public static partial int GetConvolution2dForwardOutputDim(nint convolution, nint input, nint filter, out int n, out int c, out int h, out int w);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetConvolutionForwardAlgorithm_v7")]
    public static partial int GetConvolutionForwardAlgorithmV7(nint handle, nint x, nint w, nint convolution, nint y,
        int requested, out int returned, CudnnConvolutionFwdAlgoPerf* results);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnFindConvolutionForwardAlgorithmEx")]
    public static partial int FindConvolutionForwardAlgorithmEx(nint handle, nint xDesc, nint x, nint wDesc, nint w, nint convolution,
        nint yDesc, nint y, int requested, out int returned, CudnnConvolutionFwdAlgoPerf* results, nint workspace, nuint workspaceBytes);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnGetConvolutionForwardWorkspaceSize")]
    public static partial int GetConvolutionForwardWorkspaceSize(nint handle, nint x, nint w, nint convolution, nint y,
        CudnnConvolutionFwdAlgo algo, out nuint bytes);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnConvolutionForward")]
    public static partial int ConvolutionForward(nint handle, float* alpha, nint xDesc, nint x, nint wDesc, nint w, nint convolution,
        CudnnConvolutionFwdAlgo algo, nint workspace, nuint workspaceBytes, float* beta, nint yDesc, nint y);

    /// <summary>y = act(alpha1·conv(x, w) + alpha2·z + bias); act must be ReLU, or identity with IMPLICIT_PRECOMP_GEMM.</summary>
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnConvolutionBiasActivationForward")]
    public static partial int ConvolutionBiasActivationForward(nint handle, float* alpha1, nint xDesc, nint x, nint wDesc, nint w,
        nint convolution, CudnnConvolutionFwdAlgo algo, nint workspace, nuint workspaceBytes, float* alpha2, nint zDesc, nint z,
        nint biasDesc, nint bias, nint activation, nint yDesc, nint y);

    // Activation.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateActivationDescriptor")]
    public static partial int CreateActivationDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyActivationDescriptor")]
    public static partial int DestroyActivationDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetActivationDescriptor")]
    public static partial int SetActivationDescriptor(nint descriptor, CudnnActivationMode mode, CudnnNanPropagation nan, double coef);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnActivationForward")]
    public static partial int ActivationForward(nint handle, nint activation, float* alpha, nint xDesc, nint x, float* beta, nint yDesc, nint y);

    // Pooling.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreatePoolingDescriptor")]
    public static partial int CreatePoolingDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyPoolingDescriptor")]
    public static partial int DestroyPoolingDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetPooling2dDescriptor")]
    public static partial int SetPooling2dDescriptor(nint descriptor, CudnnPoolingMode mode, CudnnNanPropagation nan,
        int windowH, int windowW, int padH, int padW, int strideH, int strideW);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnPoolingForward")]
    public static partial int PoolingForward(nint handle, nint pooling, float* alpha, nint xDesc, nint x, float* beta, nint yDesc, nint y);

    // Softmax.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSoftmaxForward")]
    public static partial int SoftmaxForward(nint handle, CudnnSoftmaxAlgorithm algorithm, CudnnSoftmaxMode mode,
        float* alpha, nint xDesc, nint x, float* beta, nint yDesc, nint y);

    // LRN.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateLRNDescriptor")]
    public static partial int CreateLrnDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyLRNDescriptor")]
    public static partial int DestroyLrnDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetLRNDescriptor")]
    public static partial int SetLrnDescriptor(nint descriptor, uint n, double alpha, double beta, double k);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnLRNCrossChannelForward")]
    public static partial int LrnCrossChannelForward(nint handle, nint lrn, CudnnLrnMode mode, float* alpha, nint xDesc, nint x,
        float* beta, nint yDesc, nint y);

    // Op-tensor, add-tensor, transform-tensor.
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnCreateOpTensorDescriptor")]
    public static partial int CreateOpTensorDescriptor(out nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnDestroyOpTensorDescriptor")]
    public static partial int DestroyOpTensorDescriptor(nint descriptor);

    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnSetOpTensorDescriptor")]
    public static partial int SetOpTensorDescriptor(nint descriptor, CudnnOpTensorOp op, CudnnDataType computeType, CudnnNanPropagation nan);

    /// <summary>C = op(alpha1·A, alpha2·B) + beta·C; B may broadcast (each dimension equal to C's or 1).</summary>
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnOpTensor")]
    public static partial int OpTensor(nint handle, nint opTensor, float* alpha1, nint aDesc, nint a, float* alpha2, nint bDesc, nint b,
        float* beta, nint cDesc, nint c);

    /// <summary>C = alpha·A + beta·C; A may broadcast (each dimension equal to C's or 1).</summary>
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnAddTensor")]
    public static partial int AddTensor(nint handle, float* alpha, nint aDesc, nint a, float* beta, nint cDesc, nint c);

    /// <summary>y = alpha·x + beta·y with different strides (layout change, transpose, strided copy).</summary>
    [LibraryImport(CudaLibraries.CudnnName, EntryPoint = "cudnnTransformTensor")]
    public static partial int TransformTensor(nint handle, float* alpha, nint xDesc, nint x, float* beta, nint yDesc, nint y);

    /// <summary>The library's text for a status code.</summary>
    public static string ErrorText(int status)
    {
        nint text = GetErrorString(status);
        return text == 0 ? $"cudnnStatus {status}" : $"{Marshal.PtrToStringUTF8(text)} (cudnnStatus {status})";
    }

    /// <summary>Throws <see cref="ErrorCode.InferenceFailed"/> naming the call when <paramref name="status"/> is not success.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw new LightNetException(ErrorCode.InferenceFailed, $"cuDNN call {call} failed: {ErrorText(status)}.");
        }
    }
}

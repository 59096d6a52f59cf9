using System.Globalization;
using LightNet.Backends.Cudnn.Native;

namespace LightNet.Backends.Cudnn;

/// <summary>A place in device memory: a plan buffer and an element offset into it.</summary>
/// <param name="Buffer">Index into <see cref="CudnnPlan.Buffers"/>.</param>
/// <param name="Offset">Offset in elements.</param>
internal readonly record struct DeviceRef(int Buffer, long Offset = 0)
{
    /// <summary>The same buffer, <paramref name="elements"/> further on.</summary>
    public DeviceRef At(long elements) => this with { Offset = Offset + elements };
}

/// <summary>A cuDNN tensor descriptor's dimensions and strides (in elements), at least four dimensions.</summary>
/// <param name="Dims">Dimensions.</param>
/// <param name="Strides">Strides in elements.</param>
internal sealed record TensorLayout(int[] Dims, int[] Strides)
{
    /// <summary>A packed (row-major) layout of <paramref name="dims"/>, padded with leading 1s to <paramref name="rank"/> dimensions.</summary>
    public static TensorLayout Packed(IReadOnlyList<long> dims, int rank = 4)
    {
        int r = Math.Max(rank, dims.Count);
        int[] d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int j = i - (r - dims.Count);
            d[i] = j < 0 ? 1 : checked((int)dims[j]);
        }

        return new TensorLayout(d, PackedStrides(d));
    }

    /// <summary>Row-major strides of <paramref name="dims"/>.</summary>
    public static int[] PackedStrides(int[] dims)
    {
        int[] s = new int[dims.Length];
        long stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            s[i] = checked((int)stride);
            stride *= dims[i];
        }

        return s;
    }

    /// <summary>Elements the layout spans.</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(",", Dims) + "]";
}

/// <summary>One call the plan makes on the GPU, by the library function it names.</summary>
internal abstract record CudnnCall
{
    /// <summary>The cuDNN, cuBLAS or CUDA runtime function called.</summary>
    public abstract string Function { get; }

    /// <summary>Shapes and parameters, for listings.</summary>
    public abstract string Detail { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Function} {Detail}";

    /// <summary>Formats a float for a listing.</summary>
    protected static string F(float v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>
/// Convolution: <c>cudnnConvolutionBiasActivationForward</c> (y = relu(conv(x) + z + bias)) when <see cref="Fused"/>,
/// else <c>cudnnConvolutionForward</c> (y = conv(x) + Beta·y).
/// </summary>
internal sealed record ConvCall(
    DeviceRef X, TensorLayout XLayout, DeviceRef W, int[] FilterDims, DeviceRef Y, TensorLayout YLayout,
    int PadH, int PadW, int StrideH, int StrideW, int DilationH, int DilationW, int Groups,
    bool Fused, DeviceRef? Bias, DeviceRef? Z, float Beta) : CudnnCall
{
    public override string Function => Fused ? "cudnnConvolutionBiasActivationForward" : "cudnnConvolutionForward";

    public override string Detail =>
        $"x{XLayout} w[{string.Join(",", FilterDims)}] -> y{YLayout} pad {PadH},{PadW} stride {StrideH},{StrideW}" +
        (DilationH * DilationW != 1 ? $" dilation {DilationH},{DilationW}" : "") + (Groups != 1 ? $" groups {Groups}" : "") +
        (Fused ? " +bias +relu" + (Z is null ? "" : " +residual") : Beta != 0 ? " +=y" : "");
}

/// <summary><c>cudnnAddTensor</c>: C = Alpha·A + Beta·C, A broadcast over C (bias add, nearest upsampling).</summary>
internal sealed record AddTensorCall(DeviceRef A, TensorLayout ALayout, DeviceRef C, TensorLayout CLayout, float Alpha, float Beta) : CudnnCall
{
    public override string Function => "cudnnAddTensor";

    public override string Detail => $"{F(Alpha)}·a{ALayout} + {F(Beta)}·c{CLayout}";
}

/// <summary><c>cudnnActivationForward</c>: y = act(x).</summary>
internal sealed record ActivationCall(CudnnActivationMode Mode, double Coef, DeviceRef X, DeviceRef Y, TensorLayout Layout) : CudnnCall
{
    public override string Function => "cudnnActivationForward";

    public override string Detail => $"{Mode}{(Mode == CudnnActivationMode.ClippedRelu ? "(" + Coef.ToString(CultureInfo.InvariantCulture) + ")" : "")} {Layout}";
}

/// <summary><c>cudnnOpTensor</c>: C = op(Alpha1·A, Alpha2·B) + Beta·C, B broadcast over C.</summary>
internal sealed record OpTensorCall(CudnnOpTensorOp Op, DeviceRef A, TensorLayout ALayout, float Alpha1, DeviceRef B, TensorLayout BLayout, float Alpha2,
    DeviceRef C, TensorLayout CLayout, float Beta) : CudnnCall
{
    public override string Function => "cudnnOpTensor";

    public override string Detail => $"{Op}({F(Alpha1)}·a{ALayout}, {F(Alpha2)}·b{BLayout}) -> c{CLayout}";
}

/// <summary><c>cudnnPoolingForward</c>.</summary>
internal sealed record PoolingCall(CudnnPoolingMode Mode, int WindowH, int WindowW, int PadH, int PadW, int StrideH, int StrideW,
    DeviceRef X, TensorLayout XLayout, DeviceRef Y, TensorLayout YLayout) : CudnnCall
{
    public override string Function => "cudnnPoolingForward";

    public override string Detail => $"{Mode} {WindowH}x{WindowW} pad {PadH},{PadW} stride {StrideH},{StrideW} x{XLayout} -> y{YLayout}";
}

/// <summary><c>cudnnSoftmaxForward</c> over the C dimension of <see cref="Layout"/>.</summary>
internal sealed record SoftmaxCall(bool Log, DeviceRef X, DeviceRef Y, TensorLayout Layout) : CudnnCall
{
    public override string Function => "cudnnSoftmaxForward";

    public override string Detail => $"{(Log ? "log " : "")}channel {Layout}";
}

/// <summary><c>cudnnLRNCrossChannelForward</c>.</summary>
internal sealed record LrnCall(int Size, double Alpha, double Beta, double K, DeviceRef X, DeviceRef Y, TensorLayout Layout) : CudnnCall
{
    public override string Function => "cudnnLRNCrossChannelForward";

    public override string Detail => $"n={Size} alpha={Alpha.ToString(CultureInfo.InvariantCulture)} beta={Beta.ToString(CultureInfo.InvariantCulture)} k={K.ToString(CultureInfo.InvariantCulture)} {Layout}";
}

/// <summary><c>cudnnTransformTensor</c>: y = x read through <see cref="XLayout"/>'s strides (transpose, channel shuffle).</summary>
internal sealed record TransformCall(DeviceRef X, TensorLayout XLayout, DeviceRef Y, TensorLayout YLayout) : CudnnCall
{
    public override string Function => "cudnnTransformTensor";

    public override string Detail => $"x{XLayout} strides [{string.Join(",", XLayout.Strides)}] -> y{YLayout}";
}

/// <summary>
/// A column-major cuBLAS GEMM (<c>cublasSgemm_v2</c> in FP32, <c>cublasGemmEx</c> FP16 with FP32 compute):
/// C[M×N] = Alpha·op(A)·op(B) + Beta·C.
/// </summary>
internal sealed record GemmCall(bool TransA, bool TransB, int M, int N, int K, DeviceRef A, int Lda, DeviceRef B, int Ldb,
    DeviceRef C, int Ldc, float Alpha, float Beta, bool Fp16) : CudnnCall
{
    public override string Function => Fp16 ? "cublasGemmEx" : "cublasSgemm_v2";

    public override string Detail => $"{(TransA ? "T" : "N")}{(TransB ? "T" : "N")} m={M} n={N} k={K}{(Beta != 0 ? " +=C" : "")}";
}

/// <summary><c>cudaMemcpy2DAsync</c> device to device: Height rows of Width elements between pitched buffers (concat, split, copies).</summary>
internal sealed record CopyCall(DeviceRef Destination, long DestinationPitch, DeviceRef Source, long SourcePitch, long Width, long Height) : CudnnCall
{
    public override string Function => "cudaMemcpy2DAsync";

    public override string Detail => $"{Height}x{Width} pitch {SourcePitch}->{DestinationPitch}";
}

/// <summary>The calls for one node of the optimized graph.</summary>
/// <param name="Node">The node's name (for profiles).</param>
/// <param name="OpType">The node's op after optimisation.</param>
/// <param name="Calls">The calls, in order; empty for a view (Reshape, Flatten, ...).</param>
internal sealed record CudnnStep(string Node, string OpType, IReadOnlyList<CudnnCall> Calls)
{
    /// <inheritdoc />
    public override string ToString() => $"{OpType} '{Node}': {(Calls.Count == 0 ? "view" : string.Join("; ", Calls))}";
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// ONNX Softmax / LogSoftmax, prepared from the input dims and axis. Opset ≥ 13: normalises along the single axis
/// (x seen as [Outer, N, Inner], N = dims[axis]). Opset &lt; 13 (<c>flattenTo2D</c>): x is coerced to 2-D
/// [prod(dims[..axis]), prod(dims[axis..])] and each row is normalised (the default axis there is 1).
/// Numerically stable: y = exp(x - max) / Σ exp(x - max); log: y = x - max - log Σ exp(x - max).
/// x and y dense, same dims; in place (x == y) allowed. Split statically over Outer rows. Run is not reentrant.
/// </summary>
internal sealed unsafe class SoftmaxKernel : IParallelWork
{
    private const int InnerBlock = 512;
    private float* _x;
    private float* _y;

    private SoftmaxKernel(bool log, int outer, int n, int inner)
    {
        Log = log;
        Outer = outer;
        N = n;
        Inner = inner;
    }

    /// <summary>LogSoftmax instead of Softmax.</summary>
    public bool Log { get; }

    /// <summary>Independent groups before the axis.</summary>
    public int Outer { get; }

    /// <summary>Length of the normalised axis.</summary>
    public int N { get; }

    /// <summary>Elements after the axis (1 with flattenTo2D).</summary>
    public int Inner { get; }

    /// <summary>Prepares the kernel.</summary>
    /// <param name="dims">Dims of x and y.</param>
    /// <param name="axis">ONNX axis (negative allowed).</param>
    /// <param name="log">LogSoftmax.</param>
    /// <param name="flattenTo2D">Opset &lt; 13 semantics.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a bad axis.</exception>
    public static SoftmaxKernel Create(int[] dims, long axis, bool log, bool flattenTo2D)
    {
        int a = OpShapes.Axis(axis, dims.Length, log ? "LogSoftmax" : "Softmax");
        int outer = OpShapes.Product(dims, 0, a);
        return flattenTo2D
            ? new SoftmaxKernel(log, outer, OpShapes.Product(dims, a), 1)
            : new SoftmaxKernel(log, outer, dims.Length == 0 ? 1 : dims[a], OpShapes.Product(dims, a + 1));
    }

    /// <summary>y = softmax(x) (or log-softmax).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, Outer, (long)Outer * N * Inner * 8);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        long group = (long)N * Inner;
        for (int o = begin; o < end; o++)
        {
            float* x = _x + (o * group);
            float* y = _y + (o * group);
            if (Inner == 1)
            {
                Row(x, y);
            }
            else
            {
                for (int j = 0; j < Inner; j += InnerBlock)
                {
                    Columns(x + j, y + j, Math.Min(InnerBlock, Inner - j));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row(float* xp, float* yp)
    {
        var x = new ReadOnlySpan<float>(xp, N);
        var y = new Span<float>(yp, N);
        float max = TensorPrimitives.Max(x);
        if (Log)
        {
            // Σ exp(x - max) through a stack block, so y (possibly x itself) is written once at the end.
            Span<float> tmp = stackalloc float[Math.Min(N, 1024)];
            float sum = 0f;
            for (int i = 0; i < N; i += tmp.Length)
            {
                int len = Math.Min(tmp.Length, N - i);
                var t = tmp[..len];
                TensorPrimitives.Subtract(x.Slice(i, len), max, t);
                TensorPrimitives.Exp(t, t);
                sum += TensorPrimitives.Sum(t);
            }

            // (x - max) - log Σ, not x - (max + log Σ): keeps the precision of values near the max.
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
        }
        else
        {
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
        }
    }

    // Normalises `width` adjacent columns of an [N, Inner] group, vectorised across the columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Columns(float* x, float* y, int width)
    {
        Span<float> max = stackalloc float[width];
        Span<float> sum = stackalloc float[width];
        long stride = Inner;
        new ReadOnlySpan<float>(x, width).CopyTo(max);
        for (int k = 1; k < N; k++)
        {
            TensorPrimitives.Max(max, new ReadOnlySpan<float>(x + (k * stride), width), max);
        }

        sum.Clear();
        Span<float> tmp = stackalloc float[width];
        for (int k = 0; k < N; k++)
        {
            // LogSoftmax reads x again below, so it must not write y (possibly x itself) yet.
            var e = Log ? tmp : new Span<float>(y + (k * stride), width);
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(x + (k * stride), width), max, e);
            TensorPrimitives.Exp(e, e);
            TensorPrimitives.Add(sum, e, sum);
        }

        if (Log)
        {
            TensorPrimitives.Log(sum, sum);
            for (int k = 0; k < N; k++)
            {
                var yr = new Span<float>(y + (k * stride), width);
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(x + (k * stride), width), max, yr);
                TensorPrimitives.Subtract(yr, sum, yr);
            }
        }
        else
        {
            for (int k = 0; k < N; k++)
            {
                var yr = new Span<float>(y + (k * stride), width);
                TensorPrimitives.Divide(yr, sum, yr);
            }
        }
    }
}

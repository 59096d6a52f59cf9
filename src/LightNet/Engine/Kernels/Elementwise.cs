using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Element-wise activations over flat float arrays: <c>y[i] = act(x[i])</c> for i in [0, n). <c>x</c> and
/// <c>y</c> may be the same pointer (in place) but must not otherwise overlap. Relu, Clip, Sigmoid and Tanh go through
/// <see cref="TensorPrimitives"/>; LeakyRelu, HardSigmoid and HardSwish through Vector256/Vector128 loops that compute
/// exactly <see cref="Activation.Apply"/>'s formula.
/// </summary>
internal static unsafe class Elementwise
{
    private const int Chunk = 1 << 30;

    /// <summary>y[i] = act(x[i]) for i in [0, n), on the calling thread. Allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Activation act, float* x, float* y, long n)
    {
        while (n > 0)
        {
            int len = (int)Math.Min(n, Chunk);
            ApplyChunk(act, x, y, len);
            x += len;
            y += len;
            n -= len;
        }
    }

    private static void ApplyChunk(Activation act, float* x, float* y, int n)
    {
        var src = new ReadOnlySpan<float>(x, n);
        var dst = new Span<float>(y, n);
        switch (act.Kind)
        {
            case ActivationKind.None:
                if (x != y)
                {
                    src.CopyTo(dst);
                }

                break;
            case ActivationKind.Relu:
                TensorPrimitives.Max(src, 0f, dst);
                break;
            case ActivationKind.Clip:
                // Max then Min (not Clamp, which rejects min > max): the ONNX result min(max(x, lo), hi).
                TensorPrimitives.Max(src, act.Alpha, dst);
                TensorPrimitives.Min(dst, act.Beta, dst);
                break;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(src, dst);
                break;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(src, dst);
                break;
            case ActivationKind.LeakyRelu:
                LeakyRelu(x, y, n, act.Alpha);
                break;
            case ActivationKind.HardSigmoid:
                HardSigmoid(x, y, n, act.Alpha, act.Beta);
                break;
            case ActivationKind.HardSwish:
                HardSwish(x, y, n);
                break;
            default:
                throw new LightNetException(ErrorCode.UnsupportedOperator, $"Activation {act.Kind} has no element-wise kernel.");
        }
    }

    /// <summary>y = x ≥ 0 ? x : alpha·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeakyRelu(float* x, float* y, int n, float alpha)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256<float>.Zero), v, v * a).Store(y + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var a = Vector128.Create(alpha);
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.Load(x + i);
                Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(v, Vector128<float>.Zero), v, v * a).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            float v = x[i];
            y[i] = v >= 0f ? v : alpha * v;
        }
    }

    /// <summary>y = max(0, min(1, alpha·x + beta)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HardSigmoid(float* x, float* y, int n, float alpha, float beta)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(alpha);
            var b = Vector256.Create(beta);
            var one = Vector256.Create(1f);
            for (; i <= n - 8; i += 8)
            {
                var v = (Vector256.Load(x + i) * a) + b;
                Vector256.Max(Vector256<float>.Zero, Vector256.Min(one, v)).Store(y + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var a = Vector128.Create(alpha);
            var b = Vector128.Create(beta);
            var one = Vector128.Create(1f);
            for (; i <= n - 4; i += 4)
            {
                var v = (Vector128.Load(x + i) * a) + b;
                Vector128.Max(Vector128<float>.Zero, Vector128.Min(one, v)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] = MathF.Max(0f, MathF.Min(1f, (alpha * x[i]) + beta));
        }
    }

    /// <summary>y = x · max(0, min(1, x/6 + 1/2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HardSwish(float* x, float* y, int n)
    {
        const float Sixth = 1f / 6f;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(Sixth);
            var b = Vector256.Create(0.5f);
            var one = Vector256.Create(1f);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                (v * Vector256.Max(Vector256<float>.Zero, Vector256.Min(one, (v * a) + b))).Store(y + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var a = Vector128.Create(Sixth);
            var b = Vector128.Create(0.5f);
            var one = Vector128.Create(1f);
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.Load(x + i);
                (v * Vector128.Max(Vector128<float>.Zero, Vector128.Min(one, (v * a) + b))).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            float v = x[i];
            y[i] = v * MathF.Max(0f, MathF.Min(1f, (v * Sixth) + 0.5f));
        }
    }

    /// <summary>y[i] = x[i]·scale + shift (multiply then add, not fused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleShift(float* x, float scale, float shift, float* y, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(scale);
            var b = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
            {
                ((Vector256.Load(x + i) * a) + b).Store(y + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var a = Vector128.Create(scale);
            var b = Vector128.Create(shift);
            for (; i <= n - 4; i += 4)
            {
                ((Vector128.Load(x + i) * a) + b).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] = (x[i] * scale) + shift;
        }
    }

    /// <summary>PRelu with one slope for a whole run: y = x ≥ 0 ? x : slope·x (same as LeakyRelu).</summary>
    public static void PReluScalarSlope(float* x, float* y, int n, float slope) => LeakyRelu(x, y, n, slope);

    /// <summary>PRelu with a slope per element: y[i] = x[i] ≥ 0 ? x[i] : slope[i]·x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PReluVector(float* x, float* slope, float* y, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256<float>.Zero), v, v * Vector256.Load(slope + i)).Store(y + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.Load(x + i);
                Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(v, Vector128<float>.Zero), v, v * Vector128.Load(slope + i)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            float v = x[i];
            y[i] = v >= 0f ? v : slope[i] * v;
        }
    }

    /// <summary>PRelu with a scalar x against a slope run (x broadcast along the run): y[i] = x ≥ 0 ? x : slope[i]·x.</summary>
    public static void PReluScalarX(float x, float* slope, float* y, int n)
    {
        if (x >= 0f)
        {
            new Span<float>(y, n).Fill(x);
        }
        else
        {
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(slope, n), x, new Span<float>(y, n));
        }
    }
}

/// <summary>
/// A prepared element-wise activation over <see cref="Count"/> floats, split statically over the worker pool in
/// 16 K-float blocks: <c>y[i] = act(x[i])</c>. In place (x == y) is allowed. Run is not reentrant (one call at a time).
/// </summary>
internal sealed unsafe class ActivationKernel : IParallelWork
{
    private const int Block = 16384;
    private float* _x;
    private float* _y;

    private ActivationKernel(Activation activation, long count)
    {
        Activation = activation;
        Count = count;
    }

    /// <summary>The activation.</summary>
    public Activation Activation { get; }

    /// <summary>Number of elements per run.</summary>
    public long Count { get; }

    /// <summary>Prepares the kernel.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a negative count.</exception>
    public static ActivationKernel Create(Activation activation, long count)
    {
        if (count < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Activation {activation.Kind}: negative element count {count}.");
        }

        return new ActivationKernel(activation, count);
    }

    /// <summary>y = act(x) over <see cref="Count"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, (int)((Count + Block - 1) / Block), Count);
        _x = null;
        _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        long start = (long)begin * Block;
        long stop = Math.Min((long)end * Block, Count);
        Elementwise.Apply(Activation, _x + start, _y + start, stop - start);
    }
}

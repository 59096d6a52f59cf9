using System.Runtime.CompilerServices;
using LightNet.Engine.Kernels;

namespace LightNet.Engine;

/// <summary>One prepared node of a <see cref="CpuPlan"/>: pointers and kernels bound at compile time.</summary>
internal abstract unsafe class PlanStep : IDisposable
{
    protected PlanStep(OptimizedNode node)
    {
        Node = node;
    }

    public OptimizedNode Node { get; }

    /// <summary>Per-run scratch bytes this step needs (shared by all steps).</summary>
    public virtual long ScratchBytes => 0;

    /// <summary>The kernel variant, for profiles ("im2col-gemm-avx2", "broadcast", ...).</summary>
    public virtual string Algorithm => Node.OpType;

    public abstract void Execute(byte* scratch, WorkerPool pool);

    public virtual void Dispose()
    {
    }
}

/// <summary>Conv with fused bias, residual and activation, one image at a time.</summary>
internal sealed unsafe class ConvStep(OptimizedNode node, Conv2dKernel kernel, float* x, float* y, float* residual, int batch, long inStride, long outStride)
    : PlanStep(node)
{
    public override long ScratchBytes => kernel.ScratchBytes;

    public override string Algorithm => kernel.Algorithm;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(byte* scratch, WorkerPool pool)
    {
        for (int n = 0; n < batch; n++)
        {
            kernel.Run(x + (n * inStride), y + (n * outStride), residual == null ? null : residual + (n * outStride), scratch, pool);
        }
    }

    public override void Dispose() => kernel.Dispose();
}

/// <summary>
/// A depthwise convolution and the 1×1 convolution that alone reads it, fused band by band (one image): the step of the
/// 1×1 node, whose profile name it keeps (per-operator profiling sessions compile the pair as two steps).
/// </summary>
internal sealed unsafe class DepthwisePointwiseStep(OptimizedNode node, OptimizedNode depthwise, ConvDepthwisePointwise kernel, float* x, float* y, float* residual)
    : PlanStep(node)
{
    /// <summary>The depthwise node computed inside this step.</summary>
    public OptimizedNode Depthwise => depthwise;

    public override long ScratchBytes => kernel.ScratchBytes;

    public override string Algorithm => kernel.Algorithm;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(x, y, residual, scratch, pool);

    public override void Dispose() => kernel.Dispose();
}

/// <summary>Element-wise activation.</summary>
internal sealed unsafe class ActivationStep(OptimizedNode node, ActivationKernel kernel, float* x, float* y) : PlanStep(node)
{
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(x, y, pool);
}

/// <summary>Per-channel scale and shift (BatchNormalization not folded into a Conv) with fused activation.</summary>
internal sealed unsafe class ChannelAffineStep(OptimizedNode node, ChannelAffineKernel kernel, float* x, float* y) : PlanStep(node)
{
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(x, y, pool);
}

/// <summary>Add/Sub/Mul/Div/PRelu with broadcasting, or a blocked tensor times per-channel factors.</summary>
internal sealed unsafe class BinaryStep(OptimizedNode node, string algorithm, BinaryStep.Body body, float* a, float* b, float* y) : PlanStep(node)
{
    public delegate void Body(float* a, float* b, float* y, WorkerPool pool);

    public override string Algorithm => algorithm;

    public override void Execute(byte* scratch, WorkerPool pool) => body(a, b, y, pool);
}

/// <summary>Sum of n inputs.</summary>
internal sealed unsafe class SumStep(OptimizedNode node, SumKernel kernel, nint[] inputs, float* y) : PlanStep(node)
{
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(inputs, y, pool);
}

/// <summary>Concat along an axis.</summary>
internal sealed unsafe class ConcatStep(OptimizedNode node, ConcatKernel kernel, nint[] inputs, float* y) : PlanStep(node)
{
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(inputs, y, pool);
}

/// <summary>Split into several outputs.</summary>
internal sealed unsafe class SplitStep(OptimizedNode node, SplitKernel kernel, float* x, nint[] outputs) : PlanStep(node)
{
    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(x, outputs, pool);
}

/// <summary>A kernel with the (x, y, pool) shape: pooling, slice, transpose, softmax, LRN, resize.</summary>
internal sealed unsafe class UnaryStep(OptimizedNode node, string algorithm, UnaryStep.Body body, float* x, float* y) : PlanStep(node)
{
    public delegate void Body(float* x, float* y, WorkerPool pool);

    public override string Algorithm => algorithm;

    public override void Execute(byte* scratch, WorkerPool pool) => body(x, y, pool);
}

/// <summary>Quantize-dequantize rounding of an activation (a QuantizeLinear→DequantizeLinear pair).</summary>
internal sealed unsafe class FakeQuantStep : PlanStep, IParallelWork
{
    private readonly float* _x;
    private readonly float* _y;
    private readonly float[] _p;
    private readonly int _channels;
    private readonly long _outer;
    private readonly long _inner;

    public FakeQuantStep(OptimizedNode node, float* x, float* y, long[] dims)
        : base(node)
    {
        _x = x;
        _y = y;
        _p = node.Parameters!;
        int axis = (int)node.IntParameters![0];
        _channels = (int)node.IntParameters[1];
        long count = Onnx.Shapes.ElementCount(dims);
        _inner = axis < 0 ? count : Onnx.Shapes.ElementCount(dims.AsSpan(axis + 1));
        _outer = axis < 0 ? 1 : Onnx.Shapes.ElementCount(dims.AsSpan(0, axis));
    }

    public override void Execute(byte* scratch, WorkerPool pool) => Execute(0, 1, 0);

    public void Execute(int begin, int end, int threadIndex)
    {
        float qmin = _p[0], qmax = _p[1];
        int c = _channels;
        long i = 0;
        for (long o = 0; o < _outer; o++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                float sq = _p[2 + ch], zq = _p[2 + c + ch], sd = _p[2 + (2 * c) + ch], zd = _p[2 + (3 * c) + ch];
                for (long k = 0; k < _inner; k++, i++)
                {
                    float q = MathF.Round(_x[i] / sq, MidpointRounding.ToEven) + zq;
                    q = MathF.Min(MathF.Max(q, qmin), qmax);
                    _y[i] = (q - zd) * sd;
                }

            }
        }
    }
}

/// <summary>Rounds float values to the nearest float16 (a run-time Cast to FP16; the engine keeps floats).</summary>
internal sealed unsafe class RoundToHalfStep(OptimizedNode node, float* x, float* y, long count) : PlanStep(node)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(byte* scratch, WorkerPool pool)
    {
        for (long i = 0; i < count; i++)
        {
            y[i] = (float)(Half)x[i];
        }
    }
}

/// <summary>Dense (Gemm/MatMul with constant weights) with fused bias, residual and activation.</summary>
internal sealed unsafe class DenseStep(OptimizedNode node, DenseKernel kernel, float* x, int rows, float* y, float* residual) : PlanStep(node)
{
    public override long ScratchBytes => kernel.ScratchBytes(rows);

    public override string Algorithm => "dense";

    public override void Execute(byte* scratch, WorkerPool pool) => kernel.Run(x, rows, y, residual, scratch, pool);

    public override void Dispose() => kernel.Dispose();
}

/// <summary>ConvTranspose with fused bias and activation, one image at a time.</summary>
internal sealed unsafe class ConvTransposeStep(OptimizedNode node, ConvTranspose2dKernel kernel, float* x, float* y, int batch, long inStride, long outStride)
    : PlanStep(node)
{
    public override long ScratchBytes => kernel.ScratchBytes;

    public override string Algorithm => kernel.Algorithm;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(byte* scratch, WorkerPool pool)
    {
        for (int n = 0; n < batch; n++)
        {
            kernel.Run(x + (n * inStride), y + (n * outStride), null, scratch, pool);
        }
    }

    public override void Dispose() => kernel.Dispose();
}

/// <summary>MatMul of two run-time operands (numpy batch broadcasting), one Sgemm per batch matrix.</summary>
internal sealed unsafe class MatMulStep : PlanStep
{
    private readonly float* _a;
    private readonly float* _b;
    private readonly float* _y;
    private readonly long[] _aOffsets;
    private readonly long[] _bOffsets;
    private readonly int _m;
    private readonly int _n;
    private readonly int _k;
    private readonly Isa _isa;

    public MatMulStep(OptimizedNode node, float* a, long[] aDims, float* b, long[] bDims, float* y, long[] yDims, Isa isa, int threads)
        : base(node)
    {
        if (aDims.Length < 2 || bDims.Length < 2)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"MatMul node '{node.Name}': 1-D operands are not supported ({Onnx.Dimension.Format(aDims)} × {Onnx.Dimension.Format(bDims)}).");
        }

        _a = a;
        _b = b;
        _y = y;
        _isa = isa;
        _m = (int)aDims[^2];
        _k = (int)aDims[^1];
        _n = (int)bDims[^1];
        long[] batch = yDims[..^2];
        int count = checked((int)Onnx.Shapes.ElementCount(batch));
        _aOffsets = new long[count];
        _bOffsets = new long[count];
        var idx = new long[batch.Length];
        for (int i = 0; i < count; i++)
        {
            _aOffsets[i] = Offset(aDims, idx, batch.Length) * _m * _k;
            _bOffsets[i] = Offset(bDims, idx, batch.Length) * _k * _n;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }

        ScratchBytes = Sgemm.ScratchBytes(_m, _n, _k, threads);
    }

    public override long ScratchBytes { get; }

    public override string Algorithm => "sgemm";

    private static long Offset(long[] dims, long[] idx, int batchRank)
    {
        int rank = dims.Length - 2;
        long off = 0;
        for (int d = 0; d < rank; d++)
        {
            long i = idx[batchRank - rank + d];
            off = (off * dims[d]) + (dims[d] == 1 ? 0 : i);
        }

        return off;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(byte* scratch, WorkerPool pool)
    {
        for (int i = 0; i < _aOffsets.Length; i++)
        {
            Sgemm.Multiply(false, false, _m, _n, _k, 1f, _a + _aOffsets[i], _k, _b + _bOffsets[i], _n, 0f, _y + ((long)i * _m * _n), _n, scratch, pool, _isa);
        }
    }
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>Which reduction <see cref="ReduceKernel"/> computes.</summary>
internal enum ReduceKind
{
    /// <summary>Arithmetic mean (ReduceMean).</summary>
    Mean,

    /// <summary>Sum (ReduceSum).</summary>
    Sum,
}

/// <summary>
/// ONNX ReduceMean / ReduceSum over a set of axes (empty: all axes, the ONNX default unless noop_with_empty_axes),
/// with keepdims. x dense row-major; y dense with <see cref="OutputDims"/> (reduced axes kept as 1 with keepdims,
/// removed without). Adjacent axes of the same kind are merged; the inner loop is a vector sum of a contiguous
/// run (reduced innermost, e.g. spatial mean of NCHW) or a vector add into the output row (kept innermost).
/// Accumulates in float in input order. x and y must not overlap. Single-threaded.
/// </summary>
internal sealed unsafe class ReduceKernel
{
    private readonly int[] _dims;       // merged input dims
    private readonly bool[] _reduced;   // per merged dim
    private readonly int[] _outStride;  // output stride per merged dim (0 when reduced)
    private readonly int _outCount;
    private readonly float _scale;

    private ReduceKernel(ReduceKind kind, int[] outDims, int[] dims, bool[] reduced, int[] outStride, int outCount, float scale)
    {
        Kind = kind;
        OutputDims = outDims;
        _dims = dims;
        _reduced = reduced;
        _outStride = outStride;
        _outCount = outCount;
        _scale = scale;
    }

    /// <summary>Mean or Sum.</summary>
    public ReduceKind Kind { get; }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Prepares the reduction.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an out-of-range or repeated axis.</exception>
    public static ReduceKernel Create(int[] inputDims, ReadOnlySpan<long> axes, bool keepDims, ReduceKind kind = ReduceKind.Mean)
    {
        int rank = inputDims.Length;
        var reduce = new bool[rank];
        if (axes.IsEmpty)
        {
            Array.Fill(reduce, true);
        }

        foreach (long axis in axes)
        {
            int a = OpShapes.Axis(axis, rank, "Reduce" + kind);
            if (reduce[a])
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Reduce{kind}: axis {a} is listed twice.");
            }

            reduce[a] = true;
        }

        var outDims = new List<int>();
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            if (reduce[d])
            {
                count *= inputDims[d];
                if (keepDims)
                {
                    outDims.Add(1);
                }
            }
            else
            {
                outDims.Add(inputDims[d]);
            }
        }

        var dims = new List<int>();
        var kinds = new List<bool>();
        for (int d = 0; d < rank; d++)
        {
            if (inputDims[d] == 1)
            {
                continue;
            }

            if (kinds.Count > 0 && kinds[^1] == reduce[d])
            {
                dims[^1] *= inputDims[d];
            }
            else
            {
                dims.Add(inputDims[d]);
                kinds.Add(reduce[d]);
            }
        }

        if (dims.Count == 0)
        {
            dims.Add(1);
            kinds.Add(true);
        }

        var outStride = new int[dims.Count];
        int s = 1;
        for (int d = dims.Count - 1; d >= 0; d--)
        {
            outStride[d] = kinds[d] ? 0 : s;
            s *= kinds[d] ? 1 : dims[d];
        }

        OpShapes.Product(inputDims);
        float scale = kind == ReduceKind.Mean ? (float)(1.0 / Math.Max(count, 1)) : 1f;
        int outCount = OpShapes.Product(outDims.ToArray());
        if (count == 0 && kind == ReduceKind.Mean)
        {
            scale = float.NaN;
        }

        return new ReduceKernel(kind, outDims.ToArray(), dims.ToArray(), kinds.ToArray(), outStride, outCount, scale);
    }

    /// <summary>y = reduce(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y)
    {
        var output = new Span<float>(y, _outCount);
        output.Clear();
        int rank = _dims.Length;
        int inner = _dims[rank - 1];
        bool innerReduced = _reduced[rank - 1];
        int outerRank = rank - 1;
        int rows = 1;
        for (int d = 0; d < outerRank; d++)
        {
            rows *= _dims[d];
        }

        Span<int> idx = stackalloc int[Math.Max(outerRank, 1)];
        idx.Clear();
        long outOff = 0;
        for (int row = 0; row < rows; row++)
        {
            var src = new ReadOnlySpan<float>(x + ((long)row * inner), inner);
            if (innerReduced)
            {
                y[outOff] += TensorPrimitives.Sum(src);
            }
            else
            {
                var dst = new Span<float>(y + outOff, inner);
                TensorPrimitives.Add(dst, src, dst);
            }

            for (int d = outerRank - 1; d >= 0; d--)
            {
                outOff += _outStride[d];
                if (++idx[d] < _dims[d])
                {
                    break;
                }

                outOff -= (long)_dims[d] * _outStride[d];
                idx[d] = 0;
            }
        }

        if (_scale != 1f)
        {
            TensorPrimitives.Multiply(output, _scale, output);
        }
    }
}

using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>Shape arithmetic shared by the non-GEMM kernels (prepare time only; nothing here runs per inference).</summary>
internal static class OpShapes
{
    /// <summary>Product of <paramref name="dims"/>[from..to), checked to fit an <see cref="int"/> element count.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a negative dimension or more than int.MaxValue elements.</exception>
    public static int Product(ReadOnlySpan<int> dims, int from = 0, int to = -1)
    {
        if (to < 0)
        {
            to = dims.Length;
        }

        long p = 1;
        for (int i = from; i < to; i++)
        {
            if (dims[i] < 0)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Shape {Format(dims)} has a negative dimension.");
            }

            p *= dims[i];
            if (p > int.MaxValue)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Shape {Format(dims)} has more than {int.MaxValue} elements.");
            }
        }

        return (int)p;
    }

    /// <summary>Row-major strides (in elements) of <paramref name="dims"/>.</summary>
    public static int[] Strides(ReadOnlySpan<int> dims)
    {
        var strides = new int[dims.Length];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= dims[i];
        }

        return strides;
    }

    /// <summary>Normalises an ONNX axis (negative counts from the end).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the axis is out of range.</exception>
    public static int Axis(long axis, int rank, string op)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{op}: axis {axis} is out of range for rank {rank}.");
        }

        return (int)a;
    }

    /// <summary>"[1,3,224,224]".</summary>
    public static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(",", dims.ToArray()) + "]";

    /// <summary>Runs <paramref name="work"/> on the pool when there is enough to share, else on the caller.</summary>
    /// <param name="pool">The pool, or null for the calling thread only.</param>
    /// <param name="work">The work.</param>
    /// <param name="items">Number of items.</param>
    /// <param name="elements">Approximate floats touched, to keep tiny operators off the pool.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(WorkerPool? pool, IParallelWork work, int items, long elements)
    {
        if (pool is null || pool.Threads == 1 || items <= 1 || elements < 16384)
        {
            if (items > 0)
            {
                work.Execute(0, items, 0);
            }
        }
        else
        {
            pool.Run(work, items);
        }
    }
}

/// <summary>
/// A prepared strided copy: <c>y[i0..ik] = x[offset + Σ i_d·inStride_d]</c> over dense output dims, with dimensions merged
/// where both sides are contiguous so the innermost loop is a block copy whenever possible. Slice and Transpose run on it.
/// </summary>
internal sealed unsafe class StridedCopy : IParallelWork
{
    private readonly int[] _outer;          // outer output dims (outermost first)
    private readonly int[] _outerStride;    // input stride for each outer dim
    private readonly int _inner;            // innermost run length
    private readonly int _innerStride;      // input stride of the innermost run (1 → block copy)
    private readonly int _offset;
    private readonly int _rows;
    private float* _x;
    private float* _y;

    /// <summary>Prepares the copy.</summary>
    /// <param name="outDims">Output dims (dense, row-major).</param>
    /// <param name="inStrides">Input stride in elements for each output dim (may be negative).</param>
    /// <param name="offset">Input element offset of output element 0.</param>
    public StridedCopy(ReadOnlySpan<int> outDims, ReadOnlySpan<int> inStrides, int offset)
    {
        var dims = new List<int>();
        var strides = new List<int>();
        for (int d = 0; d < outDims.Length; d++)
        {
            if (outDims[d] == 0)
            {
                dims.Clear();
                strides.Clear();
                dims.Add(0);
                strides.Add(1);
                break;
            }

            if (outDims[d] == 1)
            {
                continue;
            }

            // Merge into the previous dim when that one steps exactly over this one.
            if (dims.Count > 0 && strides[^1] == inStrides[d] * outDims[d])
            {
                dims[^1] *= outDims[d];
                strides[^1] = inStrides[d];
            }
            else
            {
                dims.Add(outDims[d]);
                strides.Add(inStrides[d]);
            }
        }

        if (dims.Count == 0)
        {
            dims.Add(1);
            strides.Add(1);
        }

        _inner = dims[^1];
        _innerStride = strides[^1];
        _outer = dims.Take(dims.Count - 1).ToArray();
        _outerStride = strides.Take(strides.Count - 1).ToArray();
        _offset = offset;
        _rows = OpShapes.Product(_outer);
        Elements = (long)_rows * _inner;
    }

    /// <summary>Number of floats written.</summary>
    public long Elements { get; }

    /// <summary>True when the innermost run is a contiguous block copy.</summary>
    public bool InnerIsContiguous => _innerStride == 1;

    /// <summary>Length of the innermost run after merging.</summary>
    public int InnerLength => _inner;

    /// <summary>Copies; <paramref name="x"/> and <paramref name="y"/> must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        if (Elements == 0)
        {
            return;
        }

        _x = x;
        _y = y;
        OpShapes.Run(pool, this, _rows, Elements);
        _x = null;
        _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int rank = _outer.Length;
        Span<int> idx = stackalloc int[Math.Max(rank, 1)];
        int rem = begin;
        long src = _offset;
        for (int d = rank - 1; d >= 0; d--)
        {
            idx[d] = rem % _outer[d];
            rem /= _outer[d];
            src += (long)idx[d] * _outerStride[d];
        }

        float* x = _x;
        float* dst = _y + ((long)begin * _inner);
        int inner = _inner;
        int innerStride = _innerStride;
        for (int row = begin; row < end; row++)
        {
            float* s = x + src;
            if (innerStride == 1)
            {
                Buffer.MemoryCopy(s, dst, (long)inner * sizeof(float), (long)inner * sizeof(float));
            }
            else
            {
                for (int i = 0; i < inner; i++)
                {
                    dst[i] = s[(long)i * innerStride];
                }
            }

            dst += inner;
            for (int d = rank - 1; d >= 0; d--)
            {
                src += _outerStride[d];
                if (++idx[d] < _outer[d])
                {
                    break;
                }

                src -= (long)_outer[d] * _outerStride[d];
                idx[d] = 0;
            }
        }
    }
}

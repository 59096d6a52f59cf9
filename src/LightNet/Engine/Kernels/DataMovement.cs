using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>
/// ONNX Concat along <see cref="Axis"/>: inputs dense row-major with equal dims except on the axis; y has
/// <see cref="OutputDims"/>. Runs as Outer × (one block copy per input), Outer = product of the dims before the axis
/// (for NCHW channel concat: one copy of C_i·H·W floats per input and image), shared between the pool's threads by
/// <see cref="PartsCopy"/>. Inputs must not overlap y. Run is not reentrant.
/// </summary>
internal sealed unsafe class ConcatKernel
{
    private readonly PartsCopy _copy;

    private ConcatKernel(int axis, int[] outDims, long[] blocks, int outer)
    {
        Axis = axis;
        OutputDims = outDims;
        _copy = new PartsCopy(blocks, outer, toWhole: true);
    }

    /// <summary>The normalised axis.</summary>
    public int Axis { get; }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Prepares the concat; <paramref name="axis"/> may be negative.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when ranks or non-axis dims differ;
    /// <see cref="ErrorCode.InvalidArgument"/> for no inputs or a bad axis.</exception>
    public static ConcatKernel Create(IReadOnlyList<int[]> inputDims, long axis)
    {
        if (inputDims.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Concat needs at least one input.");
        }

        int rank = inputDims[0].Length;
        int a = OpShapes.Axis(axis, rank, "Concat");
        int[] outDims = (int[])inputDims[0].Clone();
        outDims[a] = 0;
        foreach (int[] d in inputDims)
        {
            bool same = d.Length == rank;
            for (int i = 0; same && i < rank; i++)
            {
                same = i == a || d[i] == inputDims[0][i];
            }

            if (!same)
            {
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Concat on axis {a}: input {OpShapes.Format(d)} does not match {OpShapes.Format(inputDims[0])} off the axis.");
            }

            outDims[a] += d[a];
        }

        int inner = OpShapes.Product(outDims, a + 1);
        OpShapes.Product(outDims);
        long[] blocks = inputDims.Select(d => (long)d[a] * inner).ToArray();
        return new ConcatKernel(a, outDims, blocks, OpShapes.Product(outDims, 0, a));
    }

    /// <summary>y = concat(inputs); <paramref name="inputs"/> holds one float* per input, in order.</summary>
    public void Run(nint[] inputs, float* y, WorkerPool? pool = null) => _copy.Run(inputs, y, pool);
}

/// <summary>
/// ONNX Split along <see cref="Axis"/> into parts of the given sizes (the inverse of <see cref="ConcatKernel"/>):
/// x dense row-major; output i has <see cref="OutputDims"/>[i]. Shared between the pool's threads by
/// <see cref="PartsCopy"/>. Outputs must not overlap x. Run is not reentrant.
/// </summary>
internal sealed unsafe class SplitKernel
{
    private readonly PartsCopy _copy;

    private SplitKernel(int axis, int[][] outDims, long[] blocks, int outer)
    {
        Axis = axis;
        OutputDims = outDims;
        _copy = new PartsCopy(blocks, outer, toWhole: false);
    }

    /// <summary>The normalised axis.</summary>
    public int Axis { get; }

    /// <summary>Dims of each output.</summary>
    public int[][] OutputDims { get; }

    /// <summary>
    /// Prepares the split. <paramref name="sizes"/>: the ONNX <c>split</c> values; empty means <paramref name="outputs"/>
    /// equal parts (the last one smaller when the axis does not divide, as in opset 18's num_outputs).
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when the sizes do not add up to the axis;
    /// <see cref="ErrorCode.InvalidArgument"/> for a bad axis or output count.</exception>
    public static SplitKernel Create(int[] inputDims, long axis, ReadOnlySpan<long> sizes, int outputs)
    {
        int a = OpShapes.Axis(axis, inputDims.Length, "Split");
        int len = inputDims[a];
        long[] parts;
        if (sizes.IsEmpty)
        {
            if (outputs < 1)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Split needs at least one output (got {outputs}).");
            }

            int chunk = (len + outputs - 1) / outputs;
            parts = Enumerable.Range(0, outputs).Select(i => (long)Math.Max(0, Math.Min(chunk, len - (i * chunk)))).ToArray();
            if (len % outputs != 0 && parts.Any(p => p == 0))
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Split: axis {a} of {OpShapes.Format(inputDims)} cannot be split into {outputs} parts.");
            }
        }
        else
        {
            parts = sizes.ToArray();
        }

        if (parts.Any(p => p < 0) || parts.Sum() != len)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Split: sizes [{string.Join(",", parts)}] do not add up to axis {a} of {OpShapes.Format(inputDims)}.");
        }

        int inner = OpShapes.Product(inputDims, a + 1);
        var outDims = parts.Select(p =>
        {
            int[] d = (int[])inputDims.Clone();
            d[a] = (int)p;
            return d;
        }).ToArray();
        return new SplitKernel(a, outDims, parts.Select(p => p * inner).ToArray(), OpShapes.Product(inputDims, 0, a));
    }

    /// <summary>Splits x into <paramref name="outputs"/> (one float* per output, in order).</summary>
    public void Run(float* x, nint[] outputs, WorkerPool? pool = null) => _copy.Run(outputs, x, pool);
}

/// <summary>
/// The copy behind Concat and Split: a whole tensor laid out as Outer × (block 0 | block 1 | ...) against its parts,
/// part i being Outer × block i (contiguous). The whole side is cut into pieces of <see cref="PieceFloats"/> floats
/// that the pool's threads claim, each piece copied segment by segment (a segment: the stretch of the piece inside one
/// part's block), so a channel concat of two equal inputs is shared evenly however few the blocks. Run is not reentrant.
/// </summary>
internal sealed unsafe class PartsCopy : IParallelWork
{
    /// <summary>Floats per work item (64 KiB): enough to amortise claiming, small enough to share a 13×13×512 concat.</summary>
    public const int PieceFloats = 16384;

    private readonly long[] _blocks;
    private readonly long[] _starts;   // offset of block i within one outer step of the whole
    private readonly int _outer;
    private readonly long _wholeBlock;
    private readonly bool _toWhole;
    private nint[]? _parts;
    private float* _whole;

    /// <param name="blocks">Floats per outer step, per part.</param>
    /// <param name="outer">Outer steps.</param>
    /// <param name="toWhole">True: parts → whole (Concat); false: whole → parts (Split).</param>
    public PartsCopy(long[] blocks, int outer, bool toWhole)
    {
        _blocks = blocks;
        _starts = new long[blocks.Length];
        for (int i = 1; i < blocks.Length; i++)
        {
            _starts[i] = _starts[i - 1] + blocks[i - 1];
        }

        _outer = outer;
        _wholeBlock = blocks.Sum();
        _toWhole = toWhole;
    }

    private long Total => _wholeBlock * _outer;

    /// <summary>Copies between <paramref name="parts"/> (one float* per part) and <paramref name="whole"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(nint[] parts, float* whole, WorkerPool? pool)
    {
        _parts = parts;
        _whole = whole;
        OpShapes.Run(pool, this, checked((int)((Total + PieceFloats - 1) / PieceFloats)), Total);
        _parts = null;
        _whole = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        long f = (long)begin * PieceFloats, stop = Math.Min(Total, (long)end * PieceFloats);
        while (f < stop)
        {
            // The segment starting at whole offset f: outer step o, part i, offset r inside that part's block.
            long o = f / _wholeBlock, within = f - (o * _wholeBlock);
            int i = _blocks.Length - 1;
            while (_starts[i] > within || _blocks[i] == 0)
            {
                i--;
            }

            long r = within - _starts[i];
            long n = Math.Min(_blocks[i] - r, stop - f);
            float* partAt = (float*)_parts![i] + (o * _blocks[i]) + r;
            float* wholeAt = _whole + f;
            long bytes = n * sizeof(float);
            if (_toWhole)
            {
                Buffer.MemoryCopy(partAt, wholeAt, bytes, bytes);
            }
            else
            {
                Buffer.MemoryCopy(wholeAt, partAt, bytes, bytes);
            }

            f += n;
        }
    }
}

/// <summary>
/// ONNX Slice (opset 10+ semantics; opset 1–9 is the same with all steps 1): for each listed axis, start/end are
/// clamped as the spec says (negative values count from the end; positive step: start and end in [0, dim]; negative
/// step: start in [0, dim-1], end in [-1, dim-1]), count = ceil((end - start) / step) if positive. x dense row-major,
/// y dense with <see cref="OutputDims"/>. Runs as a <see cref="StridedCopy"/> (block copies when the last axis is
/// unsliced or step 1). x and y must not overlap. Run is not reentrant.
/// </summary>
internal sealed unsafe class SliceKernel
{
    private readonly StridedCopy _copy;

    private SliceKernel(int[] outDims, StridedCopy copy)
    {
        OutputDims = outDims;
        _copy = copy;
    }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Prepares the slice.</summary>
    /// <param name="inputDims">Dims of x.</param>
    /// <param name="starts">Starts, one per listed axis.</param>
    /// <param name="ends">Ends, one per listed axis (long.MaxValue / MinValue allowed).</param>
    /// <param name="axes">Axes (negative allowed); empty means 0..starts.Length-1.</param>
    /// <param name="steps">Steps (non-zero); empty means all 1.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for mismatched lengths, a repeated or
    /// out-of-range axis, or a zero step.</exception>
    public static SliceKernel Create(int[] inputDims, ReadOnlySpan<long> starts, ReadOnlySpan<long> ends, ReadOnlySpan<long> axes, ReadOnlySpan<long> steps)
    {
        int rank = inputDims.Length;
        if (ends.Length != starts.Length || (!axes.IsEmpty && axes.Length != starts.Length) || (!steps.IsEmpty && steps.Length != starts.Length))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Slice: starts ({starts.Length}), ends ({ends.Length}), axes ({axes.Length}) and steps ({steps.Length}) must have the same length.");
        }

        int[] inStrides = OpShapes.Strides(inputDims);
        int[] outDims = (int[])inputDims.Clone();
        int[] strides = (int[])inStrides.Clone();
        var seen = new bool[rank];
        long offset = 0;
        for (int i = 0; i < starts.Length; i++)
        {
            int a = OpShapes.Axis(axes.IsEmpty ? i : axes[i], rank, "Slice");
            if (seen[a])
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Slice: axis {a} is listed twice.");
            }

            seen[a] = true;
            long step = steps.IsEmpty ? 1 : steps[i];
            if (step == 0)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Slice: step 0 on axis {a}.");
            }

            var (start, count) = Resolve(starts[i], ends[i], step, inputDims[a]);
            outDims[a] = count;
            // With at most one element the step is never applied (it may be as large as ±2^63).
            strides[a] = count <= 1 ? inStrides[a] : checked((int)(inStrides[a] * step));
            if (count > 0)
            {
                offset += start * inStrides[a];
            }
        }

        return new SliceKernel(outDims, new StridedCopy(outDims, strides, (int)offset));
    }

    /// <summary>ONNX clamping of one axis: the first index read and the number of elements.</summary>
    public static (long Start, int Count) Resolve(long start, long end, long step, int dim)
    {
        if (dim == 0)
        {
            return (0, 0);
        }

        // Shared with shape inference: no overflow for starts, ends and steps up to ±2^63.
        (long first, long count) = Analysis.ShapeInference.SliceAxis(start, end, step, dim);
        return (first, (int)count);
    }

    /// <summary>y = x[slices].</summary>
    public void Run(float* x, float* y, WorkerPool? pool) => _copy.Run(x, y, pool);
}

/// <summary>
/// ONNX Transpose: y = x.permute(perm), i.e. OutputDims[i] = dims[perm[i]] (empty perm reverses the axes).
/// Axes that stay adjacent are merged, so ShuffleNet's channel shuffle [N,g,C/g,H,W] with perm [0,2,1,3,4] runs as
/// block copies of H·W floats (<see cref="IsBlockCopy"/>). x and y dense, must not overlap. Run is not reentrant.
/// </summary>
internal sealed unsafe class TransposeKernel
{
    private readonly StridedCopy _copy;

    private TransposeKernel(int[] outDims, StridedCopy copy)
    {
        OutputDims = outDims;
        _copy = copy;
    }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>True when the innermost merged run is contiguous in x (block copies; the channel-shuffle fast path).</summary>
    public bool IsBlockCopy => _copy.InnerIsContiguous;

    /// <summary>Prepares the transpose.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when perm is not a permutation of the axes.</exception>
    public static TransposeKernel Create(int[] inputDims, ReadOnlySpan<long> perm)
    {
        int rank = inputDims.Length;
        long[] p = perm.IsEmpty ? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray() : perm.ToArray();
        if (p.Length != rank || p.Any(v => v < 0 || v >= rank) || p.Distinct().Count() != rank)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Transpose: perm [{string.Join(",", p)}] is not a permutation of {rank} axes.");
        }

        int[] inStrides = OpShapes.Strides(inputDims);
        int[] outDims = p.Select(v => inputDims[v]).ToArray();
        int[] strides = p.Select(v => inStrides[v]).ToArray();
        return new TransposeKernel(outDims, new StridedCopy(outDims, strides, 0));
    }

    /// <summary>y = transpose(x).</summary>
    public void Run(float* x, float* y, WorkerPool? pool) => _copy.Run(x, y, pool);
}

/// <summary>How <see cref="PadKernel"/> fills the border.</summary>
internal enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant,

    /// <summary>Mirror without repeating the edge (numpy "reflect").</summary>
    Reflect,

    /// <summary>Repeat the edge value.</summary>
    Edge,
}

/// <summary>
/// ONNX Pad: pads = [b_0, …, b_{r-1}, e_0, …, e_{r-1}] (negative values crop); OutputDims[d] = dims[d] + b_d + e_d.
/// Each output index maps to an input index per axis (constant: outside → value; reflect: mirrored; edge: clamped);
/// the in-range middle of each row is a block copy. x and y dense, must not overlap. Single-threaded.
/// </summary>
internal sealed unsafe class PadKernel
{
    private readonly int[][] _map;          // per axis, per output index: input index or -1 (constant)
    private readonly int[] _inStrides;
    private readonly int _copyBegin;        // inner-axis output range [begin, end) that maps to input begin + k
    private readonly int _copyEnd;
    private readonly int _rows;
    private readonly int _inner;

    private PadKernel(int[] outDims, int[][] map, int[] inStrides, PadMode mode, float value)
    {
        OutputDims = outDims;
        _map = map;
        _inStrides = inStrides;
        Mode = mode;
        Value = value;
        int r = outDims.Length;
        _inner = r == 0 ? 1 : outDims[r - 1];
        _rows = r == 0 ? 1 : OpShapes.Product(outDims, 0, r - 1);
        _copyBegin = _copyEnd = 0;
        if (r > 0)
        {
            int[] m = map[r - 1];
            int best = 0, bestBegin = 0;
            for (int i = 0; i < m.Length;)
            {
                int j = i;
                while (j < m.Length && m[j] >= 0 && m[j] == m[i] + (j - i))
                {
                    j++;
                }

                if (j - i > best)
                {
                    best = j - i;
                    bestBegin = i;
                }

                i = Math.Max(j, i + 1);
            }

            _copyBegin = bestBegin;
            _copyEnd = bestBegin + best;
        }
    }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>The mode.</summary>
    public PadMode Mode { get; }

    /// <summary>The constant (Constant mode).</summary>
    public float Value { get; }

    /// <summary>Prepares the pad.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when pads is not 2·rank long;
    /// <see cref="ErrorCode.InvalidShape"/> when an output dim would be negative, or reflect/edge pads an empty axis.</exception>
    public static PadKernel Create(int[] inputDims, ReadOnlySpan<long> pads, PadMode mode, float value = 0f)
    {
        int rank = inputDims.Length;
        if (pads.Length != 2 * rank)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Pad: {pads.Length} pads for rank {rank} (need {2 * rank}).");
        }

        var outDims = new int[rank];
        var map = new int[rank][];
        for (int d = 0; d < rank; d++)
        {
            long begin = pads[d], end = pads[d + rank], n = inputDims[d];
            long size = n + begin + end;
            if (size < 0 || size > int.MaxValue)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Pad: axis {d} of {OpShapes.Format(inputDims)} with pads {begin},{end} gives size {size}.");
            }

            if (mode != PadMode.Constant && n == 0 && size > 0)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Pad: {mode} cannot pad the empty axis {d}.");
            }

            outDims[d] = (int)size;
            map[d] = new int[size];
            for (long o = 0; o < size; o++)
            {
                long i = o - begin;
                map[d][o] = (int)(i >= 0 && i < n ? i : mode switch
                {
                    PadMode.Edge => Math.Clamp(i, 0, n - 1),
                    PadMode.Reflect => Reflect(i, n),
                    _ => -1,
                });
            }
        }

        OpShapes.Product(outDims);
        return new PadKernel(outDims, map, OpShapes.Strides(inputDims), mode, value);
    }

    private static long Reflect(long i, long n)
    {
        if (n == 1)
        {
            return 0;
        }

        long period = 2 * (n - 1);
        long m = ((i % period) + period) % period;
        return m < n ? m : period - m;
    }

    /// <summary>y = pad(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y)
    {
        int rank = OutputDims.Length;
        if (rank == 0)
        {
            *y = *x;
            return;
        }

        int outerRank = rank - 1;
        Span<int> idx = stackalloc int[Math.Max(outerRank, 1)];
        idx.Clear();
        int[] inner = _map[rank - 1];
        int innerStride = _inStrides[rank - 1];
        for (int row = 0; row < _rows; row++)
        {
            float* dst = y + ((long)row * _inner);
            long src = 0;
            bool constant = false;
            for (int d = 0; d < outerRank; d++)
            {
                int m = _map[d][idx[d]];
                if (m < 0)
                {
                    constant = true;
                    break;
                }

                src += (long)m * _inStrides[d];
            }

            if (constant)
            {
                new Span<float>(dst, _inner).Fill(Value);
            }
            else
            {
                float* s = x + src;
                for (int o = 0; o < _copyBegin; o++)
                {
                    dst[o] = inner[o] < 0 ? Value : s[(long)inner[o] * innerStride];
                }

                int n = _copyEnd - _copyBegin;
                if (n > 0)
                {
                    Buffer.MemoryCopy(s + inner[_copyBegin], dst + _copyBegin, (long)n * sizeof(float), (long)n * sizeof(float));
                }

                for (int o = _copyEnd; o < _inner; o++)
                {
                    dst[o] = inner[o] < 0 ? Value : s[(long)inner[o] * innerStride];
                }
            }

            for (int d = outerRank - 1; d >= 0; d--)
            {
                if (++idx[d] < OutputDims[d])
                {
                    break;
                }

                idx[d] = 0;
            }
        }
    }
}

/// <summary>
/// ONNX Gather with constant indices: y = take(x, indices, axis). OutputDims = dims[..axis] + indicesDims + dims[axis+1..];
/// negative indices count from the end. Runs as Outer × (one block copy of the inner size per index).
/// x and y dense, must not overlap. Single-threaded.
/// </summary>
internal sealed unsafe class GatherKernel
{
    private readonly int[] _indices;
    private readonly int _outer;
    private readonly long _inner;
    private readonly long _axisLength;

    private GatherKernel(int axis, int[] outDims, int[] indices, int outer, long inner, long axisLength)
    {
        Axis = axis;
        OutputDims = outDims;
        _indices = indices;
        _outer = outer;
        _inner = inner;
        _axisLength = axisLength;
    }

    /// <summary>The normalised axis.</summary>
    public int Axis { get; }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Prepares the gather.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a bad axis, an index outside
    /// [-dim, dim), or an index count that does not match <paramref name="indicesDims"/>.</exception>
    public static GatherKernel Create(int[] inputDims, long axis, ReadOnlySpan<long> indices, int[] indicesDims)
    {
        int a = OpShapes.Axis(axis, inputDims.Length, "Gather");
        int n = inputDims[a];
        if (OpShapes.Product(indicesDims) != indices.Length)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Gather: {indices.Length} indices for indices shape {OpShapes.Format(indicesDims)}.");
        }

        var norm = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            long v = indices[i] < 0 ? indices[i] + n : indices[i];
            if (v < 0 || v >= n)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Gather: index {indices[i]} is out of range for axis {a} of {OpShapes.Format(inputDims)}.");
            }

            norm[i] = (int)v;
        }

        int[] outDims = [.. inputDims[..a], .. indicesDims, .. inputDims[(a + 1)..]];
        OpShapes.Product(outDims);
        return new GatherKernel(a, outDims, norm, OpShapes.Product(inputDims, 0, a), OpShapes.Product(inputDims, a + 1), n);
    }

    /// <summary>y = gather(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y)
    {
        long bytes = _inner * sizeof(float);
        float* dst = y;
        for (int o = 0; o < _outer; o++)
        {
            float* src = x + (o * _axisLength * _inner);
            foreach (int i in _indices)
            {
                Buffer.MemoryCopy(src + (i * _inner), dst, bytes, bytes);
                dst += _inner;
            }
        }
    }
}

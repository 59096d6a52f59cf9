using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LightNet.Engine.Kernels;

/// <summary>A binary element-wise operator. <see cref="PRelu"/>: a = X, b = slope; y = a ≥ 0 ? a : b·a.</summary>
internal enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a - b.</summary>
    Sub,

    /// <summary>a · b.</summary>
    Mul,

    /// <summary>a / b.</summary>
    Div,

    /// <summary>a ≥ 0 ? a : b·a (ONNX PRelu with X = a, slope = b).</summary>
    PRelu,
}

/// <summary>
/// <c>y = act(a ⊕ b)</c> with numpy (ONNX multidirectional) broadcasting, prepared once from the two shapes.
/// Shapes are right-aligned; a dimension of 1 (or a missing one) is repeated. Dimensions are merged where both
/// operands step alike, so the inner loop is one of: vector⊕vector, vector⊕scalar, scalar⊕vector (all via
/// <see cref="TensorPrimitives"/>), which covers same shape, scalar, per-channel [C,1,1] and [N,C,1,1] (SE) operands.
/// Layouts: a, b, y dense row-major in their own dims; y has <see cref="OutputDims"/>. y may be the same pointer as an
/// operand whose dims equal the output's (in place), but must not otherwise overlap. Work is split statically over
/// (row, 16 K-float block) items. Run is not reentrant.
/// </summary>
internal sealed unsafe class BroadcastBinaryKernel : IParallelWork
{
    private const int Block = 16384;
    private readonly int[] _outer;
    private readonly int[] _aStride;
    private readonly int[] _bStride;
    private readonly int _inner;
    private readonly int _aInner;   // 1 or 0
    private readonly int _bInner;   // 1 or 0
    private readonly int _blocksPerRow;
    private readonly int _items;
    private float* _a;
    private float* _b;
    private float* _y;

    private BroadcastBinaryKernel(BinaryOp op, Activation activation, int[] outDims, List<(int Dim, int A, int B)> merged)
    {
        Op = op;
        Activation = activation;
        OutputDims = outDims;
        Elements = OpShapes.Product(outDims);
        var last = merged[^1];
        _inner = last.Dim;
        _aInner = last.A;
        _bInner = last.B;
        _outer = merged.Take(merged.Count - 1).Select(m => m.Dim).ToArray();
        _aStride = merged.Take(merged.Count - 1).Select(m => m.A).ToArray();
        _bStride = merged.Take(merged.Count - 1).Select(m => m.B).ToArray();
        _blocksPerRow = Math.Max(1, (_inner + Block - 1) / Block);
        _items = Elements == 0 ? 0 : OpShapes.Product(_outer) * _blocksPerRow;
        Path = (_aInner, _bInner, _outer.Length) switch
        {
            (1, 1, 0) => "same-shape",
            (1, 0, 0) or (0, 1, 0) => "scalar",
            (1, 0, _) or (0, 1, _) => "row-scalar",
            (1, 1, _) => "row-vector",
            _ => "scalar-rows",
        };
    }

    /// <summary>The operator.</summary>
    public BinaryOp Op { get; }

    /// <summary>The activation applied to the result.</summary>
    public Activation Activation { get; }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Number of output elements.</summary>
    public int Elements { get; }

    /// <summary>Which inner loop runs: "same-shape", "scalar", "row-scalar", "row-vector" or "scalar-rows".</summary>
    public string Path { get; }

    /// <summary>The numpy broadcast of two shapes.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when they do not broadcast.</exception>
    public static int[] BroadcastDims(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"Shapes {OpShapes.Format(a)} and {OpShapes.Format(b)} do not broadcast (axis {i}: {da} vs {db}).");
            }

            dims[i] = da == 1 ? db : da;
        }

        return dims;
    }

    /// <summary>Prepares <c>y = act(a ⊕ b)</c>.</summary>
    /// <param name="op">The operator.</param>
    /// <param name="aDims">Dims of a.</param>
    /// <param name="bDims">Dims of b.</param>
    /// <param name="activation">Activation fused into the store (None for plain ONNX Add/Sub/Mul/Div/PRelu).</param>
    /// <param name="outDims">Dims of y; empty means the broadcast of a and b. Must be a broadcast target of both
    /// (used by <see cref="SumKernel"/> to add into a larger accumulator).</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when the shapes do not broadcast.</exception>
    public static BroadcastBinaryKernel Create(BinaryOp op, ReadOnlySpan<int> aDims, ReadOnlySpan<int> bDims,
        Activation activation = default, ReadOnlySpan<int> outDims = default)
    {
        int[] dims = BroadcastDims(aDims, bDims);
        if (!outDims.IsEmpty)
        {
            int[] target = BroadcastDims(dims, outDims);
            if (!target.AsSpan().SequenceEqual(outDims))
            {
                throw new LightNetException(ErrorCode.InvalidShape, $"{op}: {OpShapes.Format(aDims)} and {OpShapes.Format(bDims)} do not broadcast to {OpShapes.Format(outDims)}.");
            }

            dims = target;
        }

        int rank = dims.Length;
        int[] aStr = AlignedStrides(aDims, dims);
        int[] bStr = AlignedStrides(bDims, dims);
        var merged = new List<(int Dim, int A, int B)>();
        for (int d = 0; d < rank; d++)
        {
            if (dims[d] == 1)
            {
                continue;
            }

            if (merged.Count > 0)
            {
                var p = merged[^1];
                if (p.A == aStr[d] * dims[d] && p.B == bStr[d] * dims[d])
                {
                    merged[^1] = (p.Dim * dims[d], aStr[d], bStr[d]);
                    continue;
                }
            }

            merged.Add((dims[d], aStr[d], bStr[d]));
        }

        if (merged.Count == 0)
        {
            merged.Add((1, 1, 1));
        }

        // The inner run needs unit or zero strides; otherwise append a unit dim so every run is one element.
        var inner = merged[^1];
        if (inner.A > 1 || inner.B > 1)
        {
            merged.Add((1, 1, 1));
        }

        return new BroadcastBinaryKernel(op, activation, dims, merged);
    }

    private static int[] AlignedStrides(ReadOnlySpan<int> dims, int[] outDims)
    {
        int rank = outDims.Length;
        var strides = new int[rank];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            int d = rank - dims.Length + i;
            strides[d] = dims[i] == 1 ? 0 : s;
            s *= dims[i];
        }

        return strides;
    }

    /// <summary>y = act(a ⊕ b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* a, float* b, float* y, WorkerPool? pool)
    {
        _a = a;
        _b = b;
        _y = y;
        OpShapes.Run(pool, this, _items, Elements);
        _a = _b = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int rank = _outer.Length;
        Span<int> idx = stackalloc int[Math.Max(rank, 1)];
        int row = begin / _blocksPerRow;
        int block = begin % _blocksPerRow;
        int rem = row;
        long aOff = 0, bOff = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            idx[d] = rem % _outer[d];
            rem /= _outer[d];
            aOff += (long)idx[d] * _aStride[d];
            bOff += (long)idx[d] * _bStride[d];
        }

        for (int item = begin; item < end; item++)
        {
            int start = block * Block;
            int len = Math.Min(Block, _inner - start);
            float* y = _y + ((long)row * _inner) + start;
            Inner(_a + aOff + (start * _aInner), _b + bOff + (start * _bInner), y, len);
            if (!Activation.IsNone)
            {
                Elementwise.Apply(Activation, y, y, len);
            }

            if (++block == _blocksPerRow)
            {
                block = 0;
                row++;
                for (int d = rank - 1; d >= 0; d--)
                {
                    aOff += _aStride[d];
                    bOff += _bStride[d];
                    if (++idx[d] < _outer[d])
                    {
                        break;
                    }

                    aOff -= (long)_outer[d] * _aStride[d];
                    bOff -= (long)_outer[d] * _bStride[d];
                    idx[d] = 0;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Inner(float* a, float* b, float* y, int n)
    {
        var dst = new Span<float>(y, n);
        if (_aInner == 1 && _bInner == 1)
        {
            var x = new ReadOnlySpan<float>(a, n);
            var z = new ReadOnlySpan<float>(b, n);
            switch (Op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, z, dst); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, z, dst); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, z, dst); break;
                case BinaryOp.Div: TensorPrimitives.Divide(x, z, dst); break;
                default: Elementwise.PReluVector(a, b, y, n); break;
            }
        }
        else if (_aInner == 1)
        {
            var x = new ReadOnlySpan<float>(a, n);
            float s = *b;
            switch (Op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, s, dst); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, s, dst); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, s, dst); break;
                case BinaryOp.Div: TensorPrimitives.Divide(x, s, dst); break;
                default: Elementwise.PReluScalarSlope(a, y, n, s); break;
            }
        }
        else if (_bInner == 1)
        {
            float s = *a;
            var z = new ReadOnlySpan<float>(b, n);
            switch (Op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(z, s, dst); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, z, dst); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(z, s, dst); break;
                case BinaryOp.Div: TensorPrimitives.Divide(s, z, dst); break;
                default: Elementwise.PReluScalarX(s, b, y, n); break;
            }
        }
        else
        {
            dst.Fill(Scalar(Op, *a, *b));
        }
    }

    /// <summary>The scalar definition of <paramref name="op"/> (the reference every path matches).</summary>
    public static float Scalar(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        _ => a >= 0f ? a : b * a,
    };
}

/// <summary>
/// ONNX Sum of n ≥ 1 inputs with multidirectional broadcasting: y = x0 + x1 + … (left to right), prepared from the input
/// dims. Inputs are dense row-major in their own dims; y has <see cref="OutputDims"/> and must not overlap any input
/// except an input 0 of the output's dims. Run is not reentrant.
/// </summary>
internal sealed unsafe class SumKernel
{
    private readonly BroadcastBinaryKernel[] _steps;
    private readonly StridedCopy? _single;

    private SumKernel(int[] outDims, BroadcastBinaryKernel[] steps, StridedCopy? single)
    {
        OutputDims = outDims;
        _steps = steps;
        _single = single;
    }

    /// <summary>Dims of y.</summary>
    public int[] OutputDims { get; }

    /// <summary>Number of inputs.</summary>
    public int Inputs => Math.Max(1, _steps.Length + 1);

    /// <summary>Prepares the sum.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when the inputs do not broadcast;
    /// <see cref="ErrorCode.InvalidArgument"/> for no inputs.</exception>
    public static SumKernel Create(IReadOnlyList<int[]> inputDims)
    {
        if (inputDims.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Sum needs at least one input.");
        }

        int[] outDims = inputDims[0];
        foreach (int[] d in inputDims.Skip(1))
        {
            outDims = BroadcastBinaryKernel.BroadcastDims(outDims, d);
        }

        if (inputDims.Count == 1)
        {
            return new SumKernel(outDims, [], new StridedCopy(outDims, OpShapes.Strides(outDims), 0));
        }

        var steps = new BroadcastBinaryKernel[inputDims.Count - 1];
        steps[0] = BroadcastBinaryKernel.Create(BinaryOp.Add, inputDims[0], inputDims[1], default, outDims);
        for (int i = 2; i < inputDims.Count; i++)
        {
            steps[i - 1] = BroadcastBinaryKernel.Create(BinaryOp.Add, outDims, inputDims[i], default, outDims);
        }

        return new SumKernel(outDims, steps, null);
    }

    /// <summary>y = Σ inputs[i]; <paramref name="inputs"/> holds one float* per input, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<nint> inputs, float* y, WorkerPool? pool)
    {
        if (_single is not null)
        {
            if ((float*)inputs[0] != y)
            {
                _single.Run((float*)inputs[0], y, pool);
            }

            return;
        }

        _steps[0].Run((float*)inputs[0], (float*)inputs[1], y, pool);
        for (int i = 1; i < _steps.Length; i++)
        {
            _steps[i].Run(y, (float*)inputs[i + 1], y, pool);
        }
    }
}

/// <summary>
/// y = x · s on a channel-blocked x (<see cref="ConvLayout"/>) with one planar factor per image and channel
/// (s [N or 1, C, 1, 1]): a squeeze-and-excitation gate applied without leaving the blocked layout. Each block's
/// factors are one vector, multiplied into every pixel's vector; the padding channels stay zero (0 · s).
/// May run in place (y = x).
/// </summary>
internal sealed unsafe class BlockedChannelScaleKernel : IParallelWork
{
    private readonly int _images, _channels, _pixels, _lanes, _blocks, _scaleImages;
    private float* _x, _s, _y;

    private BlockedChannelScaleKernel(int images, int channels, int pixels, int lanes, int scaleImages)
    {
        _images = images;
        _channels = channels;
        _pixels = pixels;
        _lanes = lanes;
        _blocks = (channels + lanes - 1) / lanes;
        _scaleImages = scaleImages;
    }

    /// <summary>Prepares the scaling of <paramref name="images"/> blocked images by factors for 1 or <paramref name="images"/> images.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for sizes that do not fit.</exception>
    public static BlockedChannelScaleKernel Create(int images, int channels, int pixels, int lanes, int scaleImages)
    {
        if (images < 1 || channels < 1 || pixels < 1 || lanes is not (16 or 8 or 4) || (scaleImages != 1 && scaleImages != images))
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Mul: {images} blocked images of {channels} channels × {pixels} pixels ({lanes} lanes) scaled by factors for {scaleImages} images.");
        }

        OpShapes.Product([images, (channels + lanes - 1) / lanes * lanes, pixels]);
        return new BlockedChannelScaleKernel(images, channels, pixels, lanes, scaleImages);
    }

    /// <summary>y = x · s (see the class).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* s, float* y, WorkerPool? pool)
    {
        _x = x;
        _s = s;
        _y = y;
        OpShapes.Run(pool, this, _images * _blocks, (long)_images * _blocks * _lanes * _pixels);
        _x = _s = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int v = _lanes;
        float* factors = stackalloc float[16];
        for (int item = begin; item < end; item++)
        {
            int image = item / _blocks, c0 = (item % _blocks) * v, n = Math.Min(v, _channels - c0);
            float* s = _s + ((long)(_scaleImages == 1 ? 0 : image) * _channels) + c0;
            for (int j = 0; j < v; j++)
            {
                factors[j] = j < n ? s[j] : 0f;
            }

            long offset = (long)item * _pixels * v;
            float* x = _x + offset, y = _y + offset;
            if (v == 16)
            {
                var f = Vector512.Load(factors);
                for (int p = 0; p < _pixels; p++)
                {
                    (Vector512.Load(x + (p * 16)) * f).Store(y + (p * 16));
                }
            }
            else if (v == 8)
            {
                var f = Vector256.Load(factors);
                for (int p = 0; p < _pixels; p++)
                {
                    (Vector256.Load(x + (p * 8)) * f).Store(y + (p * 8));
                }
            }
            else
            {
                var f = Vector128.Load(factors);
                for (int p = 0; p < _pixels; p++)
                {
                    (Vector128.Load(x + (p * 4)) * f).Store(y + (p * 4));
                }
            }
        }
    }
}

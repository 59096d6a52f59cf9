using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>Which reduction a pooling window applies.</summary>
internal enum PoolKind
{
    /// <summary>Maximum of the window (padding never wins).</summary>
    Max,

    /// <summary>Mean of the window (divisor per <c>count_include_pad</c>).</summary>
    Average,
}

/// <summary>
/// ONNX output-size and auto_pad rules for pooling and convolution along one spatial axis.
/// Effective kernel extent = (kernel - 1)·dilation + 1.
/// </summary>
internal static class PoolGeometry
{
    /// <summary>
    /// Output size with explicit pads (auto_pad NOTSET or VALID with zero pads):
    /// floor((in + padBegin + padEnd - extent) / stride) + 1, or ceil(...) + 1 with <paramref name="ceilMode"/>, where a
    /// last window that would start past the end of the input plus begin pad is dropped (ONNX Runtime/PyTorch rule).
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when the window does not fit (size &lt; 1)
    /// or a parameter is out of range.</exception>
    public static int OutputSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd, bool ceilMode)
    {
        if (input < 1 || kernel < 1 || stride < 1 || dilation < 1 || padBegin < 0 || padEnd < 0)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Pooling/conv axis: input {input}, kernel {kernel}, stride {stride}, dilation {dilation}, pads {padBegin},{padEnd} are out of range.");
        }

        long extent = ((long)(kernel - 1) * dilation) + 1;
        long span = input + (long)padBegin + padEnd - extent;
        if (span < 0)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Window extent {extent} is larger than the padded input {input + padBegin + padEnd}.");
        }

        long size = ceilMode ? ((span + stride - 1) / stride) + 1 : (span / stride) + 1;
        if (ceilMode && (size - 1) * stride >= input + (long)padBegin)
        {
            size--;
        }

        return (int)size;
    }

    /// <summary>
    /// Pads and output size for an ONNX <c>auto_pad</c> value. "SAME_UPPER"/"SAME_LOWER": output = ceil(in / stride),
    /// total pad = max(0, (out - 1)·stride + extent - in), the odd pixel at the end (UPPER) or beginning (LOWER).
    /// "VALID": no pads, output = floor((in - extent) / stride) + 1. "NOTSET" (or empty): the explicit pads with
    /// <see cref="OutputSize"/>.
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnsupportedOperator"/> for another auto_pad value;
    /// <see cref="ErrorCode.InvalidShape"/> when the window does not fit.</exception>
    public static (int Output, int PadBegin, int PadEnd) Resolve(string? autoPad, int input, int kernel, int stride, int dilation,
        int explicitPadBegin, int explicitPadEnd, bool ceilMode)
    {
        switch (autoPad)
        {
            case null or "" or "NOTSET":
                return (OutputSize(input, kernel, stride, dilation, explicitPadBegin, explicitPadEnd, ceilMode), explicitPadBegin, explicitPadEnd);
            case "VALID":
                return (OutputSize(input, kernel, stride, dilation, 0, 0, false), 0, 0);
            case "SAME_UPPER" or "SAME_LOWER":
            {
                if (input < 1 || stride < 1 || kernel < 1 || dilation < 1)
                {
                    throw new LightNetException(ErrorCode.InvalidShape, $"auto_pad {autoPad}: input {input}, kernel {kernel}, stride {stride}, dilation {dilation} are out of range.");
                }

                int output = (int)(((long)input + stride - 1) / stride);
                long extent = ((long)(kernel - 1) * dilation) + 1;
                int total = (int)Math.Max(0, ((long)(output - 1) * stride) + extent - input);
                int small = total / 2;
                return autoPad == "SAME_UPPER" ? (output, small, total - small) : (output, total - small, small);
            }

            default:
                throw new LightNetException(ErrorCode.UnsupportedOperator, $"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER.");
        }
    }
}

/// <summary>
/// Geometry of a 2-D pooling over <see cref="Planes"/> independent [InHeight, InWidth] planes (pass N·C to pool a whole
/// NCHW batch in one call). Pads are explicit on all four sides (count_include_pad needs the bottom/right pads);
/// OutHeight/OutWidth come from <see cref="PoolGeometry"/> (ceil_mode is expressed by them).
/// </summary>
internal readonly record struct Pool2dShape(
    int Planes, int InHeight, int InWidth, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth,
    int PadTop, int PadLeft, int PadBottom, int PadRight);

/// <summary>
/// MaxPool / AveragePool 2-D, prepared once. Input [Planes, InHeight, InWidth], output [Planes, OutHeight, OutWidth],
/// dense. Window of output (oh, ow): rows oh·StrideHeight - PadTop + i·DilationHeight (i &lt; KernelHeight), columns
/// likewise; taps outside the input are ignored by Max. Average divides the sum of in-input taps by the number of
/// in-input taps, or with <c>countIncludePad</c> by the number of taps inside the padded extent
/// [-PadTop, InHeight + PadBottom) × [-PadLeft, InWidth + PadRight) (taps beyond it, added by ceil_mode, never count).
/// A window with no input tap gives -inf (Max) or 0 (Average).
/// Separable: a vertical pass (vectorised over the row) into a padded stack row, then a horizontal pass.
/// Work is split statically over planes. Run is not reentrant.
/// </summary>
internal sealed unsafe class Pool2dKernel : IParallelWork
{
    private const int MaxRow = 16384;
    private const int VectorSlack = 32;
    private readonly int[] _rowCount;
    private readonly int[] _colCount;
    private readonly int _rowLength;
    private float* _x;
    private float* _y;

    private Pool2dKernel(in Pool2dShape shape, PoolKind kind, bool countIncludePad, int rowLength)
    {
        Shape = shape;
        Kind = kind;
        CountIncludePad = countIncludePad;
        _rowLength = rowLength;
        _rowCount = Counts(shape.OutHeight, shape.KernelHeight, shape.StrideHeight, shape.DilationHeight, shape.PadTop, shape.PadBottom, shape.InHeight, countIncludePad);
        _colCount = Counts(shape.OutWidth, shape.KernelWidth, shape.StrideWidth, shape.DilationWidth, shape.PadLeft, shape.PadRight, shape.InWidth, countIncludePad);
    }

    /// <summary>The geometry.</summary>
    public Pool2dShape Shape { get; }

    /// <summary>Max or Average.</summary>
    public PoolKind Kind { get; }

    /// <summary>Average only: whether padding counts in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>Prepares the pooling.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a non-positive size, stride, kernel or
    /// dilation, a negative pad, or an output size no window fits; <see cref="ErrorCode.UnsupportedOperator"/> for rows
    /// wider than 16384 padded pixels.</exception>
    public static Pool2dKernel Create(in Pool2dShape shape, PoolKind kind, bool countIncludePad = false)
    {
        var s = shape;
        if (s.Planes < 0 || s.InHeight < 1 || s.InWidth < 1 || s.OutHeight < 1 || s.OutWidth < 1 || s.KernelHeight < 1 || s.KernelWidth < 1
            || s.StrideHeight < 1 || s.StrideWidth < 1 || s.DilationHeight < 1 || s.DilationWidth < 1
            || s.PadTop < 0 || s.PadLeft < 0 || s.PadBottom < 0 || s.PadRight < 0)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"{kind}Pool: invalid geometry {s}.");
        }

        OpShapes.Product([s.Planes, s.InHeight, s.InWidth]);
        OpShapes.Product([s.Planes, s.OutHeight, s.OutWidth]);
        long extent = ((long)(s.OutWidth - 1) * s.StrideWidth) + ((long)(s.KernelWidth - 1) * s.DilationWidth) + 1;
        long rowLength = Math.Max(extent, (long)s.PadLeft + s.InWidth);
        if (rowLength > MaxRow)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"{kind}Pool: padded rows of {rowLength} pixels exceed {MaxRow}.");
        }

        return new Pool2dKernel(shape, kind, countIncludePad, (int)rowLength);
    }

    private static int[] Counts(int outSize, int kernel, int stride, int dilation, int padBegin, int padEnd, int input, bool includePad)
    {
        var counts = new int[outSize];
        for (int o = 0; o < outSize; o++)
        {
            int n = 0;
            for (int k = 0; k < kernel; k++)
            {
                int p = (o * stride) - padBegin + (k * dilation);
                if (includePad ? p < input + padEnd : p >= 0 && p < input)
                {
                    n++;
                }
            }

            counts[o] = n;
        }

        return counts;
    }

    /// <summary>Pools x [Planes, InHeight, InWidth] into y [Planes, OutHeight, OutWidth]; x and y must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        var s = Shape;
        OpShapes.Run(pool, this, s.Planes, (long)s.Planes * s.InHeight * s.InWidth);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        var s = Shape;
        bool max = Kind == PoolKind.Max;
        float neutral = max ? float.NegativeInfinity : 0f;
        // VectorSlack neutral floats past the row: the vector loops of HorizontalMax may read (never use) them.
        Span<float> row = stackalloc float[_rowLength + VectorSlack];
        row.Fill(neutral);
        int inW = s.InWidth;
        var mid = row.Slice(s.PadLeft, Math.Min(inW, _rowLength - s.PadLeft));
        int width = mid.Length;
        float** rows = stackalloc float*[s.KernelHeight];
        fixed (float* t = row)
        {
            for (int p = begin; p < end; p++)
            {
                float* plane = _x + ((long)p * s.InHeight * inW);
                float* output = _y + ((long)p * s.OutHeight * s.OutWidth);
                for (int oh = 0; oh < s.OutHeight; oh++)
                {
                    // Vertical pass: reduce the window's in-input rows into the middle of the padded row, in one
                    // pass over them.
                    int count = 0;
                    for (int i = 0; i < s.KernelHeight; i++)
                    {
                        int r = (oh * s.StrideHeight) - s.PadTop + (i * s.DilationHeight);
                        if ((uint)r < (uint)s.InHeight)
                        {
                            rows[count++] = plane + ((long)r * inW);
                        }
                    }

                    if (count == 0)
                    {
                        mid.Fill(neutral);
                    }
                    else
                    {
                        VerticalReduce(rows, count, t + s.PadLeft, width, max);
                    }

                    float* o = output + ((long)oh * s.OutWidth);
                    if (max)
                    {
                        HorizontalMax(t, o, s.OutWidth, s.KernelWidth, s.StrideWidth, s.DilationWidth);
                    }
                    else
                    {
                        HorizontalAverage(t, o, s.OutWidth, s.KernelWidth, s.StrideWidth, s.DilationWidth, _rowCount[oh], _colCount);
                    }
                }
            }
        }
    }

    // dst[j] = max (or sum, in row order) of rows[0..count)[j] for j in [0, width).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VerticalReduce(float** rows, int count, float* dst, int width, bool max)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && max && count == 3 && width >= 8)
        {
            // A 3-row max window (SqueezeNet's and ShuffleNet's 3×3 pools): the three rows unrolled, no inner loop over
            // a row array per vector; the tail as one vector overlapping the columns already done. SqueezeNet's three
            // pools per operator 172–180 / 100 / 71 → 136–154 / 85 / 60 µs (Zen 3).
            float* r0 = rows[0], r1 = rows[1], r2 = rows[2];
            for (; ; j += 8)
            {
                j = Math.Min(j, width - 8);
                Vector256.MaxNative(Vector256.MaxNative(Vector256.Load(r0 + j), Vector256.Load(r1 + j)), Vector256.Load(r2 + j)).Store(dst + j);
                if (j == width - 8)
                {
                    return;
                }
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= width - 8; j += 8)
            {
                var v = Vector256.Load(rows[0] + j);
                for (int i = 1; i < count; i++)
                {
                    var u = Vector256.Load(rows[i] + j);
                    v = max ? Vector256.MaxNative(v, u) : v + u;
                }

                v.Store(dst + j);
            }

            if (j < width && width >= 8)
            {
                // The tail as one vector overlapping the columns already done (the same values are stored again).
                j = width - 8;
                var v = Vector256.Load(rows[0] + j);
                for (int i = 1; i < count; i++)
                {
                    var u = Vector256.Load(rows[i] + j);
                    v = max ? Vector256.MaxNative(v, u) : v + u;
                }

                v.Store(dst + j);
                return;
            }
        }

        for (; j < width; j++)
        {
            float v = rows[0][j];
            for (int i = 1; i < count; i++)
            {
                v = max ? MathF.Max(v, rows[i][j]) : v + rows[i][j];
            }

            dst[j] = v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalMax(float* t, float* o, int outWidth, int kernel, int stride, int dilation)
    {
        if (kernel == 3 && dilation == 1)
        {
            int ow = 0;
            if (Avx2.IsSupported && stride == 2)
            {
                // 8 outputs from 18 inputs: evens, odds and the evens one further on, split by shuffles.
                for (; ow <= outWidth - 8; ow += 8)
                {
                    float* w = t + (2 * ow);
                    var a = Avx.LoadVector256(w);
                    var b = Avx.LoadVector256(w + 8);
                    var c = Avx.LoadVector256(w + 2);
                    var d = Avx.LoadVector256(w + 10);
                    var even = Avx.Shuffle(a, b, 0x88);
                    var odd = Avx.Shuffle(a, b, 0xDD);
                    var next = Avx.Shuffle(c, d, 0x88);
                    var m = Vector256.MaxNative(Vector256.MaxNative(even, odd), next);
                    Avx.Store(o + ow, Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle());

                    // The tail as one vector overlapping outputs already done; its reads stay inside the row's slack.
                    if (ow + 8 < outWidth && ow + 16 > outWidth && outWidth >= 8)
                    {
                        ow = outWidth - 16;
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated && stride == 1)
            {
                for (; ow <= outWidth - 8; ow += 8)
                {
                    float* w = t + ow;
                    Vector256.MaxNative(Vector256.MaxNative(Vector256.Load(w), Vector256.Load(w + 1)), Vector256.Load(w + 2)).Store(o + ow);
                    if (ow + 8 < outWidth && ow + 16 > outWidth && outWidth >= 8)
                    {
                        ow = outWidth - 16;
                    }
                }
            }

            for (; ow < outWidth; ow++)
            {
                float* w = t + (ow * stride);
                o[ow] = MathF.Max(MathF.Max(w[0], w[1]), w[2]);
            }

            return;
        }

        for (int ow = 0; ow < outWidth; ow++)
        {
            float* w = t + (ow * stride);
            float m = w[0];
            for (int k = 1; k < kernel; k++)
            {
                m = MathF.Max(m, w[k * dilation]);
            }

            o[ow] = m;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalAverage(float* t, float* o, int outWidth, int kernel, int stride, int dilation, int rowCount, int[] colCount)
    {
        int ow = 0;
        if (Avx2.IsSupported && kernel == 2 && stride == 2 && dilation == 1)
        {
            // 2×2 stride 2 (DenseNet's transitions): 8 outputs from 16 inputs, pairs added by vhaddps (each 128-bit
            // half holds two pairs of each source; the permute puts them in order), divided by each window's count as
            // the scalar loop does (exact: a window wholly in padding, count 0, gives 0).
            fixed (int* counts = colCount)
            {
                var rows = Vector256.Create(rowCount);
                for (; ow <= outWidth - 8; ow += 8)
                {
                    float* w = t + (ow * 2);
                    Vector256<float> pairs = Avx.HorizontalAdd(Avx.LoadVector256(w), Avx.LoadVector256(w + 8));
                    pairs = Avx2.Permute4x64(pairs.AsDouble(), 0b11_01_10_00).AsSingle();
                    Vector256<int> count = Avx.LoadVector256(counts + ow) * rows;
                    Vector256<float> mean = Avx.Divide(pairs, Avx.ConvertToVector256Single(count));
                    Avx.AndNot(Avx2.CompareEqual(count, Vector256<int>.Zero).AsSingle(), mean).Store(o + ow);
                }
            }
        }

        for (; ow < outWidth; ow++)
        {
            float* w = t + (ow * stride);
            float sum = w[0];
            for (int k = 1; k < kernel; k++)
            {
                sum += w[k * dilation];
            }

            int count = rowCount * colCount[ow];
            o[ow] = count == 0 ? 0f : sum / count;
        }
    }
}

/// <summary>
/// MaxPool 2-D on channel-blocked tensors (<see cref="ConvLayout"/>): <see cref="Pool2dShape.Planes"/> is N·Cb blocks of
/// [InHeight, InWidth] pixels of V channels each, and an output pixel's V channels are the lane-wise maximum of the
/// window's in-input pixels, one vector per tap (the planar kernel's separable passes would need a pass per channel).
/// Every window must hold an input pixel (<see cref="Supports"/>), so the zero padding channels of a block stay zero.
/// Work split over (block, output row). Run is not reentrant.
/// </summary>
internal sealed unsafe class BlockedMaxPoolKernel : IParallelWork
{
    private readonly Pool2dShape _s;
    private readonly int _v;
    private readonly int[] _kx0, _kx1; // per output column: the window's taps inside the input, [kx0, kx1)
    private float* _x, _y;

    private BlockedMaxPoolKernel(in Pool2dShape s, int lanes)
    {
        _s = s;
        _v = lanes;
        (_kx0, _kx1) = Taps(s.OutWidth, s.KernelWidth, s.StrideWidth, s.DilationWidth, s.PadLeft, s.InWidth);
    }

    /// <summary>The kernel's name in profiles ("max-pool-nchw16c").</summary>
    public string Algorithm => $"max-pool-nchw{_v}c";

    /// <summary>Whether every window of <paramref name="s"/> holds at least one input pixel (the blocked kernel's condition).</summary>
    public static bool Supports(in Pool2dShape s)
    {
        if (s.InHeight < 1 || s.InWidth < 1 || s.OutHeight < 1 || s.OutWidth < 1 || s.KernelHeight < 1 || s.KernelWidth < 1
            || s.StrideHeight < 1 || s.StrideWidth < 1 || s.DilationHeight < 1 || s.DilationWidth < 1 || s.PadTop < 0 || s.PadLeft < 0)
        {
            return false;
        }

        var (r0, r1) = Taps(s.OutHeight, s.KernelHeight, s.StrideHeight, s.DilationHeight, s.PadTop, s.InHeight);
        var (c0, c1) = Taps(s.OutWidth, s.KernelWidth, s.StrideWidth, s.DilationWidth, s.PadLeft, s.InWidth);
        return r0.Zip(r1).All(t => t.First < t.Second) && c0.Zip(c1).All(t => t.First < t.Second);
    }

    /// <summary>Prepares the pooling of <paramref name="lanes"/>-channel blocks (16, 8 or 4).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnsupportedOperator"/> for a window with no input pixel or lanes not 16, 8 or 4.</exception>
    public static BlockedMaxPoolKernel Create(in Pool2dShape shape, int lanes)
    {
        if (!Supports(shape) || lanes is not (16 or 8 or 4) || shape.Planes < 0)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"MaxPool: the channel-blocked kernel takes 16, 8 or 4 lanes and windows that each hold an input pixel (got {shape}, {lanes} lanes).");
        }

        OpShapes.Product([shape.Planes, shape.InHeight, shape.InWidth, lanes]);
        OpShapes.Product([shape.Planes, shape.OutHeight, shape.OutWidth, lanes]);
        return new BlockedMaxPoolKernel(shape, lanes);
    }

    /// <summary>Pools x [Planes][InHeight·InWidth][V] into y [Planes][OutHeight·OutWidth][V]; x and y must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, _s.Planes * _s.OutHeight, (long)_s.Planes * _s.InHeight * _s.InWidth * _v);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_v == 16)
        {
            Rows<Lanes512>(begin, end);
        }
        else if (_v == 8)
        {
            Rows<Lanes256>(begin, end);
        }
        else
        {
            Rows<Lanes128>(begin, end);
        }
    }

    // Output rows [begin, end) of all blocks, item = block · OutHeight + row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rows<TV>(int begin, int end)
        where TV : struct, ILanes<TV>
    {
        var s = _s;
        int v = TV.Count;
        bool threeWide = s.KernelWidth == 3 && s.DilationWidth == 1;
        float** rows = stackalloc float*[s.KernelHeight];
        fixed (int* kx0 = _kx0, kx1 = _kx1)
        {
            for (int item = begin; item < end; item++)
            {
                int plane = item / s.OutHeight, oh = item - (plane * s.OutHeight);
                float* src = _x + ((long)plane * s.InHeight * s.InWidth * v);
                float* dst = _y + ((((long)plane * s.OutHeight) + oh) * s.OutWidth * v);

                // The window's rows inside the input.
                int count = 0;
                for (int ky = 0; ky < s.KernelHeight; ky++)
                {
                    int iy = (oh * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                    if ((uint)iy < (uint)s.InHeight)
                    {
                        rows[count++] = src + ((long)iy * s.InWidth * v);
                    }
                }

                for (int ow = 0; ow < s.OutWidth; ow++)
                {
                    long at = (long)((ow * s.StrideWidth) - s.PadLeft) * v;
                    TV m;
                    if (threeWide && count == 3 && kx0[ow] == 0 && kx1[ow] == 3)
                    {
                        // The common 3×3 window wholly inside the input: nine loads, a tree of maxima.
                        float* a = rows[0] + at, b = rows[1] + at, c = rows[2] + at;
                        m = TV.Max(
                            TV.Max(TV.Max(TV.Load(a), TV.Load(a + v)), TV.Max(TV.Load(a + (2 * v)), TV.Load(b))),
                            TV.Max(TV.Max(TV.Load(b + v), TV.Load(b + (2 * v))), TV.Max(TV.Max(TV.Load(c), TV.Load(c + v)), TV.Load(c + (2 * v)))));
                    }
                    else
                    {
                        m = TV.Create(float.NegativeInfinity);
                        for (int r = 0; r < count; r++)
                        {
                            for (int kx = kx0[ow]; kx < kx1[ow]; kx++)
                            {
                                m = TV.Max(m, TV.Load(rows[r] + at + ((long)kx * s.DilationWidth * v)));
                            }
                        }
                    }

                    m.Store(dst + ((long)ow * v));
                }
            }
        }
    }

    // For each output position along one axis, the window taps [k0, k1) that land inside the input.
    private static (int[] First, int[] End) Taps(int outSize, int kernel, int stride, int dilation, int padBegin, int input)
    {
        int[] first = new int[outSize], last = new int[outSize];
        for (int o = 0; o < outSize; o++)
        {
            int k0 = kernel, k1 = 0;
            for (int k = 0; k < kernel; k++)
            {
                int p = (o * stride) - padBegin + (k * dilation);
                if (p >= 0 && p < input)
                {
                    k0 = Math.Min(k0, k);
                    k1 = k + 1;
                }
            }

            first[o] = k0;
            last[o] = k1;
        }

        return (first, last);
    }
}

/// <summary>
/// GlobalAveragePool / GlobalMaxPool: y[p] = mean or max of x[p, 0..Spatial) for each of <see cref="Planes"/> planes
/// (N·C for an NCHW batch; y is [N, C, 1, 1]). Split statically over planes. Run is not reentrant.
/// </summary>
internal sealed unsafe class GlobalPoolKernel : IParallelWork
{
    private float* _x;
    private float* _y;

    private readonly int _lanes, _channels;

    private GlobalPoolKernel(PoolKind kind, int planes, int spatial, int lanes, int channels)
    {
        Kind = kind;
        Planes = planes;
        Spatial = spatial;
        _lanes = lanes;
        _channels = channels;
    }

    /// <summary>Max or Average.</summary>
    public PoolKind Kind { get; }

    /// <summary>Number of planes.</summary>
    public int Planes { get; }

    /// <summary>Elements per plane (H·W).</summary>
    public int Spatial { get; }

    /// <summary>
    /// Prepares the global pooling of <paramref name="planes"/> planes; with <paramref name="lanes"/> &gt; 0 the input
    /// is channel-blocked (<see cref="ConvLayout"/>): images of <paramref name="channels"/> channels in blocks of
    /// <paramref name="lanes"/>, each [Spatial][lanes].
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a negative plane count, an empty plane or planes that are not whole images.</exception>
    public static GlobalPoolKernel Create(PoolKind kind, int planes, int spatial, int lanes = 0, int channels = 0)
    {
        if (planes < 0 || spatial < 1 || (lanes > 0 && (channels < 1 || planes % channels != 0)))
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"Global{kind}Pool: {planes} planes of {spatial} elements{(lanes > 0 ? $" in blocks of {lanes} of {channels} channels" : "")}.");
        }

        OpShapes.Product([planes, spatial]);
        return new GlobalPoolKernel(kind, planes, spatial, lanes, channels);
    }

    /// <summary>y[p] = reduce(x[p, :]); x is [Planes, Spatial] (or blocked), y is [Planes].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        if (_lanes > 0)
        {
            int blocks = (_channels + _lanes - 1) / _lanes;
            OpShapes.Run(pool, this, Planes / _channels * blocks, (long)Planes * Spatial);
        }
        else
        {
            OpShapes.Run(pool, this, Planes, (long)Planes * Spatial);
        }

        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_lanes > 0)
        {
            ExecuteBlocked(begin, end);
            return;
        }

        for (int p = begin; p < end; p++)
        {
            float* plane = _x + ((long)p * Spatial);
            _y[p] = Kind == PoolKind.Max ? Reduce(plane, Spatial, max: true) : Reduce(plane, Spatial, max: false) / Spatial;
        }
    }

    // One plane's max or sum. Not TensorPrimitives': its generic reductions are not precompiled and ran as tier-0
    // code through a session's first hundred or so runs (2–3 % of MobileNetV2's time then, warm-up check).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(float* x, int n, bool max)
    {
        int i = 0;
        float r;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            Vector256<float> a = Vector256.Load(x), b = Vector256.Load(x + 8);
            for (i = 16; i + 16 <= n; i += 16)
            {
                Vector256<float> u = Vector256.Load(x + i), v = Vector256.Load(x + i + 8);
                a = max ? Vector256.Max(a, u) : a + u;
                b = max ? Vector256.Max(b, v) : b + v;
            }

            Vector128<float> h = max ? Vector128.Max(Vector256.Max(a, b).GetLower(), Vector256.Max(a, b).GetUpper()) : (a + b).GetLower() + (a + b).GetUpper();
            r = max ? MathF.Max(MathF.Max(h[0], h[1]), MathF.Max(h[2], h[3])) : (h[0] + h[1]) + (h[2] + h[3]);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128<float> a = Vector128.Load(x);
            for (i = 4; i + 4 <= n; i += 4)
            {
                Vector128<float> u = Vector128.Load(x + i);
                a = max ? Vector128.Max(a, u) : a + u;
            }

            r = max ? MathF.Max(MathF.Max(a[0], a[1]), MathF.Max(a[2], a[3])) : (a[0] + a[1]) + (a[2] + a[3]);
        }
        else
        {
            r = x[0];
            i = 1;
        }

        for (; i < n; i++)
        {
            r = max ? MathF.Max(r, x[i]) : r + x[i];
        }

        return r;
    }

    // Blocks [begin, end) of the blocked input (image-major): each pixel's lanes are one vector, summed (or maxed) down
    // the block, then the block's real channels stored.
    private void ExecuteBlocked(int begin, int end)
    {
        int v = _lanes, blocks = (_channels + v - 1) / v;
        float* acc = stackalloc float[16];
        for (int item = begin; item < end; item++)
        {
            int image = item / blocks, block = item % blocks;
            float* src = _x + ((long)item * Spatial * v);
            if (v == 16)
            {
                var a = Vector512.Load(src);
                for (int p = 1; p < Spatial; p++)
                {
                    var x = Vector512.Load(src + ((long)p * 16));
                    a = Kind == PoolKind.Max ? Vector512.Max(a, x) : a + x;
                }

                a.Store(acc);
            }
            else if (v == 8)
            {
                var a = Vector256.Load(src);
                for (int p = 1; p < Spatial; p++)
                {
                    var x = Vector256.Load(src + ((long)p * 8));
                    a = Kind == PoolKind.Max ? Vector256.Max(a, x) : a + x;
                }

                a.Store(acc);
            }
            else
            {
                var a = Vector128.Load(src);
                for (int p = 1; p < Spatial; p++)
                {
                    var x = Vector128.Load(src + ((long)p * 4));
                    a = Kind == PoolKind.Max ? Vector128.Max(a, x) : a + x;
                }

                a.Store(acc);
            }

            int c0 = block * v, n = Math.Min(v, _channels - c0);
            float* dst = _y + ((long)image * _channels) + c0;
            for (int j = 0; j < n; j++)
            {
                dst[j] = Kind == PoolKind.Max ? acc[j] : acc[j] / Spatial;
            }
        }
    }
}

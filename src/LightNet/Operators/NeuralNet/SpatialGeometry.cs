using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// The spatial geometry shared by Conv, the pooling operators, Col2Im and DeformConv: kernel, strides, dilations,
/// begin/end pads (explicit or from auto_pad) and the output extent of every spatial axis.
/// </summary>
internal sealed class SpatialGeometry
{
    public SpatialGeometry(long[] input, long[] kernel, long[] strides, long[] dilations, long[] padBegin, long[] padEnd, long[] output)
    {
        Input = input;
        Kernel = kernel;
        Strides = strides;
        Dilations = dilations;
        PadBegin = padBegin;
        PadEnd = padEnd;
        Output = output;
    }

    public long[] Input { get; }

    public long[] Kernel { get; }

    public long[] Strides { get; }

    public long[] Dilations { get; }

    public long[] PadBegin { get; }

    public long[] PadEnd { get; }

    public long[] Output { get; }

    public int Rank => Input.Length;

    public int KernelCount => OpTensor.Count(Kernel);

    public int OutputCount => OpTensor.Count(Output);

    public int InputCount => OpTensor.Count(Input);

    /// <summary>
    /// The largest kernel size, stride, dilation or pad accepted (2^31 - 1): the specification allows any int64, but
    /// native kernels (ONNX Runtime's MLAS, cuDNN) compute window positions in 32 or 64 bits without overflow checks.
    /// </summary>
    public const long MaxWindowValue = int.MaxValue;

    /// <summary>
    /// The specification's checks of a window operator (convolution or pooling) that need no shapes: group at least 1
    /// (<paramref name="convolution"/>), auto_pad one of the four values, kernel_shape (required for pooling), strides
    /// and dilations positive, pads non-negative, every value at most <see cref="MaxWindowValue"/>, and lengths that
    /// agree (one value per spatial axis, two pads per axis).
    /// </summary>
    public static void ValidateWindow(Node node, List<string> problems, bool convolution)
    {
        if (convolution && node.GetInt("group", 1) < 1)
        {
            problems.Add($"attribute 'group' = {node.GetInt("group", 1)} must be at least 1");
        }

        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
        {
            problems.Add($"attribute 'auto_pad' = '{autoPad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
        }

        IReadOnlyList<long>? kernel = node.GetInts("kernel_shape");
        if (kernel is null && !convolution)
        {
            problems.Add("attribute 'kernel_shape' is required");
        }

        int? rank = kernel?.Count;
        foreach ((string name, long min, int perAxis) in new[] { ("kernel_shape", 1L, 1), ("strides", 1L, 1), ("dilations", 1L, 1), ("pads", 0L, 2) })
        {
            if (node.GetInts(name) is not { } values)
            {
                continue;
            }

            if (values.Any(v => v < min || v > MaxWindowValue))
            {
                problems.Add($"attribute '{name}' = {Dimension.Format(values)} must hold values from {min} to {MaxWindowValue}");
            }

            if (perAxis == 2 && values.Count % 2 != 0)
            {
                problems.Add($"attribute 'pads' = {Dimension.Format(values)} must hold two values (begin, end) per spatial axis");
            }
            else if (rank is int r && values.Count != r * perAxis)
            {
                problems.Add($"attribute '{name}' has {values.Count} values; kernel_shape {Dimension.Format(kernel!)} needs {r * perAxis}");
            }
            else
            {
                rank ??= values.Count / perAxis;
            }
        }
    }

    /// <summary>
    /// The geometry of a convolution (<paramref name="pooling"/> false) or pooling window over the spatial axes
    /// <paramref name="input"/>, reading strides, dilations, pads, auto_pad and (for pooling) ceil_mode.
    /// </summary>
    public static SpatialGeometry Create(OpContext ctx, long[] input, long[] kernel, bool pooling, bool ceilMode)
    {
        int r = input.Length;
        long[] strides = Attr(ctx, "strides", r, 1);
        long[] dilations = Attr(ctx, "dilations", r, 1);
        long[] pads = ctx.Ints("pads") ?? new long[2 * r];
        if (pads.Length != 2 * r)
        {
            throw ctx.Fail($"attribute 'pads' has {pads.Length} values, expected {2 * r}");
        }

        for (int i = 0; i < r; i++)
        {
            if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0)
            {
                throw ctx.Fail($"kernel {Dimension.Format(kernel)}, strides {Dimension.Format(strides)} and dilations {Dimension.Format(dilations)} must be positive");
            }

            if (kernel[i] > OpTensor.MaxElements || strides[i] > OpTensor.MaxElements || dilations[i] > OpTensor.MaxElements
                || pads[i] > OpTensor.MaxElements || pads[i + r] > OpTensor.MaxElements)
            {
                throw ctx.Fail($"kernel {Dimension.Format(kernel)}, strides, dilations or pads {Dimension.Format(pads)} are out of range");
            }

            if (pads[i] < 0 || pads[i + r] < 0)
            {
                throw ctx.Fail($"attribute 'pads' = {Dimension.Format(pads)} must not be negative");
            }
        }

        string autoPad = ctx.String("auto_pad", "NOTSET");
        var begin = new long[r];
        var end = new long[r];
        var output = new long[r];
        for (int i = 0; i < r; i++)
        {
            long dk = checked(((kernel[i] - 1) * dilations[i]) + 1);
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    long o = (input[i] + strides[i] - 1) / strides[i];
                    long need = Math.Max(0, checked(((o - 1) * strides[i]) + dk - input[i]));
                    begin[i] = autoPad == "SAME_UPPER" ? need / 2 : need - (need / 2);
                    end[i] = need - begin[i];
                    output[i] = o;
                    break;
                }

                case "VALID":
                    output[i] = OutSize(input[i], 0, 0, dk, strides[i], pooling && ceilMode);
                    break;
                case "NOTSET":
                case "":
                    begin[i] = pads[i];
                    end[i] = pads[i + r];
                    output[i] = OutSize(input[i], begin[i], end[i], dk, strides[i], pooling && ceilMode);
                    break;
                default:
                    throw ctx.Fail($"attribute 'auto_pad' = '{autoPad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
            }

            if (output[i] < 0)
            {
                throw ctx.Fail($"input spatial shape {Dimension.Format(input)} is smaller than the dilated kernel {Dimension.Format(kernel)} with pads {Dimension.Format(pads)}");
            }
        }

        return new SpatialGeometry(input, kernel, strides, dilations, begin, end, output);
    }

    /// <summary>floor/ceil((in + pads - dk) / s) + 1; with ceil mode the last window must start inside the input or left pad.</summary>
    public static long OutSize(long input, long padBegin, long padEnd, long dk, long stride, bool ceil)
    {
        long span = checked(input + padBegin + padEnd - dk);
        if (span < 0)
        {
            return -1;
        }

        long o = ceil ? ((span + stride - 1) / stride) + 1 : (span / stride) + 1;
        if (ceil && (o - 1) * stride >= input + padBegin)
        {
            o--;
        }

        return o;
    }

    /// <summary>An ints attribute with one value per spatial axis, or <paramref name="fallback"/> everywhere.</summary>
    public static long[] Attr(OpContext ctx, string name, int rank, long fallback)
    {
        long[]? v = ctx.Ints(name);
        if (v is null)
        {
            return Enumerable.Repeat(fallback, rank).ToArray();
        }

        return v.Length != rank ? throw ctx.Fail($"attribute '{name}' has {v.Length} values, expected {rank}") : v;
    }

    /// <summary>
    /// For every kernel offset k and output position o, the flat spatial input index read (or -1 in the padding):
    /// map[k * OutputCount + o].
    /// </summary>
    public int[] GatherMap()
    {
        int r = Rank, outCount = OutputCount, kCount = KernelCount;
        long mapSize = (long)outCount * kCount;
        if (mapSize > OpTensor.MaxElements)
        {
            throw new LightNetException(ErrorCode.InvalidShape, $"A convolution window map of {mapSize} entries is too large.");
        }

        var map = new int[mapSize];
        var kpos = new long[r];
        var opos = new long[r];
        for (int k = 0; k < kCount; k++)
        {
            Unflatten(k, Kernel, kpos);
            Array.Clear(opos);
            int baseOff = k * outCount;
            for (int o = 0; o < outCount; o++)
            {
                long idx = 0;
                bool ok = true;
                for (int d = 0; d < r; d++)
                {
                    long ix = (opos[d] * Strides[d]) - PadBegin[d] + (kpos[d] * Dilations[d]);
                    if (ix < 0 || ix >= Input[d])
                    {
                        ok = false;
                        break;
                    }

                    idx = (idx * Input[d]) + ix;
                }

                map[baseOff + o] = ok ? (int)idx : -1;
                for (int d = r - 1; d >= 0; d--)
                {
                    if (++opos[d] < Output[d])
                    {
                        break;
                    }

                    opos[d] = 0;
                }
            }
        }

        return map;
    }

    public static void Unflatten(long flat, long[] dims, long[] pos)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            pos[d] = flat % dims[d];
            flat /= dims[d];
        }
    }
}

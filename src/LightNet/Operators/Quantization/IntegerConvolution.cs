using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>
/// The integer N-D convolution behind ConvInteger and QLinearConv: the Conv attributes (auto_pad, dilations, group,
/// kernel_shape, pads, strides) and a direct loop over zero-point-free int32 values (padding contributes zero).
/// </summary>
internal static class IntegerConvolution
{
    /// <summary>Checks the convolution attributes, one line per problem.</summary>
    public static void Validate(Node node, List<string> problems)
    {
        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
        {
            problems.Add($"attribute 'auto_pad' = '{autoPad}' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID");
        }

        if (node.GetInt("group", 1) < 1)
        {
            problems.Add($"attribute 'group' = {node.GetInt("group", 1)} must be positive");
        }

        foreach (string name in new[] { "strides", "dilations", "kernel_shape" })
        {
            if (node.GetInts(name) is { } v && v.Any(x => x < 1))
            {
                problems.Add($"attribute '{name}' = [{string.Join(", ", v)}] must be positive");
            }
        }

        if (node.GetInts("pads") is { } pads && pads.Any(x => x < 0))
        {
            problems.Add($"attribute 'pads' = [{string.Join(", ", pads)}] must not be negative");
        }
    }

    /// <summary>
    /// Convolves x [N, C, D1..Dr] with w [M, C/group, k1..kr] (both int32, zero points already removed), returning
    /// the output shape [N, M, O1..Or] and the int32 sums (wrapping as 32-bit accumulation does).
    /// </summary>
    public static (long[] Dims, int[] Values) Run(OpContext ctx, int[] x, long[] xDims, int[] w, long[] wDims)
    {
        int rank = xDims.Length - 2;
        if (rank < 1 || wDims.Length != xDims.Length)
        {
            throw ctx.Fail($"input {Dimension.Format(xDims)} and weights {Dimension.Format(wDims)} must both be [N, C, spatial...] of the same rank (at least 3)");
        }

        long group = ctx.Int("group", 1);
        long batch = xDims[0], channels = xDims[1], maps = wDims[0], perGroup = wDims[1];
        if (group < 1 || channels % group != 0 || perGroup * group != channels || maps % group != 0)
        {
            throw ctx.Fail($"input {Dimension.Format(xDims)}, weights {Dimension.Format(wDims)} and group {group} do not agree");
        }

        long[] kernel = wDims[2..];
        long[] strides = ctx.Ints("strides") ?? Enumerable.Repeat(1L, rank).ToArray();
        long[] dilations = ctx.Ints("dilations") ?? Enumerable.Repeat(1L, rank).ToArray();
        long[] pads = ctx.Ints("pads") ?? new long[2 * rank];
        if (ctx.Ints("kernel_shape") is { } ks && !ks.AsSpan().SequenceEqual(kernel))
        {
            throw ctx.Fail($"attribute 'kernel_shape' = [{string.Join(", ", ks)}] differs from the weights {Dimension.Format(wDims)}");
        }

        if (strides.Length != rank || dilations.Length != rank || pads.Length != 2 * rank
            || strides.Any(s => s < 1) || dilations.Any(d => d < 1) || pads.Any(p => p < 0))
        {
            throw ctx.Fail($"strides, dilations and pads must have {rank}, {rank} and {2 * rank} valid values for a {rank}-D convolution");
        }

        string autoPad = ctx.String("auto_pad", "NOTSET");
        long[] outSpatial = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long input = xDims[d + 2], span = ((kernel[d] - 1) * dilations[d]) + 1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                long o = (input + strides[d] - 1) / strides[d];
                long total = Math.Max(0, ((o - 1) * strides[d]) + span - input);
                pads[d] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                pads[d + rank] = total - pads[d];
            }
            else if (autoPad == "VALID")
            {
                pads[d] = pads[d + rank] = 0;
            }

            long padded = input + pads[d] + pads[d + rank];
            outSpatial[d] = padded < span ? 0 : ((padded - span) / strides[d]) + 1;
        }

        long[] outDims = [batch, maps, .. outSpatial];
        int outCount = OpTensor.Count(outDims);
        int positions = OpTensor.Count(outSpatial), taps = OpTensor.Count(kernel), inPlane = OpTensor.Count(xDims[2..]);

        // For every output position and kernel tap, the input offset in one plane (or -1 in the padding).
        var table = new int[OpTensor.Count([positions, taps])];
        var o_ = new long[rank];
        var k_ = new long[rank];
        for (int p = 0; p < positions; p++)
        {
            long rest = p;
            for (int d = rank - 1; d >= 0; d--)
            {
                o_[d] = rest % outSpatial[d];
                rest /= outSpatial[d];
            }

            for (int t = 0; t < taps; t++)
            {
                long r = t, offset = 0, stride = 1;
                bool inside = true;
                for (int d = rank - 1; d >= 0; d--)
                {
                    k_[d] = r % kernel[d];
                    r /= kernel[d];
                }

                for (int d = rank - 1; d >= 0; d--)
                {
                    long at = (o_[d] * strides[d]) - pads[d] + (k_[d] * dilations[d]);
                    inside &= at >= 0 && at < xDims[d + 2];
                    offset += at * stride;
                    stride *= xDims[d + 2];
                }

                table[(p * taps) + t] = inside ? (int)offset : -1;
            }
        }

        var y = new int[outCount];
        long mapsPerGroup = maps / group;
        unchecked
        {
            for (long b = 0; b < batch; b++)
            {
                for (long m = 0; m < maps; m++)
                {
                    long g = m / mapsPerGroup;
                    int yBase = (int)(((b * maps) + m) * positions);
                    for (long c = 0; c < perGroup; c++)
                    {
                        int xBase = (int)(((b * channels) + (g * perGroup) + c) * inPlane);
                        int wBase = (int)(((m * perGroup) + c) * taps);
                        for (int p = 0; p < positions; p++)
                        {
                            int sum = 0, row = p * taps;
                            for (int t = 0; t < taps; t++)
                            {
                                int at = table[row + t];
                                if (at >= 0)
                                {
                                    sum += x[xBase + at] * w[wBase + t];
                                }
                            }

                            y[yBase + p] += sum;
                        }
                    }
                }
            }
        }

        return (outDims, y);
    }

    /// <summary>The values of a uint8/int8 tensor minus a scalar zero point, or minus one zero point per slice along axis 0.</summary>
    public static int[] Centered(OpContext ctx, OpTensor x, OpTensor? zp, string what, bool perChannel)
    {
        if (x.Type is not (TensorElementType.UInt8 or TensorElementType.Int8))
        {
            throw ctx.Fail($"{what} is {x.Type}; it must be uint8 or int8");
        }

        if (zp is not null && zp.Type != x.Type)
        {
            throw ctx.Fail($"{what} is {x.Type} but its zero point is {zp.Type}");
        }

        long[] v = ElementConversion.Longs(x);
        var r = new int[v.Length];
        long[] z = zp is null ? [0] : ElementConversion.Longs(zp);
        if (z.Length == 1)
        {
            for (int i = 0; i < r.Length; i++) r[i] = (int)(v[i] - z[0]);
            return r;
        }

        if (!perChannel || zp!.Rank != 1 || x.Rank == 0 || z.Length != x.Dims[0])
        {
            throw ctx.Fail($"the zero point {Dimension.Format(zp!.Dims)} of {what} {Dimension.Format(x.Dims)} must be a scalar{(perChannel ? " or one per output channel" : "")}");
        }

        int slice = z.Length == 0 ? 0 : r.Length / z.Length;
        for (int i = 0; i < r.Length; i++) r[i] = (int)(v[i] - z[i / slice]);
        return r;
    }
}

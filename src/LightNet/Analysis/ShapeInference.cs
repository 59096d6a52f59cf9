using LightNet.Onnx;

namespace LightNet.Analysis;

/// <summary>
/// Static shape inference for the operators of common CNNs (and the Shape/Gather/Concat/Reshape arithmetic
/// exporters emit around them), following the ONNX operator specifications for opsets 7 to 21.
/// </summary>
internal static class ShapeInference
{
    /// <summary>Infers every value of <paramref name="graph"/> from fixed input shapes.</summary>
    public static Dictionary<string, InferredValue> Run(Graph graph, long opset, IReadOnlyDictionary<string, InferredValue> inputs)
    {
        var values = new Dictionary<string, InferredValue>(StringComparer.Ordinal);
        foreach ((string name, TensorData t) in graph.Initializers)
        {
            values[name] = InferredValue.FromTensor(t);
        }

        foreach ((string name, InferredValue v) in inputs)
        {
            values[name] = v;
        }

        foreach (Node node in graph.Nodes)
        {
            InferredValue[] outputs = InferNode(node, opset, name => values.GetValueOrDefault(name), graph.ValueInfos);
            for (int i = 0; i < outputs.Length && i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i].Length > 0)
                {
                    values[node.Outputs[i]] = outputs[i];
                }
            }
        }

        return values;
    }

    /// <summary>Infers the outputs of one node from its inputs' inferred values.</summary>
    public static InferredValue[] InferNode(Node node, long opset, Func<string, InferredValue?> lookup,
        IReadOnlyDictionary<string, ValueInfo>? declared = null)
    {
        var ctx = new Context(node, opset, lookup);
        if (node.Domain is not ("" or "ai.onnx"))
        {
            return RegistryShapeInference.TryInfer(node, opset, lookup) ?? FromDeclared(ctx, declared);
        }

        try
        {
            return Infer(ctx) ?? RegistryShapeInference.TryInfer(node, opset, lookup) ?? FromDeclared(ctx, declared);
        }
        catch (OverflowException)
        {
            throw ctx.Fail("shapes overflow a 64-bit element count");
        }
    }

    private static InferredValue[] FromDeclared(Context ctx, IReadOnlyDictionary<string, ValueInfo>? declared)
    {
        var result = new InferredValue[ctx.Node.Outputs.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (declared is null || !declared.TryGetValue(ctx.Node.Outputs[i], out ValueInfo? v) || !v.HasFixedShape)
            {
                throw new LightNetException(ErrorCode.UnsupportedOperator,
                    $"Shape inference does not know operator '{(ctx.Node.Domain.Length > 0 ? ctx.Node.Domain + "." : "")}{ctx.Node.OpType}' " +
                    $"(opset {ctx.Opset}) of {ctx.Node.DisplayName}, and the model declares no fixed shape for its output '{ctx.Node.Outputs[i]}'.");
            }

            result[i] = new InferredValue(v.ElementType, v.Shape!.Select(d => d.Value!.Value).ToArray());
        }

        return result;
    }

    private static InferredValue[]? Infer(Context c)
    {
        switch (c.Node.OpType)
        {
            case "Relu" or "LeakyRelu" or "PRelu" or "Sigmoid" or "HardSigmoid" or "HardSwish" or "Tanh" or "Softmax"
                or "LogSoftmax" or "LRN" or "Elu" or "Selu" or "Celu" or "Exp" or "Log" or "Sqrt" or "Neg" or "Abs" or "Erf"
                or "Floor" or "Ceil" or "Round" or "Reciprocal" or "Softplus" or "Softsign" or "Gelu" or "Mish" or "Sin"
                or "Cos" or "Sign" or "ThresholdedRelu" or "Shrink" or "BatchNormalization" or "InstanceNormalization"
                or "LayerNormalization" or "Clip" or "LpNormalization" or "MeanVarianceNormalization" or "Hardmax":
                if (c.Node.OpType is "Softmax" or "LogSoftmax" or "Hardmax" or "LpNormalization" && c.Node.Attributes.ContainsKey("axis"))
                {
                    // Native kernels index with the axis unchecked: one out of [-rank, rank) is refused here.
                    int rank = c.In(0).Dims.Length;
                    long axis = c.Node.GetInt("axis", 0);
                    c.Check(axis >= -Math.Max(rank, 1) && axis < Math.Max(rank, 1), $"axis {axis} is out of range [-{rank}, {rank}) for a rank-{rank} input");
                }

                return [new InferredValue(c.In(0).Type, c.In(0).Dims)];
            case "Identity":
                return [c.In(0)];
            case "Not":
                return [new InferredValue(TensorElementType.Bool, c.In(0).Dims)];
            case "Dropout":
                return [new InferredValue(c.In(0).Type, c.In(0).Dims), new InferredValue(TensorElementType.Bool, c.In(0).Dims)];
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Mod" or "BitShift" or "Max" or "Min" or "Sum" or "Mean":
                return [Elementwise(c)];
            case "And" or "Or" or "Xor" or "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual":
                return [new InferredValue(TensorElementType.Bool, Broadcast(c, Enumerable.Range(0, c.Node.Inputs.Count).Select(c.In)))];
            case "Where":
                return [new InferredValue(c.In(1).Type, Broadcast(c, [c.In(0), c.In(1), c.In(2)]))];
            case "Conv" or "ConvInteger" or "QLinearConv":
                return [Conv(c)];
            case "ConvTranspose":
                return [ConvTranspose(c)];
            case "MaxPool" or "AveragePool" or "LpPool":
                InferredValue pooled = Pool(c);
                return [pooled, pooled with { Type = TensorElementType.Int64 }];
            case "GlobalAveragePool" or "GlobalMaxPool" or "GlobalLpPool":
            {
                long[] x = c.Dims(0, minRank: 3);
                return [new InferredValue(c.In(0).Type, [x[0], x[1], .. Enumerable.Repeat(1L, x.Length - 2)])];
            }
            case "Gemm":
                return [Gemm(c)];
            case "MatMul" or "MatMulInteger":
                return [MatMul(c)];
            case "Flatten":
                return [Flatten(c)];
            case "Reshape":
                return [Reshape(c)];
            case "Transpose":
                return [Transpose(c)];
            case "Squeeze":
                return [Squeeze(c)];
            case "Unsqueeze":
                return [Unsqueeze(c)];
            case "Concat":
                return [Concat(c)];
            case "Split":
                return Split(c);
            case "Slice":
                return [Slice(c)];
            case "Pad":
                return [Pad(c)];
            case "Resize" or "Upsample":
                return [Resize(c)];
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2"
                or "ReduceLogSum" or "ReduceLogSumExp" or "ReduceSumSquare":
                return [Reduce(c)];
            case "ArgMax" or "ArgMin":
                return [ArgReduce(c)];
            case "Shape":
                return [ShapeOp(c)];
            case "Size":
                return [new InferredValue(TensorElementType.Int64, [], [c.In(0).ElementCount])];
            case "Gather":
                return [Gather(c)];
            case "ConstantOfShape":
                return [ConstantOfShape(c)];
            case "Constant":
                return [Constant(c)];
            case "Cast":
            {
                var to = (TensorElementType)c.Node.GetInt("to", 0);
                InferredValue x = c.In(0);
                bool keepConstant = to is TensorElementType.Int64 or TensorElementType.Int32 && x.Constant is not null;
                return [new InferredValue(to, x.Dims, keepConstant ? x.Constant : null)];
            }
            case "CastLike":
                return [new InferredValue(c.In(1).Type, c.In(0).Dims)];
            case "Expand":
                return [new InferredValue(c.In(0).Type, Broadcast(c, [c.In(0), Shaped(c, c.ConstInts(1, "shape"))]))];
            case "Tile":
            {
                long[] x = c.Dims(0);
                long[] repeats = c.ConstInts(1, "repeats");
                c.Check(repeats.Length == x.Length, $"repeats has {repeats.Length} values for a rank-{x.Length} input");
                return [new InferredValue(c.In(0).Type, x.Zip(repeats, (d, r) => checked(d * r)).ToArray())];
            }
            case "Range":
            {
                long start = c.ConstInts(0, "start")[0], limit = c.ConstInts(1, "limit")[0], delta = c.ConstInts(2, "delta")[0];
                c.Check(delta != 0, "delta is zero");
                long n = Math.Max(0, (long)Math.Ceiling((limit - start) / (double)delta));
                return [new InferredValue(c.In(0).Type, [n], n <= InferredValue.MaxConstantElements
                    ? Enumerable.Range(0, (int)n).Select(i => start + i * delta).ToArray() : null)];
            }
            case "DepthToSpace" or "SpaceToDepth":
            {
                long[] x = c.Dims(0, exactRank: 4);
                long b = c.Node.GetInt("blocksize", 0);
                c.Check(b > 0 && b <= int.MaxValue, $"blocksize {b} must be from 1 to {int.MaxValue}");
                long square = checked(b * b);
                c.Check(c.Node.OpType == "DepthToSpace" ? x[1] % square == 0 : x[2] % b == 0 && x[3] % b == 0,
                    $"blocksize {b} does not divide the input {Dimension.Format(x)}");
                return c.Node.OpType == "DepthToSpace"
                    ? [new InferredValue(c.In(0).Type, [x[0], x[1] / square, checked(x[2] * b), checked(x[3] * b)])]
                    : [new InferredValue(c.In(0).Type, [x[0], checked(x[1] * square), x[2] / b, x[3] / b])];
            }
            case "QuantizeLinear":
            {
                TensorElementType type = c.Has(2) ? c.In(2).Type
                    : (TensorElementType)c.Node.GetInt("output_dtype", (long)TensorElementType.UInt8);
                return [new InferredValue(type == TensorElementType.Undefined ? TensorElementType.UInt8 : type, c.Dims(0))];
            }
            case "DequantizeLinear":
                return [new InferredValue(c.Has(1) ? c.In(1).Type : TensorElementType.Float, c.Dims(0))];
            default:
                return null;
        }
    }

    private static InferredValue Shaped(Context c, long[] dims) => new(TensorElementType.Int64, dims);

    private static InferredValue Elementwise(Context c)
    {
        InferredValue[] inputs = Enumerable.Range(0, c.Node.Inputs.Count).Where(c.Has).Select(c.In).ToArray();
        c.Check(inputs.Length > 0, "has no inputs");
        long[] dims = Broadcast(c, inputs);
        long[]? constant = null;
        if (inputs.Length == 2 && inputs.All(v => v.Constant is not null) && !inputs[0].Type.IsFloatingPoint()
            && c.Node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Max" or "Min")
        {
            long count = Shapes.ElementCount(dims);
            if (count <= InferredValue.MaxConstantElements && inputs.All(v => v.Constant!.Length == 1 || v.Constant.Length == count))
            {
                constant = new long[count];
                for (int i = 0; i < count; i++)
                {
                    long a = inputs[0].Constant![inputs[0].Constant!.Length == 1 ? 0 : i];
                    long b = inputs[1].Constant![inputs[1].Constant!.Length == 1 ? 0 : i];
                    constant[i] = c.Node.OpType switch
                    {
                        "Add" => a + b,
                        "Sub" => a - b,
                        "Mul" => a * b,
                        "Div" => b == 0 ? 0 : a / b,
                        "Max" => Math.Max(a, b),
                        _ => Math.Min(a, b),
                    };
                }
            }
        }

        return new InferredValue(inputs[0].Type, dims, constant);
    }

    private static long[] Broadcast(Context c, IEnumerable<InferredValue> inputs)
    {
        long[] result = [];
        foreach (InferredValue v in inputs)
        {
            long[] d = v.Dims;
            int rank = Math.Max(result.Length, d.Length);
            var next = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long a = i - (rank - result.Length) >= 0 ? result[i - (rank - result.Length)] : 1;
                long b = i - (rank - d.Length) >= 0 ? d[i - (rank - d.Length)] : 1;
                c.Check(a == b || a == 1 || b == 1,
                    $"shapes {Dimension.Format(result)} and {Dimension.Format(d)} cannot be broadcast together (axis {i}: {a} vs {b})");
                next[i] = a == 1 ? b : a;
            }

            result = next;
        }

        return result;
    }

    private static (long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd) Window(
        Context c, long[] spatial, long[] kernel, bool allowCeil, out bool ceilMode)
    {
        int n = spatial.Length;
        long[] strides = c.Ints("strides", n, 1);
        long[] dilations = c.Ints("dilations", n, 1);
        c.Check(strides.All(s => s > 0) && dilations.All(d => d > 0), "strides and dilations must be positive");
        c.Check(kernel.All(k => k > 0), $"kernel {Dimension.Format(kernel)} must be positive");
        ceilMode = allowCeil && c.Node.GetInt("ceil_mode", 0) != 0;
        string autoPad = c.Node.GetString("auto_pad", "NOTSET");
        var begin = new long[n];
        var end = new long[n];
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < n; i++)
            {
                long outSize = (spatial[i] + strides[i] - 1) / strides[i];
                long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end[i] = total - begin[i];
            }
        }
        else if (autoPad is "NOTSET" or "")
        {
            long[] pads = c.Ints("pads", 2 * n, 0);
            c.Check(pads.All(p => p >= 0), $"pads {Dimension.Format(pads)} must not be negative");
            Array.Copy(pads, 0, begin, 0, n);
            Array.Copy(pads, n, end, 0, n);
        }
        else
        {
            c.Check(autoPad == "VALID", $"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }

        return (kernel, strides, dilations, begin, end);
    }

    private static long[] WindowOutput(Context c, long[] spatial, long[] kernel, bool allowCeil)
    {
        var (k, s, d, b, e) = Window(c, spatial, kernel, allowCeil, out bool ceil);
        var result = new long[spatial.Length];
        for (int i = 0; i < spatial.Length; i++)
        {
            long span = spatial[i] + b[i] + e[i] - ((k[i] - 1) * d[i] + 1);
            c.Check(span >= 0, $"the window {Dimension.Format(k)} (dilation {d[i]}) is larger than the padded input {spatial[i] + b[i] + e[i]} on spatial axis {i}");
            long outSize = (ceil ? (span + s[i] - 1) / s[i] : span / s[i]) + 1;
            // As PyTorch and ONNX Runtime do: with ceil_mode the last window must start inside the input or left pad.
            if (ceil && (outSize - 1) * s[i] >= spatial[i] + b[i])
            {
                outSize--;
            }

            result[i] = outSize;
        }

        return result;
    }

    private static InferredValue Conv(Context c)
    {
        bool qlinear = c.Node.OpType == "QLinearConv"; // x, x_scale, x_zero_point, w, ..., y_zero_point, B
        long[] x = c.Dims(0, minRank: 3);
        long[] w = c.Dims(qlinear ? 3 : 1, exactRank: x.Length);
        long group = c.Node.GetInt("group", 1);
        c.Check(group > 0 && x[1] % group == 0 && w[0] % group == 0, $"group {group} does not divide input channels {x[1]} and output channels {w[0]}");
        c.Check(w[1] * group == x[1], $"weight {Dimension.Format(w)} expects {w[1] * group} input channels (group {group}) but the input {Dimension.Format(x)} has {x[1]}");
        long[] kernel = c.Node.GetInts("kernel_shape")?.ToArray() ?? w[2..];
        c.Check(kernel.SequenceEqual(w[2..]), $"kernel_shape {Dimension.Format(kernel)} differs from the weight's {Dimension.Format(w[2..])}");
        if (c.Has(qlinear ? 8 : 2) && c.Node.OpType != "ConvInteger") // ConvInteger's third input is x_zero_point, not a bias
        {
            long[] bias = c.Dims(qlinear ? 8 : 2, exactRank: 1);
            c.Check(bias[0] == w[0], $"bias has {bias[0]} values for {w[0]} output channels");
        }

        long[] spatial = WindowOutput(c, x[2..], kernel, allowCeil: false);
        TensorElementType type = c.Node.OpType == "ConvInteger" ? TensorElementType.Int32
            : qlinear ? (c.Has(7) ? c.In(7).Type : TensorElementType.UInt8) : c.In(0).Type;
        return new InferredValue(type, [x[0], w[0], .. spatial]);
    }

    private static InferredValue ConvTranspose(Context c)
    {
        long[] x = c.Dims(0, minRank: 3);
        long[] w = c.Dims(1, exactRank: x.Length);
        long group = c.Node.GetInt("group", 1);
        c.Check(group > 0 && w[0] == x[1], $"weight {Dimension.Format(w)} expects {w[0]} input channels but the input {Dimension.Format(x)} has {x[1]}");
        int n = x.Length - 2;
        long[] kernel = c.Node.GetInts("kernel_shape")?.ToArray() ?? w[2..];
        long[] strides = c.Ints("strides", n, 1);
        long[] dilations = c.Ints("dilations", n, 1);
        long[] outputPadding = c.Ints("output_padding", n, 0);
        long[]? outputShape = c.Node.GetInts("output_shape")?.ToArray();
        var spatial = new long[n];
        if (outputShape is not null)
        {
            c.Check(outputShape.Length >= n, $"output_shape {Dimension.Format(outputShape)} has fewer than {n} values");
            spatial = outputShape[^n..];
        }
        else
        {
            string autoPad = c.Node.GetString("auto_pad", "NOTSET");
            long[] pads = autoPad is "NOTSET" or "" ? c.Ints("pads", 2 * n, 0) : new long[2 * n];
            for (int i = 0; i < n; i++)
            {
                spatial[i] = autoPad is "SAME_UPPER" or "SAME_LOWER"
                    ? x[i + 2] * strides[i]
                    : strides[i] * (x[i + 2] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + n];
                c.Check(spatial[i] > 0, $"the output size on spatial axis {i} would be {spatial[i]}");
            }
        }

        return new InferredValue(c.In(0).Type, [x[0], w[1] * group, .. spatial]);
    }

    private static InferredValue Pool(Context c)
    {
        long[] x = c.Dims(0, minRank: 3);
        long[]? kernel = c.Node.GetInts("kernel_shape")?.ToArray();
        c.Check(kernel is not null && kernel.Length == x.Length - 2, $"kernel_shape must have {x.Length - 2} values");
        long[] spatial = WindowOutput(c, x[2..], kernel!, allowCeil: true);
        return new InferredValue(c.In(0).Type, [x[0], x[1], .. spatial]);
    }

    private static InferredValue Gemm(Context c)
    {
        long[] a = c.Dims(0, exactRank: 2);
        long[] b = c.Dims(1, exactRank: 2);
        bool transA = c.Node.GetInt("transA", 0) != 0, transB = c.Node.GetInt("transB", 0) != 0;
        long m = transA ? a[1] : a[0], k = transA ? a[0] : a[1];
        long kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
        c.Check(k == kb, $"A {Dimension.Format(a)} (transA={(transA ? 1 : 0)}) and B {Dimension.Format(b)} (transB={(transB ? 1 : 0)}) disagree on K ({k} vs {kb})");
        if (c.Has(2))
        {
            Broadcast(c, [new InferredValue(c.In(0).Type, [m, n]), c.In(2)]);
        }

        return new InferredValue(c.In(0).Type, [m, n]);
    }

    private static InferredValue MatMul(Context c)
    {
        long[] a = c.Dims(0, minRank: 1);
        long[] b = c.Dims(1, minRank: 1);
        long[] a2 = a.Length == 1 ? [1, a[0]] : a;
        long[] b2 = b.Length == 1 ? [b[0], 1] : b;
        c.Check(a2[^1] == b2[^2], $"A {Dimension.Format(a)} and B {Dimension.Format(b)} disagree on K ({a2[^1]} vs {b2[^2]})");
        long[] batch = Broadcast(c, [new InferredValue(TensorElementType.Float, a2[..^2]), new InferredValue(TensorElementType.Float, b2[..^2])]);
        var dims = new List<long>(batch);
        if (a.Length > 1) dims.Add(a2[^2]);
        if (b.Length > 1) dims.Add(b2[^1]);
        TensorElementType type = c.Node.OpType == "MatMulInteger" ? TensorElementType.Int32 : c.In(0).Type;
        return new InferredValue(type, dims.ToArray());
    }

    private static InferredValue Flatten(Context c)
    {
        long[] x = c.Dims(0);
        // axis is in [-r, r]; a negative one counts from the end: axis + r (not r + 1, unlike Unsqueeze).
        long given = c.Node.GetInt("axis", 1);
        long a = given < 0 ? given + x.Length : given;
        c.Check(a >= 0 && a <= x.Length, $"axis {given} is out of range [-{x.Length}, {x.Length}] for a rank-{x.Length} input");
        int axis = (int)a;
        return new InferredValue(c.In(0).Type, [Shapes.ElementCount(x.AsSpan(0, axis)), Shapes.ElementCount(x.AsSpan(axis))], c.In(0).Constant);
    }

    private static InferredValue Reshape(Context c)
    {
        long[] x = c.Dims(0);
        long[] shape = c.Opset >= 5 ? c.ConstInts(1, "shape") : c.Node.GetInts("shape")?.ToArray() ?? [];
        bool allowZero = c.Node.GetInt("allowzero", 0) != 0;
        var result = new long[shape.Length];
        int inferAt = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = shape[i];
            if (d == 0 && !allowZero)
            {
                c.Check(i < x.Length, $"shape {Dimension.Format(shape)} copies axis {i} that the input {Dimension.Format(x)} lacks");
                d = x[i];
            }

            if (d == -1)
            {
                c.Check(inferAt < 0, $"shape {Dimension.Format(shape)} has more than one -1");
                inferAt = i;
                continue;
            }

            c.Check(d >= 0, $"shape {Dimension.Format(shape)} has a negative size {d}");
            result[i] = d;
            known = checked(known * d);
        }

        long total = Shapes.ElementCount(x);
        if (inferAt >= 0)
        {
            c.Check(known > 0 && total % known == 0, $"cannot reshape {Dimension.Format(x)} ({total} elements) to {Dimension.Format(shape)}");
            result[inferAt] = total / known;
        }
        else
        {
            c.Check(known == total, $"cannot reshape {Dimension.Format(x)} ({total} elements) to {Dimension.Format(result)} ({known} elements)");
        }

        return new InferredValue(c.In(0).Type, result, c.In(0).Constant);
    }

    private static InferredValue Transpose(Context c)
    {
        long[] x = c.Dims(0);
        long[] perm = c.Node.GetInts("perm")?.ToArray() ?? Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i).ToArray();
        c.Check(perm.Length == x.Length && perm.Order().SequenceEqual(Enumerable.Range(0, x.Length).Select(i => (long)i)),
            $"perm {Dimension.Format(perm)} is not a permutation of {x.Length} axes");
        return new InferredValue(c.In(0).Type, perm.Select(p => x[p]).ToArray());
    }

    private static long[]? AxesFromInputOrAttribute(Context c, int inputIndex, int inputFromOpset)
    {
        if (c.Opset >= inputFromOpset)
        {
            return c.Has(inputIndex) ? c.ConstInts(inputIndex, "axes") : null;
        }

        return c.Node.GetInts("axes")?.ToArray();
    }

    private static InferredValue Squeeze(Context c)
    {
        long[] x = c.Dims(0);
        long[]? axes = AxesFromInputOrAttribute(c, 1, 13);
        HashSet<int> remove = axes is null
            ? Enumerable.Range(0, x.Length).Where(i => x[i] == 1).ToHashSet()
            : axes.Select(a => c.Axis(a, x.Length)).ToHashSet();
        foreach (int a in remove)
        {
            c.Check(x[a] == 1, $"cannot squeeze axis {a} of size {x[a]} in {Dimension.Format(x)}");
        }

        return new InferredValue(c.In(0).Type, x.Where((_, i) => !remove.Contains(i)).ToArray(), c.In(0).Constant);
    }

    private static InferredValue Unsqueeze(Context c)
    {
        long[] x = c.Dims(0);
        long[]? axes = AxesFromInputOrAttribute(c, 1, 13);
        c.Check(axes is not null, "needs axes");
        int rank = x.Length + axes!.Length;
        var inserted = axes.Select(a => c.Axis(a, rank)).ToHashSet();
        c.Check(inserted.Count == axes.Length, $"axes {Dimension.Format(axes)} repeat an axis");
        var result = new long[rank];
        int src = 0;
        for (int i = 0; i < rank; i++)
        {
            result[i] = inserted.Contains(i) ? 1 : x[src++];
        }

        return new InferredValue(c.In(0).Type, result, c.In(0).Constant);
    }

    private static InferredValue Concat(Context c)
    {
        InferredValue[] inputs = Enumerable.Range(0, c.Node.Inputs.Count).Where(c.Has).Select(c.In).ToArray();
        c.Check(inputs.Length > 0, "has no inputs");
        int rank = inputs[0].Dims.Length;
        int axis = c.Axis(c.Node.GetInt("axis", rank == 1 ? 0 : 1), rank);
        long[] result = inputs[0].Dims.ToArray();
        result[axis] = 0;
        foreach (InferredValue v in inputs)
        {
            c.Check(v.Dims.Length == rank, $"inputs have ranks {inputs[0].Dims.Length} and {v.Dims.Length}");
            for (int i = 0; i < rank; i++)
            {
                c.Check(i == axis || v.Dims[i] == result[i],
                    $"input shapes {Dimension.Format(inputs[0].Dims)} and {Dimension.Format(v.Dims)} differ outside axis {axis}");
            }

            result[axis] += v.Dims[axis];
        }

        long[]? constant = rank == 1 && inputs.All(v => v.Constant is not null) ? inputs.SelectMany(v => v.Constant!).ToArray() : null;
        return new InferredValue(inputs[0].Type, result, constant);
    }

    private static InferredValue[] Split(Context c)
    {
        long[] x = c.Dims(0);
        int axis = c.Axis(c.Node.GetInt("axis", 0), x.Length);
        int outputs = c.Node.Outputs.Count;
        long[]? split = c.Opset >= 13 ? (c.Has(1) ? c.ConstInts(1, "split") : null) : c.Node.GetInts("split")?.ToArray();
        if (split is null)
        {
            long n = c.Node.GetInt("num_outputs", outputs);
            c.Check(n == outputs, $"num_outputs {n} but the node has {outputs} outputs");
            long chunk = (x[axis] + n - 1) / n;
            split = Enumerable.Range(0, outputs).Select(i => Math.Max(0, Math.Min(chunk, x[axis] - i * chunk))).ToArray();
            c.Check(c.Node.Attributes.ContainsKey("num_outputs") || x[axis] % n == 0, $"axis {axis} of size {x[axis]} cannot be split into {n} equal parts");
        }

        c.Check(split.Length == outputs && split.Sum() == x[axis],
            $"split {Dimension.Format(split)} does not cover axis {axis} of size {x[axis]} with {outputs} outputs");
        return split.Select(s =>
        {
            long[] d = x.ToArray();
            d[axis] = s;
            return new InferredValue(c.In(0).Type, d);
        }).ToArray();
    }

    private static InferredValue Slice(Context c)
    {
        long[] x = c.Dims(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (c.Opset >= 10)
        {
            starts = c.ConstInts(1, "starts");
            ends = c.ConstInts(2, "ends");
            axes = c.Has(3) ? c.ConstInts(3, "axes") : null;
            steps = c.Has(4) ? c.ConstInts(4, "steps") : null;
        }
        else
        {
            starts = c.Node.GetInts("starts")?.ToArray() ?? [];
            ends = c.Node.GetInts("ends")?.ToArray() ?? [];
            axes = c.Node.GetInts("axes")?.ToArray();
        }

        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        c.Check(starts.Length == ends.Length && axes.Length == starts.Length && steps.Length == starts.Length,
            "starts, ends, axes and steps have different lengths");
        long[] result = x.ToArray();
        var first = new long[x.Length];
        var stride = Enumerable.Repeat(1L, x.Length).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = c.Axis(axes[i], x.Length);
            long d = x[axis], step = steps[i];
            c.Check(step != 0, "a step is zero");
            (long start, result[axis]) = SliceAxis(starts[i], ends[i], step, d);

            first[axis] = start;
            stride[axis] = step;
        }

        long[]? constant = null;
        if (x.Length == 1 && c.In(0).Constant is { } values)
        {
            constant = Enumerable.Range(0, (int)result[0]).Select(i => values[first[0] + i * stride[0]]).ToArray();
        }

        return new InferredValue(c.In(0).Type, result, constant);
    }

    /// <summary>
    /// ONNX Slice on one axis of size <paramref name="d"/>: the first index read and the element count. Starts and
    /// ends may be anything from long.MinValue to long.MaxValue and steps ±2^63: negative starts/ends count from
    /// the end, then are clamped to [0, d] (positive step) or [-1, d-1] (negative step); nothing overflows.
    /// </summary>
    internal static (long Start, long Count) SliceAxis(long start, long end, long step, long d)
    {
        // d >= 0, so adding it to a negative value cannot overflow.
        start = start < 0 ? start + d : start;
        end = end < 0 ? end + d : end;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, d);
            end = Math.Clamp(end, 0, d);
            return (start, end > start ? ((end - start - 1) / step) + 1 : 0);
        }

        start = Math.Clamp(start, 0, Math.Max(0, d - 1));
        end = Math.Clamp(end, -1, Math.Max(-1, d - 1));
        if (d == 0 || start <= end)
        {
            return (start, 0);
        }

        // |step| as unsigned: -long.MinValue does not fit a long.
        ulong magnitude = step == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)(-step);
        return (start, (long)((ulong)(start - end - 1) / magnitude) + 1);
    }

    private static InferredValue Pad(Context c)
    {
        long[] x = c.Dims(0);
        long[] pads = c.Opset >= 11 ? c.ConstInts(1, "pads") : c.Node.GetInts("pads")?.ToArray() ?? c.Node.GetInts("paddings")?.ToArray() ?? [];
        long[] axes = c.Opset >= 18 && c.Has(3)
            ? c.ConstInts(3, "axes").Select(a => (long)c.Axis(a, x.Length)).ToArray()
            : Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
        c.Check(pads.Length == 2 * axes.Length, $"pads {Dimension.Format(pads)} needs {2 * axes.Length} values");
        long[] result = x.ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            result[axes[i]] += pads[i] + pads[i + axes.Length];
            c.Check(result[axes[i]] >= 0, $"pads {Dimension.Format(pads)} remove more than axis {axes[i]} holds");
        }

        return new InferredValue(c.In(0).Type, result);
    }

    private static InferredValue Resize(Context c)
    {
        long[] x = c.Dims(0);
        long[]? sizes = null;
        double[]? scales = null;
        if (c.Node.OpType == "Upsample" && c.Opset < 9)
        {
            scales = c.Node.GetFloats("scales")?.Select(f => (double)f).ToArray();
        }
        else if (c.Opset < 11)
        {
            scales = c.ConstFloats(1, "scales");
        }
        else
        {
            if (c.Has(3))
            {
                sizes = c.ConstInts(3, "sizes");
            }
            else if (c.Has(2))
            {
                scales = c.ConstFloats(2, "scales");
            }
        }

        long[] axes = c.Node.GetInts("axes")?.Select(a => (long)c.Axis(a, x.Length)).ToArray()
            ?? Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
        long[] result = x.ToArray();
        if (sizes is not null)
        {
            c.Check(sizes.Length == axes.Length, $"sizes {Dimension.Format(sizes)} needs {axes.Length} values");
            for (int i = 0; i < axes.Length; i++) result[axes[i]] = sizes[i];
        }
        else
        {
            c.Check(scales is not null && scales.Length == axes.Length, $"needs {axes.Length} scales or sizes");
            for (int i = 0; i < axes.Length; i++)
            {
                c.Check(scales![i] > 0, "scales must be positive");
                result[axes[i]] = (long)Math.Floor(x[axes[i]] * scales[i]);
            }
        }

        return new InferredValue(c.In(0).Type, result);
    }

    private static InferredValue Reduce(Context c)
    {
        long[] x = c.Dims(0);
        // The axes moved from an attribute to an input at opset 13 for ReduceSum and at opset 18 for the others.
        int inputFrom = c.Node.OpType == "ReduceSum" ? 13 : 18;
        long[]? axes = AxesFromInputOrAttribute(c, 1, inputFrom);
        bool keep = c.Node.GetInt("keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (c.Node.GetInt("noop_with_empty_axes", 0) != 0)
            {
                return new InferredValue(c.In(0).Type, c.In(0).Dims);
            }

            axes = Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
        }

        var reduced = axes.Select(a => c.Axis(a, x.Length)).ToHashSet();
        long[] result = keep ? x.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray() : x.Where((_, i) => !reduced.Contains(i)).ToArray();
        return new InferredValue(c.In(0).Type, result);
    }

    private static InferredValue ArgReduce(Context c)
    {
        long[] x = c.Dims(0);
        int axis = c.Axis(c.Node.GetInt("axis", 0), x.Length);
        bool keep = c.Node.GetInt("keepdims", 1) != 0;
        long[] result = keep ? x.Select((d, i) => i == axis ? 1 : d).ToArray() : x.Where((_, i) => i != axis).ToArray();
        return new InferredValue(TensorElementType.Int64, result);
    }

    private static InferredValue ShapeOp(Context c)
    {
        long[] x = c.Dims(0);
        int r = x.Length;
        long start = c.Node.GetInt("start", 0), end = c.Node.GetInt("end", r);
        start = Math.Clamp(start < 0 ? start + r : start, 0, r);
        end = Math.Clamp(end < 0 ? end + r : end, 0, r);
        long[] dims = x[(int)start..(int)Math.Max(start, end)];
        return new InferredValue(TensorElementType.Int64, [dims.Length], dims);
    }

    private static InferredValue Gather(Context c)
    {
        InferredValue data = c.In(0), indices = c.In(1);
        long[] x = data.Dims;
        int axis = c.Axis(c.Node.GetInt("axis", 0), x.Length);
        long[] result = [.. x[..axis], .. indices.Dims, .. x[(axis + 1)..]];
        long[]? constant = null;
        if (x.Length == 1 && data.Constant is not null && indices.Constant is not null)
        {
            constant = indices.Constant.Select(i =>
            {
                long k = i < 0 ? i + x[0] : i;
                c.Check(k >= 0 && k < x[0], $"index {i} is out of range for {x[0]} values");
                return data.Constant[k];
            }).ToArray();
        }

        return new InferredValue(data.Type, result, constant);
    }

    private static InferredValue ConstantOfShape(Context c)
    {
        long[] shape = c.ConstInts(0, "shape");
        try
        {
            Shapes.Validate(shape, $"the output of {c.Node.DisplayName}");
        }
        catch (LightNetException e)
        {
            throw c.Fail(e.Message);
        }

        TensorData? value = c.Node.GetTensor("value");
        TensorElementType type = value?.ElementType ?? TensorElementType.Float;
        long count = Shapes.ElementCount(shape);
        long[]? constant = value is not null && !type.IsFloatingPoint() && count <= InferredValue.MaxConstantElements
            ? Enumerable.Repeat(value.ToInt64Array()[0], (int)count).ToArray() : null;
        return new InferredValue(type, shape, constant);
    }

    private static InferredValue Constant(Context c)
    {
        if (c.Node.GetTensor("value") is { } t)
        {
            return InferredValue.FromTensor(t);
        }

        if (c.Node.Attributes.TryGetValue("value_int", out NodeAttribute? i))
        {
            return new InferredValue(TensorElementType.Int64, [], [i.IntValue]);
        }

        if (c.Node.Attributes.TryGetValue("value_ints", out NodeAttribute? ints))
        {
            return new InferredValue(TensorElementType.Int64, [ints.IntValues.Count], ints.IntValues.ToArray());
        }

        if (c.Node.Attributes.ContainsKey("value_float"))
        {
            return new InferredValue(TensorElementType.Float, []);
        }

        if (c.Node.Attributes.TryGetValue("value_floats", out NodeAttribute? floats))
        {
            return new InferredValue(TensorElementType.Float, [floats.FloatValues.Count]);
        }

        if (c.Node.Attributes.ContainsKey("value_string"))
        {
            return new InferredValue(TensorElementType.String, []);
        }

        if (c.Node.Attributes.TryGetValue("value_strings", out NodeAttribute? strings))
        {
            return new InferredValue(TensorElementType.String, [strings.StringValues.Count]);
        }

        throw c.Fail("has no value attribute (value, value_int, value_ints, value_float, ...)");
    }

    /// <summary>One node's inputs and attribute helpers, with errors that name the node.</summary>
    private sealed class Context(Node node, long opset, Func<string, InferredValue?> lookup)
    {
        public Node Node { get; } = node;

        public long Opset { get; } = opset;

        public bool Has(int i) => Node.InputOrNull(i) is { } name && lookup(name) is not null;

        public InferredValue In(int i)
        {
            string? name = Node.InputOrNull(i);
            if (name is null)
            {
                throw Fail($"needs input {i}");
            }

            return lookup(name) ?? throw Fail($"input '{name}' has no known shape");
        }

        public long[] Dims(int i, int minRank = 0, int exactRank = -1)
        {
            long[] d = In(i).Dims;
            Check(d.Length >= minRank, $"input {i} '{Node.Inputs[i]}' has shape {Dimension.Format(d)}, rank {d.Length}; it needs rank {minRank} or more");
            Check(exactRank < 0 || d.Length == exactRank, $"input {i} '{Node.Inputs[i]}' has shape {Dimension.Format(d)}; it needs rank {exactRank}");
            return d;
        }

        public long[] ConstInts(int i, string what)
        {
            InferredValue v = In(i);
            return v.Constant ?? throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Shape inference needs the {what} of {Node.DisplayName} as a constant, but '{Node.Inputs[i]}' is computed at run time.");
        }

        public double[] ConstFloats(int i, string what)
        {
            string name = Node.Inputs[i];
            InferredValue v = In(i);
            if (v.ElementCount == 0)
            {
                return [];
            }

            if (v.FloatValues is not null)
            {
                return v.FloatValues;
            }

            if (v.Constant is not null)
            {
                return v.Constant.Select(x => (double)x).ToArray();
            }

            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Shape inference needs the {what} of {Node.DisplayName} as a constant, but '{name}' is computed at run time.");
        }

        public long[] Ints(string name, int count, long defaultValue)
        {
            IReadOnlyList<long>? v = Node.GetInts(name);
            if (v is null || v.Count == 0)
            {
                return Enumerable.Repeat(defaultValue, count).ToArray();
            }

            Check(v.Count == count, $"attribute '{name}' has {v.Count} values; {count} expected");
            return v.ToArray();
        }

        public int Axis(long axis, int rank)
        {
            long a = axis < 0 ? axis + rank : axis;
            Check(a >= 0 && a < rank, $"axis {axis} is out of range for rank {rank}");
            return (int)a;
        }

        public void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw Fail(message);
            }
        }

        public LightNetException Fail(string message) =>
            new(ErrorCode.InvalidShape, $"Shape inference failed at {Node.DisplayName} (opset {Opset}): {message}.");
    }
}

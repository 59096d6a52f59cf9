using LightNet.Onnx;

namespace LightNet.Analysis;

/// <summary>Computes <see cref="ModelInfo"/>: resolves input shapes, infers all shapes, then counts.</summary>
internal static class ModelAnalyzer
{
    public static ModelInfo Analyze(Model model, AnalysisOptions options)
    {
        try
        {
            return AnalyzeCore(model, options);
        }
        catch (Exception e) when (e is OverflowException or DivideByZeroException)
        {
            // Sums of element counts and bytes are checked: a model whose numbers overflow 64 bits is refused, not wrapped.
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Model '{model.SourcePath ?? model.Graph.Name}': a shape, element count or byte count overflows 64 bits or divides by zero ({e.Message}).", e);
        }
    }

    private static ModelInfo AnalyzeCore(Model model, AnalysisOptions options)
    {
        Graph graph = model.Graph;
        Dictionary<string, InferredValue> inputs = ResolveInputs(graph, options);
        Dictionary<string, InferredValue> values = ShapeInference.Run(graph, model.Opset, inputs);

        Dictionary<string, TensorData> stored = StoredTensors(graph);
        var (parameters, buffers, constants) = CountStoredValues(graph, stored);
        var firstReader = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
        {
            foreach (string input in n.Inputs)
            {
                if (stored.ContainsKey(input))
                {
                    firstReader.TryAdd(input, n);
                }
            }
        }

        var layers = new List<LayerInfo>(graph.Nodes.Count);
        long totalMacs = 0;
        foreach (Node n in graph.Nodes)
        {
            long macs = Macs(n, values);
            totalMacs += macs;
            long nodeParams = n.Inputs.Where(i => firstReader.TryGetValue(i, out Node? r) && r == n && parameters.ContainsKey(i))
                .Distinct().Sum(i => parameters[i]);
            long outBytes = n.Outputs.Where(o => o.Length > 0 && values.ContainsKey(o)).Sum(o => values[o].ByteCount);
            long[] outShape = n.Outputs.Count > 0 && values.TryGetValue(n.Outputs[0], out InferredValue? v) ? v.Dims : [];
            layers.Add(new LayerInfo(n.Index, n.Name, n.OpType, outShape, nodeParams, macs, outBytes));
        }

        return new ModelInfo
        {
            Parameters = parameters.Values.Sum(),
            BufferValues = buffers,
            ConstantValues = constants,
            Macs = totalMacs,
            WeightBytes = stored.Values.Sum(t => t.ByteCount),
            FileBytes = model.SerializedBytes,
            PeakActivationBytes = PeakActivationBytes(graph, values, stored),
            OperatorCounts = graph.Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Inputs = graph.Inputs.Select(i => Resolved(i, values)).ToArray(),
            Outputs = graph.Outputs.Select(o => Resolved(o, values)).ToArray(),
            Opset = model.Opset,
            IrVersion = model.IrVersion,
            Producer = $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            Layers = layers,
        };
    }

    private static ValueInfo Resolved(ValueInfo v, Dictionary<string, InferredValue> values) =>
        values.TryGetValue(v.Name, out InferredValue? inferred)
            ? new ValueInfo(v.Name, inferred.Type, inferred.Dims.Select(Dimension.Fixed).ToArray())
            : v;

    /// <summary>Fixed shapes for every graph input, or one error that lists every dimension still missing.</summary>
    internal static Dictionary<string, InferredValue> ResolveInputs(Graph graph, AnalysisOptions options)
    {
        var result = new Dictionary<string, InferredValue>(StringComparer.Ordinal);
        var missing = new List<string>();
        if (options.InputShapes is not null)
        {
            foreach (string name in options.InputShapes.Keys.Where(k => graph.Inputs.All(i => i.Name != k)))
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"A shape was given for '{name}', which is not an input of the model (inputs: {string.Join(", ", graph.Inputs.Select(i => i.Name))}).");
            }
        }

        foreach (ValueInfo input in graph.Inputs)
        {
            TensorElementType type = input.ElementType == TensorElementType.Undefined ? TensorElementType.Float : input.ElementType;
            if (options.InputShapes?.TryGetValue(input.Name, out long[]? given) == true)
            {
                long[] dims = Shapes.Validate(given, $"the shape given for input '{input.Name}'");
                if (input.Shape is not null)
                {
                    if (input.Shape.Count != dims.Length)
                    {
                        throw new LightNetException(ErrorCode.InvalidShape,
                            $"The shape {Dimension.Format(dims)} given for input '{input.Name}' has rank {dims.Length}; the model declares {Dimension.Format(input.Shape)}.");
                    }

                    for (int i = 0; i < dims.Length; i++)
                    {
                        if (input.Shape[i].Value is long fixedValue && fixedValue != dims[i])
                        {
                            throw new LightNetException(ErrorCode.InvalidShape,
                                $"The shape {Dimension.Format(dims)} given for input '{input.Name}' differs at axis {i} from the declared {Dimension.Format(input.Shape)}.");
                        }
                    }
                }

                result[input.Name] = new InferredValue(type, dims);
                continue;
            }

            if (input.Shape is null)
            {
                missing.Add($"input '{input.Name}' (no declared shape: give its full shape)");
                continue;
            }

            var resolved = new long[input.Shape.Count];
            for (int i = 0; i < resolved.Length; i++)
            {
                Dimension d = input.Shape[i];
                if (d.Value is long v)
                {
                    resolved[i] = v;
                }
                else if (d.Parameter is not null && options.DimensionValues?.TryGetValue(d.Parameter, out long pv) == true && pv >= 0)
                {
                    resolved[i] = pv;
                }
                else
                {
                    missing.Add(d.Parameter is not null ? $"input '{input.Name}' axis {i} ('{d.Parameter}')" : $"input '{input.Name}' axis {i} (unnamed)");
                }
            }

            result[input.Name] = new InferredValue(type, resolved);
        }

        if (missing.Count > 0)
        {
            throw new LightNetException(ErrorCode.MissingDimension,
                $"These dynamic dimensions need values (AnalysisOptions.DimensionValues or InputShapes): {string.Join("; ", missing)}.");
        }

        return result;
    }

    /// <summary>
    /// Every stored tensor by value name: the initializers, and the values of Constant nodes (PaddlePaddle and some
    /// TensorFlow exporters keep their weights there). Weights are weights wherever they are stored.
    /// </summary>
    internal static Dictionary<string, TensorData> StoredTensors(Graph graph)
    {
        var stored = new Dictionary<string, TensorData>(graph.Initializers, StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
        {
            if (n.OpType == "Constant" && (n.Domain is "" or "ai.onnx") && n.Outputs.Count > 0 && n.Outputs[0].Length > 0
                && ConstantTensor(n, n.Outputs[0]) is { } t)
            {
                stored.TryAdd(n.Outputs[0], t);
            }
        }

        return stored;
    }

    /// <summary>The tensor a Constant node holds (value, value_float(s), value_int(s)); null for strings and sparse values.</summary>
    private static TensorData? ConstantTensor(Node n, string name)
    {
        if (n.GetTensor("value") is { } t) return t;
        if (n.Attributes.ContainsKey("value_float")) return TensorData.FromFloats(name, [], [n.GetFloat("value_float", 0)]);
        if (n.GetFloats("value_floats") is { } fs) return TensorData.FromFloats(name, [fs.Count], fs.ToArray());
        if (n.Attributes.ContainsKey("value_int")) return TensorData.FromInt64s(name, [], [n.GetInt("value_int", 0)]);
        if (n.GetInts("value_ints") is { } ls) return TensorData.FromInt64s(name, [ls.Count], ls.ToArray());
        return null;
    }

    /// <summary>Trainable parameters per stored tensor, plus BN statistics and other constants.</summary>
    private static (Dictionary<string, long> Parameters, long Buffers, long Constants) CountStoredValues(Graph graph, Dictionary<string, TensorData> stored)
    {
        var bnStatistics = new HashSet<string>(StringComparer.Ordinal);
        var quantizedWeights = new HashSet<string>(StringComparer.Ordinal);
        var settings = new HashSet<string>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
        {
            // Float inputs that configure an op rather than hold weights: Clip bounds, Resize roi/scales,
            // Pad's fill value, quantization scales.
            int[] settingInputs = n.OpType switch
            {
                "Clip" => [1, 2],
                "Resize" => [1, 2],
                "Upsample" => [1],
                "Pad" => [2],
                "QuantizeLinear" or "DequantizeLinear" => [1, 2],
                _ => [],
            };
            foreach (int i in settingInputs)
            {
                if (n.InputOrNull(i) is { } setting) settings.Add(setting);
            }

            if (n.OpType == "BatchNormalization")
            {
                if (n.InputOrNull(3) is { } mean) bnStatistics.Add(mean);
                if (n.InputOrNull(4) is { } variance) bnStatistics.Add(variance);
            }
            else if (n.OpType == "DequantizeLinear" && n.InputOrNull(0) is { } w)
            {
                quantizedWeights.Add(w);
            }
        }

        var parameters = new Dictionary<string, long>(StringComparer.Ordinal);
        long buffers = 0, constants = 0;
        foreach ((string name, TensorData t) in stored)
        {
            if (bnStatistics.Contains(name))
            {
                buffers += t.ElementCount;
            }
            else if ((t.ElementType.IsFloatingPoint() && !settings.Contains(name)) || quantizedWeights.Contains(name))
            {
                parameters[name] = t.ElementCount;
            }
            else
            {
                constants += t.ElementCount;
            }
        }

        return (parameters, buffers, constants);
    }

    /// <summary>The node's multiply-accumulates, as its operator's registry entry counts them (0 for unknown operators).</summary>
    private static long Macs(Node n, Dictionary<string, InferredValue> values)
    {
        Operators.OperatorDef? op = Operators.OperatorRegistry.Find(n.Domain, n.OpType);
        if (op is null)
        {
            return 0;
        }

        long[]?[] Shapes(IReadOnlyList<string> names) =>
            names.Select(name => name.Length > 0 && values.TryGetValue(name, out InferredValue? v) ? v.Dims : null).ToArray();
        return op.Macs(n, Shapes(n.Inputs), Shapes(n.Outputs));
    }

    private static long PeakActivationBytes(Graph graph, Dictionary<string, InferredValue> values, Dictionary<string, TensorData> stored)
    {
        // Weights (initializers and Constant-node values) are not activations.
        long Bytes(string name) => !stored.ContainsKey(name) && values.TryGetValue(name, out InferredValue? v) ? v.ByteCount : 0;

        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
        {
            foreach (string input in n.Inputs.Where(i => i.Length > 0 && !stored.ContainsKey(i)))
            {
                lastUse[input] = n.Index;
            }
        }

        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        long live = graph.Inputs.Sum(i => Bytes(i.Name));
        long peak = live;
        foreach (Node n in graph.Nodes)
        {
            live += n.Outputs.Where(o => o.Length > 0).Sum(Bytes);
            peak = Math.Max(peak, live);
            foreach (string value in n.Inputs.Concat(n.Outputs).Where(v => v.Length > 0 && !stored.ContainsKey(v)).Distinct())
            {
                bool deadAfterThis = lastUse.TryGetValue(value, out int last) ? last == n.Index : n.Outputs.Contains(value);
                if (deadAfterThis && !outputs.Contains(value))
                {
                    live -= Bytes(value);
                }
            }
        }

        return peak;
    }
}

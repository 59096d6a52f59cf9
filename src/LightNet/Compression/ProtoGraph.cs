using Google.Protobuf;
using LightNet.Onnx.Protos;
using LightNet.Operators.Support;

namespace LightNet.Compression;

/// <summary>Helpers for rewriting an ONNX graph at the protobuf level: tensors, names, opset upgrades, BN folding.</summary>
internal static class ProtoGraph
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;
    public const int Int8 = (int)TensorProto.Types.DataType.Int8;
    public const int UInt8 = (int)TensorProto.Types.DataType.Uint8;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;

    private static readonly HashSet<string> s_quantizedOps = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
        "DynamicQuantizeLinear", "QLinearAdd", "QLinearMul", "QGemm", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
        "QLinearGlobalAveragePool", "QLinearConcat", "QLinearAveragePool", "QLinearLeakyRelu", "QLinearSigmoid",
    };

    /// <summary>A deep copy of the model's protobuf with external data inlined.</summary>
    public static ModelProto CloneProto(Model model) => ModelProto.Parser.ParseFrom(model.ToArray());

    /// <summary>Wraps a rewritten protobuf as a checked model.</summary>
    public static Model ToModel(ModelProto proto, string source) =>
        Model.FromProto(proto, ModelLoadOptions.Default, source, null, null, proto.CalculateSize());

    public static void ThrowIfQuantized(ModelProto proto, string what)
    {
        NodeProto? q = proto.Graph.Node.FirstOrDefault(n => s_quantizedOps.Contains(n.OpType));
        if (q is not null)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The model is already quantized (node '{q.Name}' is a {q.OpType}); {what} needs a float model.");
        }
    }

    public static float[] Floats(TensorProto t)
    {
        if (t.DataType != Float)
        {
            throw new LightNetException(ErrorCode.InvalidTensor, $"Tensor '{t.Name}' is {(TensorProto.Types.DataType)t.DataType}, not float.");
        }

        if (!t.RawData.IsEmpty)
        {
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        }

        return t.FloatData.ToArray();
    }

    public static TensorProto Tensor<T>(string name, int dataType, IReadOnlyList<long> dims, ReadOnlySpan<T> values) where T : unmanaged
    {
        var t = new TensorProto { Name = name, DataType = dataType };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        return t;
    }

    public static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static long GetInt(NodeProto n, string name, long fallback) =>
        n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    public static float GetFloat(NodeProto n, string name, float fallback) =>
        n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>A name not used by any tensor or node of the graph yet.</summary>
    public sealed class Names(GraphProto graph)
    {
        private readonly HashSet<string> _used = new(graph.Node.SelectMany(n => n.Input.Concat(n.Output).Append(n.Name))
            .Concat(graph.Initializer.Select(i => i.Name)).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Output.Select(o => o.Name)),
            StringComparer.Ordinal);

        public string Fresh(string wanted)
        {
            string name = wanted;
            for (int i = 1; !_used.Add(name); i++)
            {
                name = $"{wanted}_{i}";
            }

            return name;
        }
    }

    /// <summary>
    /// Raises a model's default-domain opset to <paramref name="target"/> (QDQ per-channel needs 13), rewriting the
    /// operators whose inputs or attributes changed on the way; operators it cannot rewrite are refused by name.
    /// </summary>
    public static void UpgradeOpset(ModelProto proto, long target)
    {
        OperatorSetIdProto? onnx = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        long current = onnx?.Version ?? 1;
        if (current >= target)
        {
            return;
        }

        GraphProto g = proto.Graph;
        var names = new Names(g);
        foreach (NodeProto n in g.Node.Where(n => n.Domain is "" or "ai.onnx"))
        {
            switch (n.OpType)
            {
                case "Clip" when current < 11:
                    // min/max moved from attributes to inputs in opset 11.
                    float min = GetFloat(n, "min", float.MinValue), max = GetFloat(n, "max", float.MaxValue);
                    RemoveAttributes(n, "min", "max");
                    string minName = names.Fresh(n.Name + "_min"), maxName = names.Fresh(n.Name + "_max");
                    g.Initializer.Add(Tensor<float>(minName, Float, [], [min]));
                    g.Initializer.Add(Tensor<float>(maxName, Float, [], [max]));
                    while (n.Input.Count < 3) n.Input.Add("");
                    n.Input[1] = minName;
                    n.Input[2] = maxName;
                    break;
                case "Squeeze" or "Unsqueeze" when n.Attribute.Any(a => a.Name == "axes"):
                    long[] axes = n.Attribute.First(a => a.Name == "axes").Ints.ToArray();
                    RemoveAttributes(n, "axes");
                    string axesName = names.Fresh(n.Name + "_axes");
                    g.Initializer.Add(Tensor<long>(axesName, Int64, [axes.Length], axes));
                    n.Input.Add(axesName);
                    break;
                case "BatchNormalization":
                    RemoveAttributes(n, "spatial", "is_test", "consumed_inputs");
                    break;
                case "Dropout" when n.Attribute.Any(a => a.Name is "ratio" or "is_test"):
                    RemoveAttributes(n, "ratio", "is_test");
                    break;
                case "Softmax" or "LogSoftmax" or "Hardmax" when current < 13:
                    // Opset 13 changed the meaning of axis (one axis instead of "flatten from axis"); equal only for the last axis
                    // of a rank-2 input, which is the classifier-head case. Anything else is refused rather than silently changed.
                    if (GetInt(n, "axis", 1) is not (1 or -1))
                    {
                        throw Unupgradable(n, current, target);
                    }

                    break;
                case "Pad" or "Upsample" or "Slice" or "Split" or "ReduceSum" or "TopK" or "Resize" or "Scatter" or "Shrink" when current < 13:
                    throw Unupgradable(n, current, target);
                default:
                    break;
            }
        }

        if (onnx is null)
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = target });
        }
        else
        {
            onnx.Version = target;
        }

        proto.IrVersion = Math.Max(proto.IrVersion, 7);
    }

    private static LightNetException Unupgradable(NodeProto n, long from, long to) =>
        new(ErrorCode.UnsupportedOperator,
            $"Node '{n.Name}' ({n.OpType}) cannot be moved from opset {from} to opset {to}, which QDQ quantization needs; convert the model to opset {to} first.");

    private static void RemoveAttributes(NodeProto n, params string[] names)
    {
        for (int i = n.Attribute.Count - 1; i >= 0; i--)
        {
            if (names.Contains(n.Attribute[i].Name)) n.Attribute.RemoveAt(i);
        }
    }

    /// <summary>Folds every BatchNormalization that follows a Conv with constant weights (and feeds nothing else) into the Conv.</summary>
    /// <returns>Number of BatchNormalization nodes folded.</returns>
    public static int FoldBatchNorm(GraphProto g)
    {
        var init = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var consumers = Consumers(g);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = new Names(g);
        var remove = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (NodeProto bn in g.Node.Where(n => n.OpType == "BatchNormalization" && n.Output.Count >= 1).ToList())
        {
            NodeProto? conv = g.Node.FirstOrDefault(n => n.OpType == "Conv" && n.Output.Count == 1 && n.Output[0] == bn.Input[0]);
            if (conv is null || consumers[conv.Output[0]].Count != 1 || outputs.Contains(conv.Output[0])
                || bn.Output.Skip(1).Any(o => o.Length > 0)
                || !init.TryGetValue(conv.Input[1], out TensorProto? w) || w.DataType != Float
                || bn.Input.Skip(1).Take(4).Any(i => !init.ContainsKey(i) || init[i].DataType != Float)
                || consumers.GetValueOrDefault(conv.Input[1])?.Count > 1
                || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !init.ContainsKey(conv.Input[2])))
            {
                continue;
            }

            float eps = GetFloat(bn, "epsilon", 1e-5f);
            float[] gamma = Floats(init[bn.Input[1]]), beta = Floats(init[bn.Input[2]]), mean = Floats(init[bn.Input[3]]), variance = Floats(init[bn.Input[4]]);
            float[] weights = Floats(w);
            int channels = (int)w.Dims[0];
            if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
            {
                continue;
            }

            bool hasBias = conv.Input.Count > 2 && conv.Input[2].Length > 0;
            (float[] scale, float[] shift) = BatchNormFold.Affine(gamma, beta, mean, variance, eps);
            float[] newBias = BatchNormFold.IntoWeights(weights, hasBias ? Floats(init[conv.Input[2]]) : null, scale, shift);

            string wName = names.Fresh(conv.Input[1] + "_bnfolded"), bName = names.Fresh((conv.Name.Length > 0 ? conv.Name : conv.Output[0]) + "_bias_bnfolded");
            g.Initializer.Add(Tensor<float>(wName, Float, w.Dims, weights));
            g.Initializer.Add(Tensor<float>(bName, Float, [channels], newBias));
            conv.Input[1] = wName;
            if (hasBias) conv.Input[2] = bName; else conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            remove.Add(bn);
        }

        foreach (NodeProto bn in remove) g.Node.Remove(bn);
        RemoveUnusedInitializers(g);
        return remove.Count;
    }

    public static Dictionary<string, List<NodeProto>> Consumers(GraphProto g)
    {
        var map = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (NodeProto n in g.Node)
        {
            foreach (string i in n.Input.Where(i => i.Length > 0).Distinct())
            {
                if (!map.TryGetValue(i, out List<NodeProto>? list)) map[i] = list = [];
                list.Add(n);
            }
        }

        return map;
    }

    public static void RemoveUnusedInitializers(GraphProto g)
    {
        var used = g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var dead = g.Initializer.Where(i => !used.Contains(i.Name)).ToList();
        var deadNames = dead.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (TensorProto t in dead) g.Initializer.Remove(t);
        for (int i = g.Input.Count - 1; i >= 0; i--)
        {
            if (deadNames.Contains(g.Input[i].Name)) g.Input.RemoveAt(i);
        }
    }
}

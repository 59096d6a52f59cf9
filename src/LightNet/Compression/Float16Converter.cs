using LightNet.Onnx.Protos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Compression;

/// <summary>Converts a float model to FP16: initializers and intermediate tensors, with Cast nodes around blocked ops.</summary>
public static class Float16Converter
{
    /// <summary>Converts <paramref name="model"/> to FP16.</summary>
    /// <param name="model">A float model.</param>
    /// <param name="options">Options; null for <see cref="Float16Options.Default"/>.</param>
    /// <returns>The FP16 model. A warning naming every constant clamped to FP16's range goes to <see cref="Float16Options.LoggerFactory"/>.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options or a model with no float tensor.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static Model Convert(Model model, Float16Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= Float16Options.Default;
        options.ThrowIfInvalid();
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Float16Converter).FullName!);
        ModelProto proto = ProtoGraph.CloneProto(model);
        GraphProto g = proto.Graph;
        if (!g.Initializer.Any(t => t.DataType == ProtoGraph.Float) && !g.Input.Any(i => IsFloat(i)) && !g.Node.Any(n => n.OpType == "Constant"))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The model has no float tensor to convert to FP16.");
        }

        var blockedOps = (options.BlockedOpTypes ?? Float16Options.DefaultBlockedOpTypes).ToHashSet(StringComparer.Ordinal);
        var blockedNodes = options.BlockedNodes.ToHashSet(StringComparer.Ordinal);
        bool Half(NodeProto n) => n.Domain is "" or "ai.onnx" && !blockedOps.Contains(n.OpType) && !blockedNodes.Contains(n.Name);

        // Which float tensors exist, and where each lives: FP16 when made by an FP16 node (or an FP16 input), FP32 otherwise.
        var floatTensors = new HashSet<string>(StringComparer.Ordinal);
        var halfTensors = new HashSet<string>(StringComparer.Ordinal);
        var types = g.ValueInfo.Concat(g.Input).Concat(g.Output).GroupBy(v => v.Name).ToDictionary(x => x.Key, x => x.First(), StringComparer.Ordinal);
        var init = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = ProtoGraph.Consumers(g);
        foreach (ValueInfoProto input in g.Input.Where(i => !init.ContainsKey(i.Name) && IsFloat(i)))
        {
            floatTensors.Add(input.Name);
            if (!options.KeepIOTypes) halfTensors.Add(input.Name);
        }

        int clamped = 0;
        foreach (TensorProto t in g.Initializer.Where(t => t.DataType == ProtoGraph.Float).ToList())
        {
            floatTensors.Add(t.Name);
            List<NodeProto> users = consumers.GetValueOrDefault(t.Name) ?? [];
            if (users.Count > 0 && users.All(Half) && !users.Any(u => KeepsFloat32Input(u, t.Name)))
            {
                clamped += ToHalf(t, options, logger);
                halfTensors.Add(t.Name);
            }
        }

        var produced = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (NodeProto n in g.Node)
        {
            bool half = Half(n);
            if (n.OpType == "Constant" && n.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { DataType: ProtoGraph.Float } value })
            {
                floatTensors.Add(n.Output[0]);
                if (half)
                {
                    clamped += ToHalf(value, options, logger, n.Output[0]);
                    halfTensors.Add(n.Output[0]);
                }

                continue;
            }

            if (n.OpType == "Cast")
            {
                long to = ProtoGraph.GetInt(n, "to", 0);
                if (to == ProtoGraph.Float)
                {
                    floatTensors.Add(n.Output[0]);
                    if (half)
                    {
                        // An existing Cast to float inside the FP16 region now casts to FP16, or its consumers would see FP32.
                        n.Attribute.First(a => a.Name == "to").I = ProtoGraph.Float16;
                        halfTensors.Add(n.Output[0]);
                    }
                }

                continue;
            }

            // Other outputs are float when any float tensor goes in (or the model's types say so).
            bool floatIn = n.Input.Any(floatTensors.Contains);
            foreach (string o in n.Output.Where(o => o.Length > 0))
            {
                bool isFloat = types.TryGetValue(o, out ValueInfoProto? vi) ? IsFloat(vi) : floatIn && !NonFloatOutput(n);
                if (!isFloat) continue;
                floatTensors.Add(o);
                if (half) halfTensors.Add(o);
            }
        }

        // Casts where a tensor's precision differs from its consumer's, placed right after the producer (topological order holds).
        var names = new ProtoGraph.Names(g);
        var casts = new Dictionary<(string, bool), string>();
        var castAfter = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        var castFirst = new List<NodeProto>();
        var producers = new HashSet<string>(g.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        string CastOf(string tensor, bool toHalf)
        {
            if (casts.TryGetValue((tensor, toHalf), out string? name)) return name;
            name = names.Fresh(tensor + (toHalf ? "_fp16" : "_fp32"));
            NodeProto cast = ProtoGraph.Node("Cast", names.Fresh(name + "_Cast"), [tensor], [name],
                ProtoGraph.IntAttribute("to", toHalf ? ProtoGraph.Float16 : ProtoGraph.Float));
            if (producers.Contains(tensor))
            {
                if (!castAfter.TryGetValue(tensor, out List<NodeProto>? list)) castAfter[tensor] = list = [];
                list.Add(cast);
            }
            else
            {
                castFirst.Add(cast);
            }

            casts[(tensor, toHalf)] = name;
            return name;
        }

        foreach (NodeProto n in g.Node)
        {
            bool half = Half(n) && n.OpType != "Cast";
            for (int i = 0; i < n.Input.Count; i++)
            {
                string t = n.Input[i];
                if (!floatTensors.Contains(t) || KeepsFloat32Input(n, t) && !half) continue;
                bool isHalf = halfTensors.Contains(t);
                bool wantHalf = half && !KeepsFloat32Input(n, t);
                if (isHalf != wantHalf) n.Input[i] = CastOf(t, wantHalf);
            }
        }

        // Graph outputs keep FP32 (with KeepIOTypes): the producer writes an FP16 tensor, a Cast writes the output's name.
        foreach (ValueInfoProto output in g.Output.Where(o => halfTensors.Contains(o.Name)))
        {
            if (options.KeepIOTypes)
            {
                string inner = names.Fresh(output.Name + "_fp16");
                foreach (NodeProto n in g.Node)
                {
                    for (int i = 0; i < n.Output.Count; i++) if (n.Output[i] == output.Name) n.Output[i] = inner;
                    for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == output.Name) n.Input[i] = inner;
                }

                if (castAfter.Remove(output.Name, out List<NodeProto>? moved))
                {
                    foreach (NodeProto c in moved) c.Input[0] = inner;
                    castAfter[inner] = moved;
                }

                if (!castAfter.TryGetValue(inner, out List<NodeProto>? list)) castAfter[inner] = list = [];
                list.Add(ProtoGraph.Node("Cast", names.Fresh(output.Name + "_Cast"), [inner], [output.Name], ProtoGraph.IntAttribute("to", ProtoGraph.Float)));
            }
            else
            {
                output.Type.TensorType.ElemType = ProtoGraph.Float16;
            }
        }

        if (!options.KeepIOTypes)
        {
            foreach (ValueInfoProto input in g.Input.Where(i => halfTensors.Contains(i.Name))) input.Type.TensorType.ElemType = ProtoGraph.Float16;
        }

        var ordered = new List<NodeProto>(castFirst);
        foreach (NodeProto n in g.Node)
        {
            ordered.Add(n);
            foreach (string o in n.Output)
            {
                if (castAfter.TryGetValue(o, out List<NodeProto>? list)) ordered.AddRange(list);
            }
        }

        g.Node.Clear();
        g.Node.AddRange(ordered);

        // Intermediate types the file declares follow the new precisions; the rest is left to shape inference.
        foreach (ValueInfoProto vi in g.ValueInfo.Where(v => IsFloat(v) && halfTensors.Contains(v.Name))) vi.Type.TensorType.ElemType = ProtoGraph.Float16;
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "lightnet.compression", Value = "fp16" });
        logger.LogInformation("Converted to FP16: {Half} of {Float} float tensors, {Casts} Cast nodes added, {Clamped} values clamped",
            halfTensors.Count, floatTensors.Count, casts.Count, clamped);
        return ProtoGraph.ToModel(proto, "FP16 model");
    }

    private static bool IsFloat(ValueInfoProto v) => v.Type?.TensorType?.ElemType == ProtoGraph.Float;

    // Ops whose output is an index or a shape whatever goes in.
    private static bool NonFloatOutput(NodeProto n) => n.OpType is "Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero" or "Equal" or "Less" or "Greater"
        or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "IsNaN" or "IsInf";

    // Inputs that must stay FP32 even in an FP16 node: Resize's scales and roi, and BatchNormalization statistics ONNX Runtime wants in FP32 too.
    private static bool KeepsFloat32Input(NodeProto n, string tensor) =>
        n.OpType is "Resize" or "Upsample" && n.Input.Skip(1).Contains(tensor);

    /// <summary>Rewrites a float tensor as FP16, clamping values outside FP16's range; returns the number clamped.</summary>
    private static int ToHalf(TensorProto t, Float16Options options, ILogger logger, string? name = null)
    {
        float[] values = ProtoGraph.Floats(t);
        var half = new Half[values.Length];
        int big = 0, tiny = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i], a = MathF.Abs(v);
            if (a > options.MaxFiniteValue && !float.IsNaN(v))
            {
                v = MathF.CopySign(options.MaxFiniteValue, v);
                big++;
            }
            else if (a > 0 && a < options.MinPositiveValue)
            {
                v = MathF.CopySign(options.MinPositiveValue, v);
                tiny++;
            }

            half[i] = (Half)v;
        }

        if (big + tiny > 0)
        {
            logger.LogWarning("FP16: tensor '{Tensor}' had {Big} values above {Max} and {Tiny} nonzero values below {Min} in magnitude; they were clamped",
                name ?? t.Name, big, options.MaxFiniteValue, tiny, options.MinPositiveValue);
        }

        t.DataType = ProtoGraph.Float16;
        t.FloatData.Clear();
        t.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
        return big + tiny;
    }
}

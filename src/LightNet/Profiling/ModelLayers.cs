using LightNet.Analysis;
using LightNet.Onnx;

namespace LightNet.Profiling;

/// <summary>
/// One layer of a model: a node together with the nodes that backends fuse into it (a convolution or matrix product with
/// the batch normalization, activation and residual Add that follow it), so that a backend that fuses them and one that
/// does not are charged for the same work.
/// </summary>
/// <param name="Name">The name of the layer's first node (as <see cref="ModelLayers.NodeName"/> gives it).</param>
/// <param name="Kind">What kind of layer it is, from its first node.</param>
/// <param name="Nodes">The names of all its nodes, first node first.</param>
/// <param name="Macs">Multiply-accumulates of one run (0 when the model could not be analysed).</param>
public sealed record ModelLayer(string Name, LayerKind Kind, IReadOnlyList<string> Nodes, long Macs);

/// <summary>
/// A model's nodes grouped into <see cref="ModelLayer"/>s, and the way back from the node names a backend reports in its
/// per-operator profile to those layers, fused nodes included.
/// </summary>
/// <remarks>
/// A reported name is matched, in order, to: a node's name; a value's name (ONNX Runtime names the nodes it builds after
/// the value they write, such as <c>features.2/Clip_10_output_0_nchwc</c>); and otherwise the longest node or value name
/// that starts the reported name and is followed by <c>_</c> or <c>/</c> (a suffix such as <c>_nchwc</c> or
/// <c>_token_7</c>). A node or value found that way belongs to the layer of the node that wrote it.
/// </remarks>
/// <example>
/// <code>
/// ModelLayers layers = ModelLayers.Of(ModelZoo.Create("mobilenet_v2"));
/// ModelLayer? layer = layers.Find("features.2/Clip_10_output_0_nchwc"); // the 1×1 convolution features.2/Conv_8
/// </code>
/// </example>
public sealed class ModelLayers
{
    private readonly Dictionary<string, ModelLayer> _byNode;
    private readonly Dictionary<string, ModelLayer> _byValue;

    private ModelLayers(IReadOnlyList<ModelLayer> layers, Dictionary<string, ModelLayer> byNode, Dictionary<string, ModelLayer> byValue)
    {
        Layers = layers;
        _byNode = byNode;
        _byValue = byValue;
    }

    /// <summary>The layers in the order of the model's nodes.</summary>
    public IReadOnlyList<ModelLayer> Layers { get; }

    /// <summary>The name a node goes by in profiles: its own, or <c>OpType_Index</c> when it has none (as <c>cpu-simd</c> reports it).</summary>
    /// <param name="node">The node.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="node"/> is null.</exception>
    public static string NodeName(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Name.Length > 0 ? node.Name : $"{node.OpType}_{node.Index}";
    }

    /// <summary>Groups the nodes of <paramref name="model"/> into layers and classifies each.</summary>
    /// <param name="model">The model.</param>
    /// <param name="info">The model's analysis, for each layer's MACs; null to analyse it here (MACs are 0 when that fails).</param>
    /// <returns>The layers.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static ModelLayers Of(Model model, ModelInfo? info = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Graph graph = model.Graph;
        info ??= TryAnalyze(model);
        Dictionary<int, long> macs = MacsByNode(info);

        var heads = new Dictionary<Node, List<Node>>();
        var order = new List<Node>();
        var layerOf = new Dictionary<Node, Node>();
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (Node node in graph.Nodes)
        {
            Node head = FusedInto(graph, node, layerOf, graphOutputs) ?? node;
            layerOf[node] = head;
            if (!heads.TryGetValue(head, out List<Node>? members))
            {
                heads[head] = members = [];
                order.Add(head);
            }

            members.Add(node);
        }

        var layers = new List<ModelLayer>();
        var byNode = new Dictionary<string, ModelLayer>(StringComparer.Ordinal);
        var byValue = new Dictionary<string, ModelLayer>(StringComparer.Ordinal);
        foreach (Node head in order)
        {
            List<Node> members = heads[head];
            var layer = new ModelLayer(NodeName(head), LayerKind.Classify(head, graph), members.Select(NodeName).ToArray(),
                members.Sum(m => macs.GetValueOrDefault(m.Index)));
            layers.Add(layer);
            foreach (Node m in members)
            {
                byNode.TryAdd(NodeName(m), layer);
                foreach (string output in m.Outputs.Where(o => o.Length > 0))
                {
                    byValue.TryAdd(output, layer);
                }
            }
        }

        return new ModelLayers(layers, byNode, byValue);
    }

    /// <summary>The layer a reported node name belongs to, or null when it matches nothing in the model.</summary>
    /// <param name="reportedName">A node name from a per-operator profile.</param>
    /// <returns>The layer, or null.</returns>
    public ModelLayer? Find(string reportedName)
    {
        if (string.IsNullOrEmpty(reportedName))
        {
            return null;
        }

        if (_byNode.TryGetValue(reportedName, out ModelLayer? layer) || _byValue.TryGetValue(reportedName, out layer))
        {
            return layer;
        }

        // The longest node or value name that the reported name extends with a suffix.
        for (int i = reportedName.Length - 1; i > 0; i--)
        {
            if (reportedName[i] is '_' or '/')
            {
                string prefix = reportedName[..i];
                if (_byNode.TryGetValue(prefix, out layer) || _byValue.TryGetValue(prefix, out layer))
                {
                    return layer;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The head of the layer that <paramref name="node"/> joins, or null when it starts its own: an epilogue operator
    /// (<see cref="LayerKind.IsEpilogue"/>) joins the convolution or matrix-product layer that wrote one of its inputs when
    /// that input is read by nothing else.
    /// </summary>
    private static Node? FusedInto(Graph graph, Node node, Dictionary<Node, Node> layerOf, HashSet<string> graphOutputs)
    {
        if (!LayerKind.IsEpilogue(node.OpType))
        {
            return null;
        }

        int candidates = node.OpType == "Add" ? Math.Min(2, node.Inputs.Count) : 1;
        for (int i = 0; i < candidates; i++)
        {
            if (node.InputOrNull(i) is not string value || graphOutputs.Contains(value) || graph.Consumers(value).Count != 1
                || graph.Producer(value) is not Node producer || !layerOf.TryGetValue(producer, out Node? head))
            {
                continue;
            }

            if (LayerKind.Classify(head, graph).Category is LayerCategory.Convolution or LayerCategory.FullyConnected or LayerCategory.MatMul)
            {
                return head;
            }
        }

        return null;
    }

    private static ModelInfo? TryAnalyze(Model model)
    {
        try
        {
            return model.Info;
        }
        catch (LightNetException)
        {
            return null; // symbolic shapes without values or an operator the analyser does not know: no MACs
        }
    }

    private static Dictionary<int, long> MacsByNode(ModelInfo? info)
    {
        var macs = new Dictionary<int, long>();
        foreach (LayerInfo l in info?.Layers ?? [])
        {
            macs[l.Index] = l.Macs; // LayerInfo.Index is the node's index in the graph
        }

        return macs;
    }
}

namespace LightNet.Onnx;

/// <summary>
/// An immutable view of an ONNX graph: nodes in topological order, constant tensors (initializers),
/// the inputs a caller feeds and the outputs it reads.
/// </summary>
public sealed class Graph
{
    private readonly Dictionary<string, Node> _producers;
    private readonly Dictionary<string, List<Node>> _consumers;

    internal Graph(string name, IReadOnlyList<Node> nodes, IReadOnlyDictionary<string, TensorData> initializers,
        IReadOnlyList<ValueInfo> inputs, IReadOnlyList<ValueInfo> outputs, IReadOnlyDictionary<string, ValueInfo> valueInfos)
    {
        Name = name;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        ValueInfos = valueInfos;
        _producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        _consumers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (Node node in nodes)
        {
            foreach (string output in node.Outputs)
            {
                if (output.Length > 0)
                {
                    _producers[output] = node;
                }
            }

            foreach (string input in node.Inputs.Distinct())
            {
                if (input.Length == 0)
                {
                    continue;
                }

                if (!_consumers.TryGetValue(input, out List<Node>? list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }
        }
    }

    /// <summary>The graph's name.</summary>
    public string Name { get; }

    /// <summary>The nodes in a topological order (every node after the producers of its inputs).</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>Constant tensors by name: weights, biases, shape constants.</summary>
    public IReadOnlyDictionary<string, TensorData> Initializers { get; }

    /// <summary>The values a caller must feed (graph inputs that are not initializers).</summary>
    public IReadOnlyList<ValueInfo> Inputs { get; }

    /// <summary>The values the graph returns.</summary>
    public IReadOnlyList<ValueInfo> Outputs { get; }

    /// <summary>Declared types and shapes of intermediate values (ONNX <c>value_info</c>), by name.</summary>
    public IReadOnlyDictionary<string, ValueInfo> ValueInfos { get; }

    /// <summary>The node that produces <paramref name="valueName"/>, or null for inputs and initializers.</summary>
    /// <param name="valueName">A value name.</param>
    public Node? Producer(string valueName) => _producers.GetValueOrDefault(valueName);

    /// <summary>The nodes that read <paramref name="valueName"/>, in topological order.</summary>
    /// <param name="valueName">A value name.</param>
    public IReadOnlyList<Node> Consumers(string valueName) =>
        _consumers.TryGetValue(valueName, out List<Node>? list) ? list : [];

    /// <inheritdoc />
    public override string ToString() => $"graph '{Name}': {Nodes.Count} nodes, {Initializers.Count} initializers";
}

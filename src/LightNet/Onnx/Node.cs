namespace LightNet.Onnx;

/// <summary>One operator application in a graph: an op type, its inputs, outputs and attributes.</summary>
public sealed class Node
{
    private readonly Dictionary<string, NodeAttribute> _attributes;

    internal Node(int index, string name, string opType, string domain, string[] inputs, string[] outputs,
        IEnumerable<NodeAttribute> attributes)
    {
        Index = index;
        Name = name;
        OpType = opType;
        Domain = domain;
        Inputs = inputs;
        Outputs = outputs;
        _attributes = new Dictionary<string, NodeAttribute>(StringComparer.Ordinal);
        foreach (NodeAttribute a in attributes)
        {
            _attributes[a.Name] = a;
        }
    }

    /// <summary>Position of the node in the graph's topological order.</summary>
    public int Index { get; }

    /// <summary>The node's name (may be empty in files from some exporters).</summary>
    public string Name { get; }

    /// <summary>The operator, for example "Conv".</summary>
    public string OpType { get; }

    /// <summary>The operator set domain; empty for the default ONNX domain.</summary>
    public string Domain { get; }

    /// <summary>Names of the input values; an empty string marks an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Names of the output values; an empty string marks an omitted optional output.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The attributes by name.</summary>
    public IReadOnlyDictionary<string, NodeAttribute> Attributes => _attributes;

    /// <summary>A name for messages: the node name and op type, or its position when it has no name.</summary>
    public string DisplayName => Name.Length > 0 ? $"node '{Name}' ({OpType})" : $"node #{Index} ({OpType})";

    /// <summary>The input at <paramref name="index"/>, or null when absent or omitted.</summary>
    /// <param name="index">Input position.</param>
    public string? InputOrNull(int index) => index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    /// <summary>An integer attribute, or <paramref name="defaultValue"/> when absent.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="defaultValue">Value when the attribute is absent.</param>
    public long GetInt(string name, long defaultValue) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.Int).IntValue : defaultValue;

    /// <summary>A float attribute, or <paramref name="defaultValue"/> when absent.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="defaultValue">Value when the attribute is absent.</param>
    public float GetFloat(string name, float defaultValue) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.Float).FloatValue : defaultValue;

    /// <summary>A string attribute, or <paramref name="defaultValue"/> when absent.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="defaultValue">Value when the attribute is absent.</param>
    public string GetString(string name, string defaultValue) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.String).StringValue ?? defaultValue : defaultValue;

    /// <summary>An integer-list attribute, or null when absent.</summary>
    /// <param name="name">Attribute name.</param>
    public IReadOnlyList<long>? GetInts(string name) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.Ints).IntValues : null;

    /// <summary>A float-list attribute, or null when absent.</summary>
    /// <param name="name">Attribute name.</param>
    public IReadOnlyList<float>? GetFloats(string name) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.Floats).FloatValues : null;

    /// <summary>A tensor attribute, or null when absent.</summary>
    /// <param name="name">Attribute name.</param>
    public TensorData? GetTensor(string name) =>
        _attributes.TryGetValue(name, out NodeAttribute? a) ? Expect(a, AttributeKind.Tensor).TensorValue : null;

    private NodeAttribute Expect(NodeAttribute a, AttributeKind kind)
    {
        // Old exporters write an INTS attribute with one value where INT is meant, and vice versa; only a
        // genuinely different kind is an error.
        if (a.Kind == kind || (kind == AttributeKind.Int && a.Kind == AttributeKind.Ints && a.IntValues.Count == 1))
        {
            return a.Kind == kind ? a : NodeAttribute.Int(a.Name, a.IntValues[0]);
        }

        throw new LightNetException(ErrorCode.InvalidModel,
            $"{DisplayName}: attribute '{a.Name}' is {a.Kind}, expected {kind}.");
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{DisplayName}: ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}

namespace LightNet.Onnx;

/// <summary>The kind of value an attribute holds (ONNX's <c>AttributeProto.AttributeType</c>).</summary>
public enum AttributeKind
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>One float.</summary>
    Float = 1,
    /// <summary>One 64-bit integer.</summary>
    Int = 2,
    /// <summary>One string.</summary>
    String = 3,
    /// <summary>One tensor.</summary>
    Tensor = 4,
    /// <summary>A subgraph (If, Loop, Scan bodies).</summary>
    Graph = 5,
    /// <summary>A list of floats.</summary>
    Floats = 6,
    /// <summary>A list of 64-bit integers.</summary>
    Ints = 7,
    /// <summary>A list of strings.</summary>
    Strings = 8,
    /// <summary>A list of tensors.</summary>
    Tensors = 9,
    /// <summary>A list of subgraphs.</summary>
    Graphs = 10,
    /// <summary>A sparse tensor (kept in the model, not interpreted by LightNet).</summary>
    SparseTensor = 11,
    /// <summary>A list of sparse tensors (kept, not interpreted).</summary>
    SparseTensors = 12,
    /// <summary>A type (kept, not interpreted).</summary>
    TypeProto = 13,
    /// <summary>A list of types (kept, not interpreted).</summary>
    TypeProtos = 14,
}

/// <summary>
/// A named attribute of a node. Read one from <see cref="Node.Attributes"/>, or make one with the factory
/// methods (<see cref="Int(string, long)"/>, <see cref="Ints(string, long[])"/>, ...) to build a graph.
/// </summary>
public sealed class NodeAttribute
{
    private NodeAttribute(string name, AttributeKind kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrEmpty(name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "An attribute needs a name.");
        }

        Name = name;
        Kind = kind;
    }

    /// <summary>The attribute's name, for example "kernel_shape".</summary>
    public string Name { get; }

    /// <summary>Which value the attribute holds.</summary>
    public AttributeKind Kind { get; }

    /// <summary>The value for <see cref="AttributeKind.Float"/>.</summary>
    public float FloatValue { get; private init; }

    /// <summary>The value for <see cref="AttributeKind.Int"/>.</summary>
    public long IntValue { get; private init; }

    /// <summary>The value for <see cref="AttributeKind.String"/> (decoded as UTF-8).</summary>
    public string? StringValue { get; private init; }

    /// <summary>The value for <see cref="AttributeKind.Tensor"/>.</summary>
    public TensorData? TensorValue { get; private init; }

    /// <summary>The value for <see cref="AttributeKind.Graph"/>.</summary>
    public Graph? GraphValue { get; private init; }

    /// <summary>The values for <see cref="AttributeKind.Floats"/>.</summary>
    public IReadOnlyList<float> FloatValues { get; private init; } = [];

    /// <summary>The values for <see cref="AttributeKind.Ints"/>.</summary>
    public IReadOnlyList<long> IntValues { get; private init; } = [];

    /// <summary>The values for <see cref="AttributeKind.Strings"/>.</summary>
    public IReadOnlyList<string> StringValues { get; private init; } = [];

    /// <summary>The values for <see cref="AttributeKind.Tensors"/>.</summary>
    public IReadOnlyList<TensorData> TensorValues { get; private init; } = [];

    /// <summary>The values for <see cref="AttributeKind.Graphs"/>.</summary>
    public IReadOnlyList<Graph> GraphValues { get; private init; } = [];

    /// <summary>An integer attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static NodeAttribute Int(string name, long value) => new(name, AttributeKind.Int) { IntValue = value };

    /// <summary>A float attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static NodeAttribute Float(string name, float value) => new(name, AttributeKind.Float) { FloatValue = value };

    /// <summary>A string attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static NodeAttribute String(string name, string value) => new(name, AttributeKind.String) { StringValue = value };

    /// <summary>An integer-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    public static NodeAttribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints) { IntValues = values.ToArray() };

    /// <summary>A float-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    public static NodeAttribute Floats(string name, params float[] values) => new(name, AttributeKind.Floats) { FloatValues = values.ToArray() };

    /// <summary>A string-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    public static NodeAttribute Strings(string name, params string[] values) => new(name, AttributeKind.Strings) { StringValues = values.ToArray() };

    /// <summary>A tensor attribute (for example the <c>value</c> of a Constant node).</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    public static NodeAttribute Tensor(string name, TensorData value) => new(name, AttributeKind.Tensor) { TensorValue = value };

    internal static NodeAttribute Opaque(string name, AttributeKind kind) => new(name, kind);

    internal static NodeAttribute FromGraph(string name, Graph value) => new(name, AttributeKind.Graph) { GraphValue = value };

    internal static NodeAttribute FromGraphs(string name, IReadOnlyList<Graph> values) => new(name, AttributeKind.Graphs) { GraphValues = values };

    internal static NodeAttribute FromTensors(string name, IReadOnlyList<TensorData> values) => new(name, AttributeKind.Tensors) { TensorValues = values };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        AttributeKind.Int => $"{Name}={IntValue}",
        AttributeKind.Float => $"{Name}={FloatValue}",
        AttributeKind.String => $"{Name}='{StringValue}'",
        AttributeKind.Ints => $"{Name}=[{string.Join(", ", IntValues)}]",
        AttributeKind.Floats => $"{Name}=[{string.Join(", ", FloatValues)}]",
        AttributeKind.Strings => $"{Name}=[{string.Join(", ", StringValues)}]",
        AttributeKind.Tensor => $"{Name}={TensorValue}",
        _ => $"{Name}=<{Kind}>",
    };
}

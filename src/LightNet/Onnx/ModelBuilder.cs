using Google.Protobuf;
using LightNet.Onnx.Protos;

namespace LightNet.Onnx;

/// <summary>
/// Builds an ONNX model from code: inputs, initializers, nodes, outputs, metadata. <see cref="Build"/>
/// checks the result exactly as <see cref="Model.Load(string, ModelLoadOptions?)"/> checks a file.
/// </summary>
/// <example>
/// <code>
/// var b = new ModelBuilder("tiny", opset: 17);
/// b.AddInput("x", TensorElementType.Float, 1, 4);
/// b.AddInitializer(TensorData.FromFloats("w", [4, 2], new float[8]));
/// b.AddNode("MatMul", ["x", "w"], ["y"]);
/// b.AddOutput("y", TensorElementType.Float, 1, 2);
/// Model model = b.Build();
/// </code>
/// </example>
public sealed class ModelBuilder
{
    private readonly ModelProto _model;
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);

    /// <summary>Starts an empty model.</summary>
    /// <param name="graphName">Name of the main graph.</param>
    /// <param name="opset">Default-domain opset version (7 to 26).</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an unsupported opset.</exception>
    public ModelBuilder(string graphName, long opset = 17)
    {
        ArgumentNullException.ThrowIfNull(graphName);
        if (opset is < 7 or > 26)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Opset {opset} is outside the supported range 7 to 26.");
        }

        Opset = opset;
        _graph = new GraphProto { Name = graphName };
        _model = new ModelProto
        {
            IrVersion = IrVersionFor(opset),
            ProducerName = "LightNet",
            ProducerVersion = typeof(ModelBuilder).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = _graph,
        };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    /// <summary>The default-domain opset the model imports.</summary>
    public long Opset { get; }

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => _graph.Node.Count;

    /// <summary>Sets the model's documentation string.</summary>
    /// <param name="text">The text.</param>
    public ModelBuilder WithDescription(string? text)
    {
        _model.DocString = text ?? "";
        return this;
    }

    /// <summary>Sets the producer name and version written into the file.</summary>
    /// <param name="name">Producer name.</param>
    /// <param name="version">Producer version.</param>
    public ModelBuilder WithProducer(string? name, string? version)
    {
        _model.ProducerName = name ?? "";
        _model.ProducerVersion = version ?? "";
        return this;
    }

    /// <summary>Adds a metadata entry (<c>metadata_props</c>).</summary>
    /// <param name="key">Key.</param>
    /// <param name="value">Value.</param>
    public ModelBuilder AddMetadata(string key, string value)
    {
        _model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>Declares a graph input with a fixed shape.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="type">Element type.</param>
    /// <param name="dims">Fixed dimensions.</param>
    /// <returns>The name, for chaining into nodes.</returns>
    public string AddInput(string name, TensorElementType type, params long[] dims) =>
        AddInput(name, type, dims.Select(Dimension.Fixed).ToArray());

    /// <summary>Declares a graph input whose shape may have symbolic dimensions.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="type">Element type.</param>
    /// <param name="shape">Dimensions, fixed or symbolic.</param>
    /// <returns>The name.</returns>
    public string AddInput(string name, TensorElementType type, IReadOnlyList<Dimension> shape)
    {
        Claim(name);
        _graph.Input.Add(ToValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares a graph output with a fixed shape.</summary>
    /// <param name="name">Name of a value some node produces.</param>
    /// <param name="type">Element type.</param>
    /// <param name="dims">Fixed dimensions.</param>
    public void AddOutput(string name, TensorElementType type, params long[] dims) =>
        AddOutput(name, type, dims.Select(Dimension.Fixed).ToArray());

    /// <summary>Declares a graph output with fixed or symbolic dimensions.</summary>
    /// <param name="name">Name of a value some node produces.</param>
    /// <param name="type">Element type.</param>
    /// <param name="shape">Dimensions.</param>
    public void AddOutput(string name, TensorElementType type, IReadOnlyList<Dimension> shape) =>
        _graph.Output.Add(ToValueInfo(name, type, shape ?? throw new ArgumentNullException(nameof(shape))));

    /// <summary>Declares a graph output whose shape is left for shape inference.</summary>
    /// <param name="name">Name of a value some node produces.</param>
    /// <param name="type">Element type.</param>
    public void AddOutput(string name, TensorElementType type) => _graph.Output.Add(ToValueInfo(name, type, null));

    /// <summary>Adds a constant tensor (weights, biases, shape constants).</summary>
    /// <param name="tensor">The tensor; its name becomes the value's name.</param>
    /// <returns>The name.</returns>
    public string AddInitializer(TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Claim(tensor.Name);
        _graph.Initializer.Add(ToProto(tensor));
        return tensor.Name;
    }

    /// <summary>Adds a node.</summary>
    /// <param name="opType">Operator, for example "Conv".</param>
    /// <param name="inputs">Input value names ("" for an omitted optional input).</param>
    /// <param name="outputs">Output value names, new in the graph.</param>
    /// <param name="name">Node name; null makes a unique one from the op type.</param>
    /// <param name="attributes">Attributes.</param>
    /// <returns>The node's name.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when an output name is already used.</exception>
    public string AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string? name = null,
        params NodeAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (string.IsNullOrEmpty(opType))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A node needs an op type.");
        }

        name ??= UniqueNodeName(opType);
        if (!_nodeNames.Add(name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Node name '{name}' is already used.");
        }

        foreach (string output in outputs.Where(o => o.Length > 0))
        {
            Claim(output);
        }

        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes.Select(ToProto));
        _graph.Node.Add(node);
        return name;
    }

    /// <summary>True when a value with this name exists (input, initializer or node output).</summary>
    /// <param name="name">A value name.</param>
    public bool Contains(string name) => _names.Contains(name ?? throw new ArgumentNullException(nameof(name)));

    /// <summary>Checks and returns the model.</summary>
    /// <exception cref="LightNetException">The graph is not valid (dangling input, cycle, bad tensor, ...).</exception>
    public Model Build()
    {
        ModelProto proto = _model.Clone();
        return Model.FromProto(proto, ModelLoadOptions.Default, $"Model '{_graph.Name}' built in code", null, null, proto.CalculateSize());
    }

    private string UniqueNodeName(string opType)
    {
        string candidate = $"{opType}_{_graph.Node.Count}";
        for (int i = 1; _nodeNames.Contains(candidate); i++)
        {
            candidate = $"{opType}_{_graph.Node.Count}_{i}";
        }

        return candidate;
    }

    private void Claim(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrEmpty(name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A value needs a name.");
        }

        if (!_names.Add(name))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Value name '{name}' is already defined in the graph.");
        }
    }

    internal static long IrVersionFor(long opset) => opset switch
    {
        <= 8 => 4,
        <= 10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    private static ValueInfoProto ToValueInfo(string name, TensorElementType type, IReadOnlyList<Dimension>? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (Dimension d in shape)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Value is long v)
                {
                    dim.DimValue = v;
                }
                else if (d.Parameter is not null)
                {
                    dim.DimParam = d.Parameter;
                }

                tensorType.Shape.Dim.Add(dim);
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    internal static TensorProto ToProto(TensorData t)
    {
        var proto = new TensorProto { Name = t.Name, DataType = (int)t.ElementType };
        proto.Dims.AddRange(t.Dims);
        if (t.ElementType == TensorElementType.String)
        {
            proto.StringData.AddRange(t.Strings!.Select(ByteString.CopyFromUtf8));
        }
        else
        {
            proto.RawData = UnsafeByteOperations.UnsafeWrap(t.RawData);
        }

        return proto;
    }

    private static AttributeProto ToProto(NodeAttribute a)
    {
        var p = new AttributeProto { Name = a.Name, Type = (AttributeProto.Types.AttributeType)(int)a.Kind };
        switch (a.Kind)
        {
            case AttributeKind.Int: p.I = a.IntValue; break;
            case AttributeKind.Float: p.F = a.FloatValue; break;
            case AttributeKind.String: p.S = ByteString.CopyFromUtf8(a.StringValue ?? ""); break;
            case AttributeKind.Ints: p.Ints.AddRange(a.IntValues); break;
            case AttributeKind.Floats: p.Floats.AddRange(a.FloatValues); break;
            case AttributeKind.Strings: p.Strings.AddRange(a.StringValues.Select(ByteString.CopyFromUtf8)); break;
            case AttributeKind.Tensor: p.T = ToProto(a.TensorValue!); break;
            case AttributeKind.Tensors: p.Tensors.AddRange(a.TensorValues.Select(ToProto)); break;
            default:
                throw new LightNetException(ErrorCode.InvalidArgument, $"Attribute '{a.Name}' of kind {a.Kind} cannot be built in code.");
        }

        return p;
    }
}

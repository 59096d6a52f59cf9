using System.Text;
using Google.Protobuf;
using LightNet.Onnx.Protos;

namespace LightNet.Onnx;

/// <summary>
/// Turns parsed protobuf messages into LightNet's graph view, checking everything a crafted file could get
/// wrong: tensor sizes against their shapes, dimensions, dangling inputs, cycles and external-data paths.
/// </summary>
internal sealed class OnnxReader
{
    private readonly ModelLoadOptions _options;
    private readonly string _source;
    private readonly string? _modelDirectory;
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _externalCache = new(StringComparer.Ordinal);

    public OnnxReader(ModelLoadOptions options, string source, string? modelDirectory)
    {
        _options = options;
        _source = source;
        _modelDirectory = modelDirectory;
    }

    /// <summary>Tensors whose data came from external files, by tensor name (used when saving).</summary>
    public Dictionary<string, ReadOnlyMemory<byte>> ExternalData { get; } = new(StringComparer.Ordinal);

    private long _nodes;
    private long _initializers;
    private long _elements;

    /// <summary>Adds <paramref name="count"/> to a running total and refuses the model once it passes <paramref name="limit"/>.</summary>
    private void Count(ref long total, long count, long limit, string what, string option)
    {
        total += count;
        if (total > limit)
        {
            throw Invalid(ErrorCode.ResourceLimit, $"has more than {limit} {what} (ModelLoadOptions.{option})");
        }
    }

    public Graph ReadGraph(GraphProto proto, IReadOnlySet<string> outerScope, int depth)
    {
        if (depth > _options.RecursionLimit)
        {
            throw Invalid(ErrorCode.InvalidModel, $"subgraphs nest deeper than the limit of {_options.RecursionLimit}");
        }

        string graphName = proto.Name.Length > 0 ? $"graph '{proto.Name}'" : "the graph";
        // Counts first, before anything is built from them: loading stays linear, and absurd counts stop here.
        Count(ref _nodes, proto.Node.Count, _options.MaxNodes, "nodes", nameof(ModelLoadOptions.MaxNodes));
        Count(ref _initializers, proto.Initializer.Count, _options.MaxInitializers, "initializers", nameof(ModelLoadOptions.MaxInitializers));
        if (proto.Input.Count > _options.MaxGraphInputs)
        {
            throw Invalid(ErrorCode.ResourceLimit, $"{graphName} has {proto.Input.Count} inputs, more than {_options.MaxGraphInputs} (ModelLoadOptions.MaxGraphInputs)");
        }

        foreach (NodeProto n in proto.Node)
        {
            if (n.Attribute.Count > _options.MaxAttributesPerNode)
            {
                throw Invalid(ErrorCode.ResourceLimit,
                    $"node '{n.Name}' ({n.OpType}) has {n.Attribute.Count} attributes, more than {_options.MaxAttributesPerNode} (ModelLoadOptions.MaxAttributesPerNode)");
            }
        }

        var initializers = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (TensorProto t in proto.Initializer)
        {
            if (t.Name.Length == 0)
            {
                throw Invalid(ErrorCode.InvalidModel, $"{graphName} has an initializer with no name");
            }

            if (!initializers.TryAdd(t.Name, ReadTensor(t, $"initializer '{t.Name}'")))
            {
                throw Invalid(ErrorCode.InvalidModel, $"{graphName} defines initializer '{t.Name}' twice");
            }
        }

        var valueInfos = new Dictionary<string, ValueInfo>(StringComparer.Ordinal);
        foreach (ValueInfoProto v in proto.ValueInfo)
        {
            valueInfos[v.Name] = ReadValueInfo(v, "value_info");
        }

        var inputs = new List<ValueInfo>();
        var defined = new HashSet<string>(outerScope, StringComparer.Ordinal);
        foreach (ValueInfoProto v in proto.Input)
        {
            if (v.Name.Length == 0)
            {
                throw Invalid(ErrorCode.InvalidModel, $"{graphName} has an input with no name");
            }

            ValueInfo info = ReadValueInfo(v, "input");
            defined.Add(v.Name);
            // Before IR version 4 every initializer was also listed as an input; those are not fed by callers.
            if (!initializers.ContainsKey(v.Name))
            {
                inputs.Add(info);
            }
        }

        defined.UnionWith(initializers.Keys);

        var producedBy = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < proto.Node.Count; i++)
        {
            foreach (string output in proto.Node[i].Output)
            {
                if (output.Length == 0)
                {
                    continue;
                }

                if (producedBy.ContainsKey(output) || initializers.ContainsKey(output))
                {
                    throw Invalid(ErrorCode.InvalidModel, $"{Describe(proto.Node[i], i)} writes value '{output}', which is already defined");
                }

                producedBy[output] = i;
            }
        }

        // Each node's dependencies: its explicit inputs plus the outer-scope names its subgraphs read.
        var dependencies = new List<string>[proto.Node.Count];
        for (int i = 0; i < proto.Node.Count; i++)
        {
            NodeProto n = proto.Node[i];
            var deps = new List<string>(n.Input.Where(x => x.Length > 0));
            foreach (AttributeProto a in n.Attribute)
            {
                foreach (GraphProto g in a.Graphs.Append(a.G).Where(g => g is not null))
                {
                    deps.AddRange(FreeNames(g));
                }
            }

            foreach (string dep in deps)
            {
                if (!defined.Contains(dep) && !producedBy.ContainsKey(dep))
                {
                    throw Invalid(ErrorCode.UnresolvedInput,
                        $"{Describe(n, i)} reads value '{dep}', which no graph input, initializer or node produces");
                }
            }

            dependencies[i] = deps;
        }

        int[] order = TopologicalOrder(proto, dependencies, producedBy);

        var scope = new HashSet<string>(defined, StringComparer.Ordinal);
        scope.UnionWith(producedBy.Keys);
        var nodes = new List<Node>(order.Length);
        foreach (int i in order)
        {
            NodeProto n = proto.Node[i];
            if (n.OpType.Length == 0)
            {
                throw Invalid(ErrorCode.InvalidModel, $"{Describe(n, i)} has no op_type");
            }

            var attributes = n.Attribute.Select(a => ReadAttribute(a, n, i, scope, depth)).ToList();
            nodes.Add(new Node(nodes.Count, n.Name, n.OpType, n.Domain, n.Input.ToArray(), n.Output.ToArray(), attributes));
        }

        var outputs = new List<ValueInfo>();
        foreach (ValueInfoProto v in proto.Output)
        {
            if (!defined.Contains(v.Name) && !producedBy.ContainsKey(v.Name))
            {
                throw Invalid(ErrorCode.UnresolvedInput, $"{graphName} output '{v.Name}' is not produced by any node, input or initializer");
            }

            outputs.Add(ReadValueInfo(v, "output"));
        }

        return new Graph(proto.Name, nodes, initializers, inputs, outputs, valueInfos);
    }

    private int[] TopologicalOrder(GraphProto proto, List<string>[] dependencies, Dictionary<string, int> producedBy)
    {
        int count = proto.Node.Count;
        var pending = new int[count];
        var dependents = new List<int>[count];
        for (int i = 0; i < count; i++)
        {
            dependents[i] = [];
        }

        for (int i = 0; i < count; i++)
        {
            foreach (int producer in dependencies[i].Where(producedBy.ContainsKey).Select(d => producedBy[d]).Distinct())
            {
                pending[i]++;
                dependents[producer].Add(i);
            }
        }

        // Kahn's algorithm, always taking the earliest ready node so that an already sorted file keeps its order.
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<int>(count);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(i);
            foreach (int d in dependents[i])
            {
                if (--pending[d] == 0)
                {
                    ready.Enqueue(d, d);
                }
            }
        }

        if (order.Count != count)
        {
            IEnumerable<string> stuck = Enumerable.Range(0, count).Where(i => pending[i] > 0).Take(8)
                .Select(i => Describe(proto.Node[i], i));
            throw Invalid(ErrorCode.GraphCycle,
                $"the graph has a cycle; {count - order.Count} node(s) depend on each other, including {string.Join(", ", stuck)}");
        }

        return order.ToArray();
    }

    /// <summary>Names a subgraph reads but does not define: they must come from the enclosing scopes.</summary>
    private static IEnumerable<string> FreeNames(GraphProto g)
    {
        var definedHere = new HashSet<string>(g.Input.Select(v => v.Name).Concat(g.Initializer.Select(t => t.Name))
            .Concat(g.Node.SelectMany(n => n.Output)), StringComparer.Ordinal);
        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto n in g.Node)
        {
            foreach (string input in n.Input.Where(x => x.Length > 0 && !definedHere.Contains(x)))
            {
                free.Add(input);
            }

            foreach (AttributeProto a in n.Attribute)
            {
                foreach (GraphProto sub in a.Graphs.Append(a.G).Where(s => s is not null))
                {
                    free.UnionWith(FreeNames(sub).Where(x => !definedHere.Contains(x)));
                }
            }
        }

        return free;
    }

    private NodeAttribute ReadAttribute(AttributeProto a, NodeProto n, int index, IReadOnlySet<string> scope, int depth)
    {
        AttributeKind kind = (AttributeKind)(int)a.Type;
        if (kind == AttributeKind.Undefined)
        {
            kind = GuessKind(a);
        }

        string where = $"{Describe(n, index)} attribute '{a.Name}'";
        return kind switch
        {
            AttributeKind.Float => NodeAttribute.Float(a.Name, a.F),
            AttributeKind.Int => NodeAttribute.Int(a.Name, a.I),
            AttributeKind.String => NodeAttribute.String(a.Name, a.S.ToStringUtf8()),
            AttributeKind.Floats => NodeAttribute.Floats(a.Name, a.Floats.ToArray()),
            AttributeKind.Ints => NodeAttribute.Ints(a.Name, a.Ints.ToArray()),
            AttributeKind.Strings => NodeAttribute.Strings(a.Name, a.Strings.Select(s => s.ToStringUtf8()).ToArray()),
            AttributeKind.Tensor => NodeAttribute.Tensor(a.Name,
                ReadTensor(a.T ?? throw Invalid(ErrorCode.InvalidModel, $"{where} is a tensor attribute without a tensor"), where)),
            AttributeKind.Tensors => NodeAttribute.FromTensors(a.Name, a.Tensors.Select(t => ReadTensor(t, where)).ToList()),
            AttributeKind.Graph => NodeAttribute.FromGraph(a.Name,
                ReadGraph(a.G ?? throw Invalid(ErrorCode.InvalidModel, $"{where} is a graph attribute without a graph"), scope, depth + 1)),
            AttributeKind.Graphs => NodeAttribute.FromGraphs(a.Name, a.Graphs.Select(g => ReadGraph(g, scope, depth + 1)).ToList()),
            AttributeKind.SparseTensor or AttributeKind.SparseTensors or AttributeKind.TypeProto or AttributeKind.TypeProtos =>
                NodeAttribute.Opaque(a.Name, kind),
            _ => throw Invalid(ErrorCode.InvalidModel, $"{where} has unknown type {(int)a.Type}"),
        };
    }

    private static AttributeKind GuessKind(AttributeProto a) =>
        a.Ints.Count > 0 ? AttributeKind.Ints
        : a.Floats.Count > 0 ? AttributeKind.Floats
        : a.Strings.Count > 0 ? AttributeKind.Strings
        : a.T is not null ? AttributeKind.Tensor
        : a.G is not null ? AttributeKind.Graph
        : !a.S.IsEmpty ? AttributeKind.String
        : a.F != 0 ? AttributeKind.Float
        : AttributeKind.Int;

    public ValueInfo ReadValueInfo(ValueInfoProto v, string role)
    {
        string what = $"{role} '{v.Name}'";
        if (v.Type is null || v.Type.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            return new ValueInfo(v.Name, TensorElementType.Undefined, null);
        }

        TypeProto.Types.Tensor tt = v.Type.TensorType;
        if (tt.Shape is null)
        {
            return new ValueInfo(v.Name, (TensorElementType)tt.ElemType, null);
        }

        var dims = new Dimension[tt.Shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            TensorShapeProto.Types.Dimension d = tt.Shape.Dim[i];
            dims[i] = d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue == -1 => Dimension.Unknown,
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue < 0 =>
                    throw Invalid(ErrorCode.InvalidShape, $"{what} has a negative dimension {d.DimValue} at axis {i}"),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue > Shapes.MaxDimension =>
                    throw Invalid(ErrorCode.InvalidShape, $"{what} has an absurd dimension {d.DimValue} at axis {i} (limit {Shapes.MaxDimension})"),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => Dimension.Fixed(d.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when d.DimParam.Length > 0 => Dimension.Symbolic(d.DimParam),
                _ => Dimension.Unknown,
            };
        }

        return new ValueInfo(v.Name, (TensorElementType)tt.ElemType, dims);
    }

    public TensorData ReadTensor(TensorProto t, string what)
    {
        var type = (TensorElementType)t.DataType;
        if (!type.IsKnown())
        {
            throw Invalid(ErrorCode.InvalidTensor, $"{what} has unknown data type {t.DataType}");
        }

        long[] dims;
        try
        {
            dims = Shapes.Validate(t.Dims.ToArray(), what, _options.MaxTensorElements);
        }
        catch (LightNetException e)
        {
            throw Invalid(e.Code, e.Message);
        }

        long count = Shapes.ElementCount(dims);
        Count(ref _elements, count, _options.MaxTotalElements, "stored tensor elements", nameof(ModelLoadOptions.MaxTotalElements));
        if (type == TensorElementType.String)
        {
            if (t.StringData.Count != count)
            {
                throw Invalid(ErrorCode.InvalidTensor, $"{what}: shape {Dimension.Format(dims)} holds {count} strings but the file has {t.StringData.Count}");
            }

            return new TensorData(t.Name, type, dims, ReadOnlyMemory<byte>.Empty, t.StringData.Select(s => s.ToStringUtf8()).ToArray());
        }

        long expectedBytes = type.ByteCount(count);
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return new TensorData(t.Name, type, dims, ReadExternal(t, what, expectedBytes));
        }

        if (!t.RawData.IsEmpty)
        {
            if (t.RawData.Length != expectedBytes)
            {
                throw Invalid(ErrorCode.InvalidTensor,
                    $"{what}: shape {Dimension.Format(dims)} of {type} needs {expectedBytes} bytes but raw_data holds {t.RawData.Length}");
            }

            return new TensorData(t.Name, type, dims, t.RawData.Memory);
        }

        return new TensorData(t.Name, type, dims, TypedFieldsToBytes(t, type, count, what));
    }

    private byte[] TypedFieldsToBytes(TensorProto t, TensorElementType type, long count, string what)
    {
        // ONNX stores small types widened in int32_data, two floats per complex64, and so on.
        (long have, long need, string field) = type switch
        {
            TensorElementType.Float => (t.FloatData.Count, count, "float_data"),
            TensorElementType.Complex64 => (t.FloatData.Count, 2 * count, "float_data"),
            TensorElementType.Int64 => (t.Int64Data.Count, count, "int64_data"),
            TensorElementType.Double => (t.DoubleData.Count, count, "double_data"),
            TensorElementType.Complex128 => (t.DoubleData.Count, 2 * count, "double_data"),
            TensorElementType.UInt32 or TensorElementType.UInt64 => (t.Uint64Data.Count, count, "uint64_data"),
            TensorElementType.UInt4 or TensorElementType.Int4 or TensorElementType.Float4E2M1 => (t.Int32Data.Count, (count + 1) / 2, "int32_data"),
            _ => (t.Int32Data.Count, count, "int32_data"),
        };
        if (have != need)
        {
            throw Invalid(ErrorCode.InvalidTensor, $"{what}: shape of {count} {type} elements needs {need} values in {field} but the file has {have}");
        }

        var bytes = new byte[type.ByteCount(count)];
        var span = bytes.AsSpan();
        switch (type)
        {
            case TensorElementType.Float or TensorElementType.Complex64:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.FloatData.ToArray().AsSpan()).CopyTo(span);
                break;
            case TensorElementType.Int64:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Int64Data.ToArray().AsSpan()).CopyTo(span);
                break;
            case TensorElementType.Double or TensorElementType.Complex128:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.DoubleData.ToArray().AsSpan()).CopyTo(span);
                break;
            case TensorElementType.UInt64:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Uint64Data.ToArray().AsSpan()).CopyTo(span);
                break;
            case TensorElementType.UInt32:
                for (int i = 0; i < count; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[(4 * i)..], (uint)t.Uint64Data[i]);
                break;
            case TensorElementType.Int32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Int32Data.ToArray().AsSpan()).CopyTo(span);
                break;
            default:
                int width = type.SizeInBits() == 4 ? 1 : type.SizeInBits() / 8;
                for (int i = 0; i < t.Int32Data.Count; i++)
                {
                    int v = t.Int32Data[i];
                    for (int b = 0; b < width; b++)
                    {
                        span[i * width + b] = (byte)(v >> (8 * b));
                    }
                }

                break;
        }

        return bytes;
    }

    private ReadOnlyMemory<byte> ReadExternal(TensorProto t, string what, long expectedBytes)
    {
        string? location = null;
        long offset = 0;
        long length = -1;
        foreach (StringStringEntryProto e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset" when long.TryParse(e.Value, out long o) && o >= 0: offset = o; break;
                case "length" when long.TryParse(e.Value, out long l) && l >= 0: length = l; break;
                case "offset" or "length":
                    throw Invalid(ErrorCode.InvalidTensor, $"{what}: external data {e.Key} '{e.Value}' is not a non-negative integer");
            }
        }

        if (location is null)
        {
            throw Invalid(ErrorCode.InvalidTensor, $"{what} is marked as external data but names no location");
        }

        if (!_options.AllowExternalData)
        {
            throw Invalid(ErrorCode.ExternalDataRejected,
                $"{what} keeps its data in external file '{location}', and external data is off; set ModelLoadOptions.AllowExternalData to load it");
        }

        if (_modelDirectory is null)
        {
            throw Invalid(ErrorCode.ExternalDataRejected,
                $"{what} keeps its data in external file '{location}'; external data is only read for a model loaded from a file path");
        }

        string full = ResolveInsideModelFolder(location, what);
        if (length >= 0 && length != expectedBytes)
        {
            throw Invalid(ErrorCode.InvalidTensor, $"{what}: external data length {length} does not match the {expectedBytes} bytes its shape needs");
        }

        try
        {
            using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (offset + expectedBytes > file.Length)
            {
                throw Invalid(ErrorCode.InvalidTensor,
                    $"{what}: external file '{location}' has {file.Length} bytes, too few for {expectedBytes} bytes at offset {offset}");
            }

            var data = new byte[expectedBytes];
            file.Seek(offset, SeekOrigin.Begin);
            file.ReadExactly(data);
            ExternalData[t.Name] = data;
            return data;
        }
        catch (IOException e)
        {
            throw Invalid(ErrorCode.IOFailure, $"{what}: cannot read external file '{location}': {e.Message}", e);
        }
    }

    private string ResolveInsideModelFolder(string location, string what)
    {
        string folder = Path.GetFullPath(_modelDirectory!);
        string folderWithSeparator = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        bool escapes = Path.IsPathRooted(location) || location.Contains('\0')
            || location.Split('/', '\\').Any(part => part == "..");
        string full = Path.GetFullPath(Path.Combine(folder, location));
        if (escapes || !full.StartsWith(folderWithSeparator, StringComparison.Ordinal))
        {
            throw Invalid(ErrorCode.ExternalDataRejected,
                $"{what}: external data path '{location}' must be relative and stay inside the model's folder '{folder}'");
        }

        // A link inside the folder that points outside it is an escape too: the file's and any folder's on the way
        // (a folder link 'etc -> /etc' with location 'etc/passwd'), so both paths are compared with every link resolved.
        string realFolder, realFile;
        try
        {
            realFolder = BoundedFileRead.RealPath(folder);
            realFile = BoundedFileRead.RealPath(full);
        }
        catch (IOException e)
        {
            throw Invalid(ErrorCode.ExternalDataRejected, $"{what}: external data path '{location}' cannot be resolved: {e.Message}", e);
        }

        string realFolderWithSeparator = Path.EndsInDirectorySeparator(realFolder) ? realFolder : realFolder + Path.DirectorySeparatorChar;
        if (!realFile.StartsWith(realFolderWithSeparator, StringComparison.Ordinal))
        {
            throw Invalid(ErrorCode.ExternalDataRejected,
                $"{what}: external data file '{location}' resolves through a link to '{realFile}', outside the model's folder '{realFolder}'");
        }

        if (!File.Exists(full))
        {
            throw Invalid(ErrorCode.IOFailure, $"{what}: external data file '{location}' does not exist in '{folder}'");
        }

        // A FIFO would block the open and a device would not end: only a regular file is read.
        if (BoundedFileRead.Kind(full) is not (BoundedFileRead.FileKind.Regular or BoundedFileRead.FileKind.Unknown))
        {
            throw Invalid(ErrorCode.IOFailure, $"{what}: external data file '{location}' is not a regular file (a device, FIFO or socket)");
        }

        return realFile;
    }

    private static string Describe(NodeProto n, int index) =>
        n.Name.Length > 0 ? $"node '{n.Name}' ({n.OpType})" : $"node #{index} ({n.OpType})";

    public LightNetException Invalid(ErrorCode code, string message, Exception? inner = null) =>
        new(code, $"{_source}: {message}.", inner);
}

using Google.Protobuf;
using LightNet.Analysis;
using LightNet.Onnx;
using LightNet.Onnx.Protos;

namespace LightNet;

/// <summary>
/// An ONNX model: its bytes as parsed, an immutable graph view, and its analysis. Load one from a file, a
/// stream or memory, build one with <see cref="Onnx.ModelBuilder"/> or take one from the zoo.
/// </summary>
/// <remarks>
/// A model never changes after it is created; compression and conversion return new models. Reading is
/// strict: see <see cref="ModelLoadOptions"/> for the limits and what each failure reports.
/// </remarks>
public sealed class Model
{
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _externalData;
    private ModelInfo? _info;

    private Model(ModelProto proto, Graph graph, string? sourcePath, long serializedBytes,
        Dictionary<string, ReadOnlyMemory<byte>> externalData)
    {
        Proto = proto;
        Graph = graph;
        SourcePath = sourcePath;
        SerializedBytes = serializedBytes;
        _externalData = externalData;
        OpsetImports = proto.OpsetImport
            .GroupBy(o => o.Domain == "ai.onnx" ? "" : o.Domain)
            .ToDictionary(g => g.Key, g => g.Max(o => o.Version), StringComparer.Ordinal);
        Metadata = proto.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
    }

    internal ModelProto Proto { get; }

    /// <summary>The main graph.</summary>
    public Graph Graph { get; }

    /// <summary>The ONNX IR version the file declares.</summary>
    public long IrVersion => Proto.IrVersion;

    /// <summary>The tool that wrote the model (for example "pytorch", "CNTK", "LightNet").</summary>
    public string ProducerName => Proto.ProducerName;

    /// <summary>The version of the tool that wrote the model.</summary>
    public string ProducerVersion => Proto.ProducerVersion;

    /// <summary>The model's documentation string.</summary>
    public string Description => Proto.DocString;

    /// <summary>Operator set version per domain ("" is the default ONNX domain).</summary>
    public IReadOnlyDictionary<string, long> OpsetImports { get; }

    /// <summary>The default-domain opset version, or 0 when the model imports none.</summary>
    public long Opset => OpsetImports.GetValueOrDefault("");

    /// <summary>Free-form metadata (<c>metadata_props</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file the model was read from, or null.</summary>
    public string? SourcePath { get; }

    /// <summary>Size of the serialized model in bytes (the file size when loaded from a file).</summary>
    public long SerializedBytes { get; }

    /// <summary>
    /// The analysis at the shapes the model declares: parameters, MACs, memory. For a model with dynamic
    /// dimensions use <see cref="Analyze(AnalysisOptions?)"/> and give their values.
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.MissingDimension"/> listing every dynamic dimension.</exception>
    public ModelInfo Info => _info ??= Analyze();

    /// <summary>Analyses the model at the given input shapes or dimension values.</summary>
    /// <param name="options">Values for dynamic dimensions; null uses the declared shapes.</param>
    /// <returns>Parameters, MACs per node and in total, sizes and peak activation memory.</returns>
    /// <exception cref="LightNetException">A dynamic dimension has no value (<see cref="ErrorCode.MissingDimension"/>),
    /// shapes are inconsistent (<see cref="ErrorCode.InvalidShape"/>) or an operator is unknown to shape
    /// inference (<see cref="ErrorCode.UnsupportedOperator"/>).</exception>
    public ModelInfo Analyze(AnalysisOptions? options = null) => ModelAnalyzer.Analyze(this, options ?? AnalysisOptions.Default);

    /// <summary>Reads a model file.</summary>
    /// <param name="path">Path of the .onnx file.</param>
    /// <param name="options">Limits; null for <see cref="ModelLoadOptions.Default"/>.</param>
    /// <exception cref="LightNetException">The file is missing or unreadable (<see cref="ErrorCode.IOFailure"/>), too large
    /// (<see cref="ErrorCode.ModelTooLarge"/>) or not a valid model (<see cref="ErrorCode.InvalidModel"/> and the more
    /// specific codes); the message names the file.</exception>
    public static Model Load(string path, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Model path is empty.");
        }

        options ??= ModelLoadOptions.Default;
        options.Validate();
        byte[] bytes;
        try
        {
            // Only a regular file is read (a device or FIFO is refused before opening), and the cap is counted while
            // reading, so a file whose reported length lies cannot make us read past it.
            bytes = BoundedFileRead.ReadAll(path, options.MaxFileBytes, $"Model file '{path}'", (size, exact) =>
                new LightNetException(ErrorCode.ModelTooLarge,
                    $"Model file '{path}' is {(exact ? "" : "over ")}{size} bytes, over the limit of {options.MaxFileBytes} (ModelLoadOptions.MaxFileBytes)."));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read model file '{path}': {e.Message}", e);
        }

        return Parse(bytes, options, $"Model file '{path}'", Path.GetFullPath(path));
    }

    /// <summary>Reads a model from a stream (read to its end; not closed).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="options">Limits; null for <see cref="ModelLoadOptions.Default"/>.</param>
    /// <param name="sourceName">A name for error messages, such as the original file name.</param>
    /// <exception cref="LightNetException">As for <see cref="Load(string, ModelLoadOptions?)"/>; external data is rejected.</exception>
    public static Model Load(Stream stream, ModelLoadOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ModelLoadOptions.Default;
        options.Validate();
        string source = $"Model '{sourceName ?? "stream"}'";
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > options.MaxFileBytes)
                {
                    throw new LightNetException(ErrorCode.ModelTooLarge,
                        $"{source} is over the limit of {options.MaxFileBytes} bytes (ModelLoadOptions.MaxFileBytes).");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException e)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read {source}: {e.Message}", e);
        }

        return Parse(buffer.ToArray(), options, source, null);
    }

    /// <summary>Reads a model from bytes in memory.</summary>
    /// <param name="bytes">The serialized model.</param>
    /// <param name="options">Limits; null for <see cref="ModelLoadOptions.Default"/>.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Load(string, ModelLoadOptions?)"/>; external data is rejected.</exception>
    public static Model Load(ReadOnlyMemory<byte> bytes, ModelLoadOptions? options = null, string? sourceName = null)
    {
        options ??= ModelLoadOptions.Default;
        options.Validate();
        string source = $"Model '{sourceName ?? "memory"}'";
        if (bytes.Length > options.MaxFileBytes)
        {
            throw new LightNetException(ErrorCode.ModelTooLarge,
                $"{source} is {bytes.Length} bytes, over the limit of {options.MaxFileBytes} (ModelLoadOptions.MaxFileBytes).");
        }

        return Parse(bytes.ToArray(), options, source, null);
    }

    /// <summary>
    /// Loads the model of a folder written by <c>lightnet recommend --emit</c>: reads its <c>manifest.json</c>, checks the model file's
    /// SHA-256 against it and loads the model.
    /// </summary>
    /// <param name="path">The emitted folder or its <c>manifest.json</c>.</param>
    /// <param name="options">Limits; null for <see cref="ModelLoadOptions.Default"/>.</param>
    /// <returns>The model, byte for byte the one the study measured.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.ChecksumMismatch"/> naming the file when the model file was changed;
    /// <see cref="ErrorCode.IOFailure"/> when the manifest or the model file is missing; <see cref="ErrorCode.InvalidArgument"/> for a
    /// file that is not a manifest; the errors of <see cref="Load(string, ModelLoadOptions?)"/>.</exception>
    public static Model LoadFromManifest(string path, ModelLoadOptions? options = null)
    {
        Deployment.DeploymentManifest manifest = Deployment.DeploymentManifest.Read(path);
        string folder = Path.GetDirectoryName(Path.GetFullPath(Deployment.DeploymentManifest.ManifestPath(path)))!;
        options ??= ModelLoadOptions.Default;
        options.Validate();
        return Parse(manifest.ReadVerifiedModel(path), options, $"Model file '{manifest.ModelFile}' of manifest '{path}'", Path.Combine(folder, manifest.ModelFile));
    }

    private static Model Parse(byte[] bytes, ModelLoadOptions options, string source, string? fullPath)
    {
        using System.Diagnostics.Activity? activity = Telemetry.LightNetTelemetry.Start("lightnet.model.load");
        activity?.SetTag("lightnet.model.source", source);
        if (bytes.Length == 0)
        {
            throw new LightNetException(ErrorCode.InvalidModel, $"{source} is empty.");
        }

        ModelProto proto;
        try
        {
            using var input = CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), int.MaxValue, options.RecursionLimit);
            proto = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new LightNetException(ErrorCode.InvalidModel,
                $"{source} is not a valid ONNX model (protobuf: {e.Message}); the file may be truncated or not an ONNX file.", e);
        }

        return FromProto(proto, options, source, fullPath is null ? null : Path.GetDirectoryName(fullPath), fullPath, bytes.Length);
    }

    internal static Model FromProto(ModelProto proto, ModelLoadOptions options, string source, string? directory,
        string? sourcePath, long serializedBytes)
    {
        var reader = new OnnxReader(options, source, directory);
        if (proto.Graph is null)
        {
            throw reader.Invalid(ErrorCode.InvalidModel, "has no graph; it is not an ONNX model (or the file is damaged)");
        }

        if (proto.IrVersion <= 0)
        {
            throw reader.Invalid(ErrorCode.InvalidModel, $"declares IR version {proto.IrVersion}; an ONNX model has 1 or more");
        }

        if (proto.OpsetImport.Count == 0 && proto.IrVersion >= 3)
        {
            throw reader.Invalid(ErrorCode.InvalidModel, "imports no operator set");
        }

        try
        {
            Graph graph = reader.ReadGraph(proto.Graph, new HashSet<string>(StringComparer.Ordinal), 0);
            return new Model(proto, graph, sourcePath, serializedBytes, reader.ExternalData);
        }
        catch (Exception e) when (e is ArgumentException or OverflowException or InvalidCastException)
        {
            throw reader.Invalid(ErrorCode.InvalidModel, $"is malformed ({e.Message})", e);
        }
    }

    /// <summary>Writes the model to a file atomically: a temporary file in the same folder, then a rename.</summary>
    /// <param name="path">Destination path; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> naming the path; no half-written file is left.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Model path is empty.");
        }

        AtomicFile.Write(path, stream => Save(stream));
    }

    /// <summary>Writes the model to a stream (not closed). External data is written inline.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.ModelTooLarge"/> when the inlined model exceeds 2 GiB.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ForSaving().WriteTo(stream);
    }

    /// <summary>The serialized model (external data inlined).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.ModelTooLarge"/> when the inlined model exceeds 2 GiB.</exception>
    public byte[] ToArray() => ForSaving().ToByteArray();

    /// <summary>The model as written (external data inlined), refused when protobuf cannot write it (over 2 GiB).</summary>
    private ModelProto ForSaving()
    {
        ModelProto proto = Proto;
        if (_externalData.Count > 0)
        {
            proto = Proto.Clone();
            InlineExternal(proto.Graph);
        }

        long size = proto.CalculateSize();
        return size <= int.MaxValue ? proto
            : throw new LightNetException(ErrorCode.ModelTooLarge, $"The model is {size} bytes once its external data is inlined, over protobuf's 2 GiB limit.");
    }

    private void InlineExternal(GraphProto graph)
    {
        foreach (TensorProto t in graph.Initializer.Concat(graph.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T)))
        {
            if (t.DataLocation == TensorProto.Types.DataLocation.External && _externalData.TryGetValue(t.Name, out ReadOnlyMemory<byte> data))
            {
                t.RawData = UnsafeByteOperations.UnsafeWrap(data);
                t.ExternalData.Clear();
                t.DataLocation = TensorProto.Types.DataLocation.Default;
            }
        }

        foreach (GraphProto sub in graph.Node.SelectMany(n => n.Attribute).SelectMany(a => a.Graphs.Append(a.G)).Where(g => g is not null))
        {
            InlineExternal(sub);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ONNX model '{Graph.Name}' (IR {IrVersion}, opset {Opset}, {Graph.Nodes.Count} nodes, from {ProducerName} {ProducerVersion})";
}

using System.Runtime.InteropServices;
using LightNet.Onnx;
using LightNet.Profiling;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace LightNet.Backends.OnnxRuntime;

/// <summary>An ONNX Runtime InferenceSession behind LightNet's session contract.</summary>
internal sealed class OrtSession : IInferenceSession
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions = new();
    private readonly string _modelName;
    private readonly bool _profiling;
    private readonly string[] _outputNames;
    private int _disposed;

    public OrtSession(OrtBackend backend, Model model, SessionOptions sessionOptions, InferenceOptions options)
    {
        Backend = backend;
        _sessionOptions = sessionOptions;
        _profiling = options.PerOperatorProfiling;
        _modelName = model.SourcePath ?? model.Graph.Name;
        try
        {
            _session = new InferenceSession(model.ToArray(), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            sessionOptions.Dispose();
            _runOptions.Dispose();
            throw Translate(e, ErrorCode.InvalidModel, $"ONNX Runtime ({backend.Name}) rejected model '{_modelName}'");
        }

        try
        {
            // The value kind first: Dimensions and ElementDataType throw for a sequence, map or optional value.
            string[] nonTensors = NonTensors(_session.InputMetadata, "input").Concat(NonTensors(_session.OutputMetadata, "output")).ToArray();
            if (nonTensors.Length > 0)
            {
                throw new LightNetException(ErrorCode.UnsupportedType,
                    $"Backend '{backend.Name}' cannot run model '{_modelName}': LightNet sessions pass tensors only, and {string.Join("; ", nonTensors)}.");
            }

            Inputs = _session.InputMetadata.Select(p => Spec(p.Key, p.Value)).ToArray();
            Outputs = _session.OutputMetadata.Select(p => Spec(p.Key, p.Value)).ToArray();
        }
        catch (Exception e)
        {
            _session.Dispose();
            sessionOptions.Dispose();
            _runOptions.Dispose();
            if (e is OnnxRuntimeException ort)
            {
                throw Translate(ort, ErrorCode.InvalidModel, $"ONNX Runtime ({backend.Name}) could not describe the inputs and outputs of '{_modelName}'");
            }

            throw;
        }

        _outputNames = Outputs.Select(o => o.Name).ToArray();
    }

    public Backend Backend { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>
    /// ONNX Runtime's error as a <see cref="LightNetException"/>: <see cref="ErrorCode.UnsupportedOperator"/> for its
    /// NotImplemented errors (no kernel for an operator or type), <paramref name="fallback"/> otherwise.
    /// </summary>
    internal static LightNetException Translate(OnnxRuntimeException e, ErrorCode fallback, string context)
    {
        bool unsupported = e.Message.Contains("NotImplemented", StringComparison.Ordinal)
            || e.Message.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal)
            || e.Message.Contains("not implemented", StringComparison.OrdinalIgnoreCase);
        return new LightNetException(unsupported ? ErrorCode.UnsupportedOperator : fallback, $"{context}: {e.Message}", e);
    }

    /// <summary>"input 'x' is a sequence", one per value that is not a tensor.</summary>
    private static IEnumerable<string> NonTensors(IReadOnlyDictionary<string, NodeMetadata> metadata, string role) =>
        metadata.Where(p => p.Value.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
            .Select(p => $"{role} '{p.Key}' is {Describe(p.Value.OnnxValueType)}, not a tensor");

    private static string Describe(OnnxValueType kind) => kind switch
    {
        OnnxValueType.ONNX_TYPE_SEQUENCE => "a sequence",
        OnnxValueType.ONNX_TYPE_MAP => "a map",
        OnnxValueType.ONNX_TYPE_OPTIONAL => "an optional value",
        OnnxValueType.ONNX_TYPE_SPARSETENSOR => "a sparse tensor",
        OnnxValueType.ONNX_TYPE_OPAQUE => "an opaque value",
        _ => $"of value kind {kind}",
    };

    private static TensorSpec Spec(string name, NodeMetadata meta)
    {
        var dims = new Dimension[meta.Dimensions.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            string? symbol = meta.SymbolicDimensions.Length > i ? meta.SymbolicDimensions[i] : null;
            dims[i] = meta.Dimensions[i] >= 0 ? Dimension.Fixed(meta.Dimensions[i])
                : !string.IsNullOrEmpty(symbol) ? Dimension.Symbolic(symbol) : Dimension.Unknown;
        }

        TensorElementType type = meta.IsTensor ? (TensorElementType)(int)meta.ElementDataType : TensorElementType.Undefined;
        return new TensorSpec(name, type, dims);
    }

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        string[] names = CheckInputs(inputs);
        var values = new OrtValue[names.Length];
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                values[i] = Wrap(inputs[names[i]]);
            }

            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_runOptions, names, values, _outputNames);
            var outputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
            int k = 0;
            foreach (OrtValue result in results)
            {
                outputs[_outputNames[k++]] = CopyOut(result);
            }

            return outputs;
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e, ErrorCode.InferenceFailed, $"ONNX Runtime ({Backend.Name}) failed running '{_modelName}'");
        }
        finally
        {
            foreach (OrtValue? v in values)
            {
                v?.Dispose();
            }
        }
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        CheckInputs(inputs);
        // One ordinary run tells the output shapes, whatever the model's ops; then everything is bound once.
        IReadOnlyDictionary<string, TensorBuffer> first = Run(inputs);
        try
        {
            return new PreparedRun(this, inputs, first);
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e, ErrorCode.InferenceFailed, $"ONNX Runtime ({Backend.Name}) could not bind the inputs and outputs of '{_modelName}'");
        }
    }

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        ThrowIfDisposed();
        if (!_profiling)
        {
            return null;
        }

        string path;
        try
        {
            path = _session.EndProfiling();
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e, ErrorCode.InferenceFailed, $"ONNX Runtime ({Backend.Name}) could not end profiling of '{_modelName}'");
        }

        try
        {
            return OnnxRuntimeTraceParser.Parse(path, skipFirstRuns);
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }

    private string[] CheckInputs(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string name in inputs.Keys.Where(n => Inputs.All(i => i.Name != n)))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Model '{_modelName}' has no input '{name}'; its inputs: {string.Join(", ", Inputs.Select(i => i.ToString()))}.");
        }

        foreach (TensorSpec spec in Inputs)
        {
            if (!inputs.TryGetValue(spec.Name, out TensorBuffer? t))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Model '{_modelName}' needs input {spec}, which was not given.");
            }

            if (t.ElementType != spec.ElementType)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Input '{spec.Name}' of '{_modelName}' is {spec.ElementType}, but a {t.ElementType} tensor was given.");
            }

            bool shapeOk = t.Shape.Count == spec.Shape.Count
                && spec.Shape.Select((d, i) => d.Value is not long v || v == t.Shape[i]).All(ok => ok);
            if (!shapeOk)
            {
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Input '{spec.Name}' of '{_modelName}' has shape {Dimension.Format(spec.Shape)}, but a tensor of shape {Dimension.Format(t.Shape)} was given.");
            }
        }

        return Inputs.Select(i => i.Name).ToArray();
    }

    // The buffer's array is pinned for its whole life, so ONNX Runtime reads it in place.
    private static OrtValue Wrap(TensorBuffer t) => t.AsOrtValue();

    private static TensorBuffer CopyOut(OrtValue value) => TensorBuffer.FromOrtValue(value);

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new LightNetException(ErrorCode.InvalidOperation, $"The session for '{_modelName}' on '{Backend.Name}' has been disposed.");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
            _sessionOptions.Dispose();
            _runOptions.Dispose();
        }
    }

    /// <summary>Inputs and outputs bound once through an OrtIoBinding: each Run makes no managed allocation.</summary>
    private sealed class PreparedRun : IPreparedRun
    {
        private readonly OrtSession _owner;
        private readonly OrtIoBinding _binding;
        private readonly List<OrtValue> _values = [];
        private readonly IReadOnlyDictionary<string, TensorBuffer> _inputs;
        private int _busy;
        private int _disposed;

        public PreparedRun(OrtSession owner, IReadOnlyDictionary<string, TensorBuffer> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs)
        {
            _owner = owner;
            _inputs = inputs;
            Outputs = outputs;
            _binding = owner._session.CreateIoBinding();
            try
            {
                foreach (TensorSpec spec in owner.Inputs)
                {
                    OrtValue v = Wrap(inputs[spec.Name]);
                    _values.Add(v);
                    _binding.BindInput(spec.Name, v);
                }

                foreach ((string name, TensorBuffer buffer) in outputs)
                {
                    OrtValue v = Wrap(buffer);
                    _values.Add(v);
                    _binding.BindOutput(name, v);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; }

        public void Run()
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation, "The prepared run has been disposed.");
            }

            _owner.ThrowIfDisposed();
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation,
                    "A prepared run was started from two threads at once; prepare one per thread (IInferenceSession.Run is thread-safe).");
            }

            try
            {
                _owner._session.RunWithBinding(_owner._runOptions, _binding);
            }
            catch (OnnxRuntimeException e)
            {
                throw Translate(e, ErrorCode.InferenceFailed, $"ONNX Runtime ({_owner.Backend.Name}) failed running '{_owner._modelName}'");
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _binding.Dispose();
                foreach (OrtValue v in _values)
                {
                    v.Dispose();
                }

                GC.KeepAlive(_inputs);
            }
        }
    }
}

using System.Runtime.InteropServices;
using LightNet.Onnx;
using LightNet.Profiling;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace LightNet.Backends.OnnxRuntime;

/// <summary>
/// An ONNX Runtime InferenceSession behind LightNet's session contract. Runs may come from many threads at once;
/// <see cref="Dispose"/> never frees the native session under a running call (<see cref="NativeLifetime"/>): it refuses
/// new calls and the native session is released when the last running call, and the last prepared run, is done.
/// </summary>
internal sealed class OrtSession : IInferenceSession
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions = new();
    private readonly string _modelName;
    private readonly bool _profiling;
    private readonly string[] _outputNames;
    private readonly NativeLifetime _lifetime;
    private readonly HashSet<string> _inputNames;

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
        catch (Exception e) when (e is OnnxRuntimeException || IsRawWrapperException(e))
        {
            sessionOptions.Dispose();
            _runOptions.Dispose();
            throw e is OnnxRuntimeException ort
                ? Translate(ort, ErrorCode.InvalidModel, $"ONNX Runtime ({backend.Name}) rejected model '{_modelName}'")
                : new LightNetException(ErrorCode.InvalidModel, $"ONNX Runtime ({backend.Name}) rejected model '{_modelName}': {e.GetType().Name}: {e.Message}", e);
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

            if (IsRawWrapperException(e))
            {
                // The managed wrapper reads metadata with dictionaries and arrays: an unusual model surfaces as a raw .NET exception.
                throw new LightNetException(ErrorCode.UnsupportedType,
                    $"ONNX Runtime ({backend.Name}) could not describe the inputs and outputs of '{_modelName}': {e.GetType().Name}: {e.Message}", e);
            }

            throw;
        }

        _outputNames = Outputs.Select(o => o.Name).ToArray();
        _inputNames = Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _lifetime = new NativeLifetime(() =>
        {
            _session.Dispose();
            _sessionOptions.Dispose();
            _runOptions.Dispose();
        });
    }

    public Backend Backend { get; }

    /// <summary>
    /// The intra-op thread count the session was created with; when none was set ONNX Runtime chooses (one per physical core)
    /// and does not say, so the thread count is null and the device says so.
    /// </summary>
    public SessionSettings EffectiveSettings
    {
        get
        {
            int configured = _sessionOptions.IntraOpNumThreads;
            int? threads = configured > 0 ? configured : null;
            SessionSettings basic = SessionSettings.Of(Backend, threads);
            return basic with
            {
                Device = threads is int t
                    ? $"{Backend.Device} ({t} intra-op thread{(t == 1 ? "" : "s")})"
                    : $"{Backend.Device} (intra-op threads: ONNX Runtime's default, one per physical core)",
            };
        }
    }

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

    /// <summary>The .NET exceptions ONNX Runtime's managed wrapper lets out for unusual models (translated, never passed on raw).</summary>
    private static bool IsRawWrapperException(Exception e) =>
        e is KeyNotFoundException or IndexOutOfRangeException or ArgumentException or InvalidOperationException or NotSupportedException or OverflowException;

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
        string[] names = CheckInputs(inputs);
        var values = new OrtValue[names.Length];
        Enter();
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

            _lifetime.Exit();
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
        Enter();
        try
        {
            path = _session.EndProfiling();
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e, ErrorCode.InferenceFailed, $"ONNX Runtime ({Backend.Name}) could not end profiling of '{_modelName}'");
        }
        finally
        {
            _lifetime.Exit();
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
        foreach (string name in inputs.Keys.Where(n => !_inputNames.Contains(n)))
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
        if (_lifetime.IsDisposed)
        {
            throw Disposed();
        }
    }

    private ObjectDisposedException Disposed() =>
        new(nameof(OrtSession), $"The session for '{_modelName}' on '{Backend.Name}' has been disposed.");

    /// <summary>Enters a call that uses the native session (pair with <c>_lifetime.Exit()</c>); refuses once disposed.</summary>
    private void Enter()
    {
        if (!_lifetime.TryEnter())
        {
            throw Disposed();
        }
    }

    /// <summary>
    /// Refuses new calls; the native session is released once no call is running and every prepared run made from it
    /// is disposed (at once when there are none).
    /// </summary>
    public void Dispose() => _lifetime.Dispose();

    /// <summary>
    /// Inputs and outputs bound once through an OrtIoBinding: each Run makes no managed allocation. It holds its session
    /// open (one entered call for its whole life), so the native session outlives its binding; <see cref="Dispose"/>
    /// during a <see cref="Run"/> frees the binding when that run returns.
    /// </summary>
    private sealed class PreparedRun : IPreparedRun
    {
        private readonly OrtSession _owner;
        private readonly OrtIoBinding _binding;
        private readonly List<OrtValue> _values = [];
        private readonly IReadOnlyDictionary<string, TensorBuffer> _inputs;
        private readonly NativeLifetime _lifetime;
        private int _busy;

        public PreparedRun(OrtSession owner, IReadOnlyDictionary<string, TensorBuffer> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs)
        {
            _owner = owner;
            _inputs = inputs;
            Outputs = outputs;
            owner.Enter();
            try
            {
                _binding = owner._session.CreateIoBinding();
            }
            catch
            {
                owner._lifetime.Exit();
                throw;
            }

            _lifetime = new NativeLifetime(() =>
            {
                _binding.Dispose();
                foreach (OrtValue v in _values)
                {
                    v.Dispose();
                }

                GC.KeepAlive(_inputs);
                _owner._lifetime.Exit();
            });
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
            if (!_lifetime.TryEnter())
            {
                throw new ObjectDisposedException(nameof(IPreparedRun), "The prepared run has been disposed.");
            }

            try
            {
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
            finally
            {
                _lifetime.Exit();
            }
        }

        /// <summary>Refuses new runs; the binding is freed now, or when a run in progress returns.</summary>
        public void Dispose() => _lifetime.Dispose();
    }
}

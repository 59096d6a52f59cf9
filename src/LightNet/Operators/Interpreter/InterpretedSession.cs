using System.Diagnostics;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Profiling;

namespace LightNet.Operators.Interpreter;

/// <summary>
/// The <c>cpu-simd</c> session for graphs outside the compiled fast path (operators, element types or dynamic
/// shapes the planner does not cover): a <see cref="GraphInterpreter"/> over the operator registry. Shapes are
/// taken from the inputs of each run, so one session runs any input size the model allows. Run is thread-safe.
/// </summary>
internal sealed class InterpretedSession : IInferenceSession
{
    private readonly GraphInterpreter _interpreter;
    private readonly string _modelName;
    private readonly bool _profiling;
    private readonly object _profileGate = new();
    private readonly List<long[]> _profileRuns = [];
    private int _disposed;

    public InterpretedSession(Backend backend, Model model, InferenceOptions options, string reason)
    {
        Backend = backend;
        _modelName = model.SourcePath ?? model.Graph.Name;
        _profiling = options.PerOperatorProfiling;
        FallbackReason = reason;
        _interpreter = new GraphInterpreter(model.Graph, model.Opset, _modelName);
        Graph g = model.Graph;
        Inputs = g.Inputs.Where(i => !g.Initializers.ContainsKey(i.Name))
            .Select(i => new TensorSpec(i.Name, i.ElementType, i.Shape ?? []))
            .ToArray();
        Outputs = g.Outputs.Select(o => new TensorSpec(o.Name, o.ElementType, o.Shape ?? [])).ToArray();
        DeclaredRanks = g.Inputs.Where(i => !g.Initializers.ContainsKey(i.Name)).Select(i => i.Shape is not null).ToArray();
    }

    public Backend Backend { get; }

    /// <summary>The interpreter runs each operator's reference kernel on the calling thread.</summary>
    public SessionSettings EffectiveSettings => SessionSettings.Of(Backend, 1) with
    {
        InstructionSet = null,
        Device = "CPU (operator interpreter, 1 thread)",
    };

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>Why the compiled fast path was not used (the planner's refusal).</summary>
    public string FallbackReason { get; }

    private bool[] DeclaredRanks { get; }

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        OpValue?[] outputs = Execute(inputs);
        var result = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        for (int i = 0; i < outputs.Length; i++)
        {
            result[Outputs[i].Name] = ToBuffer(Outputs[i].Name, outputs[i]);
        }

        return result;
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(inputs);
        var bound = new Dictionary<string, TensorBuffer>(inputs, StringComparer.Ordinal);
        var run = new PreparedRun(this, bound, Run(bound));
        return run;
    }

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        ThrowIfDisposed();
        if (!_profiling)
        {
            return null;
        }

        lock (_profileGate)
        {
            long[][] runs = _profileRuns.Skip(Math.Max(0, skipFirstRuns)).ToArray();
            _profileRuns.Clear();
            return OperatorProfileBuilder.Build(_interpreter.Graph.Nodes
                .Select(n => (n.Name.Length > 0 ? n.Name : $"{n.OpType}_{n.Index}", n.OpType, "interpreter")).ToArray(), runs);
        }
    }

    private OpValue?[] Execute(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string name in inputs.Keys.Where(n => Inputs.All(i => i.Name != n)))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Model '{_modelName}' has no input '{name}'; its inputs: {string.Join(", ", Inputs.Select(i => i.ToString()))}.");
        }

        var feeds = new Dictionary<string, OpValue?>(StringComparer.Ordinal);
        for (int k = 0; k < Inputs.Count; k++)
        {
            TensorSpec spec = Inputs[k];
            if (!inputs.TryGetValue(spec.Name, out TensorBuffer? t))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Model '{_modelName}' needs input {spec}, which was not given.");
            }

            if (spec.ElementType != TensorElementType.Undefined && t.ElementType != spec.ElementType)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Input '{spec.Name}' of '{_modelName}' is {spec.ElementType}, but a {t.ElementType} tensor was given.");
            }

            bool fits = !DeclaredRanks[k] || (spec.Shape.Count == t.Shape.Count
                && spec.Shape.Zip(t.Shape).All(p => p.First.Value is not { } v || v == p.Second));
            if (!fits)
            {
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Input '{spec.Name}' of '{_modelName}' has shape {Dimension.Format(spec.Shape)}, but a tensor of shape {Dimension.Format(t.Shape)} was given.");
            }

            feeds[spec.Name] = OpTensor.FromBuffer(t, spec.Name);
        }

        long[]? ticks = _profiling ? new long[_interpreter.NodeCount] : null;
        OpValue?[] outputs = _interpreter.Run(feeds, null, ticks);
        if (ticks is not null)
        {
            lock (_profileGate)
            {
                _profileRuns.Add(ticks);
            }
        }

        return outputs;
    }

    private TensorBuffer ToBuffer(string name, OpValue? value) => value switch
    {
        OpTensor t => t.ToBuffer(),
        null => throw new LightNetException(ErrorCode.UnsupportedOperator, $"Output '{name}' of '{_modelName}' is an empty optional value, which a TensorBuffer cannot carry."),
        _ => throw new LightNetException(ErrorCode.UnsupportedOperator, $"Output '{name}' of '{_modelName}' is a {value.Kind}, which a TensorBuffer cannot carry."),
    };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);

    /// <summary>Inputs bound once; each run writes the outputs into the buffers of the first run.</summary>
    private sealed class PreparedRun(InterpretedSession owner, Dictionary<string, TensorBuffer> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs)
        : IPreparedRun
    {
        private int _busy;
        private int _disposed;

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = outputs;

        public void Run()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation,
                    "A prepared run was started from two threads at once; prepare one per thread (IInferenceSession.Run is thread-safe).");
            }

            try
            {
                OpValue?[] values = owner.Execute(inputs);
                for (int i = 0; i < values.Length; i++)
                {
                    string name = owner.Outputs[i].Name;
                    TensorBuffer target = Outputs[name];
                    if (values[i] is not OpTensor t || !t.Dims.AsSpan().SequenceEqual(target.ShapeArray))
                    {
                        throw new LightNetException(ErrorCode.InvalidOperation, $"Output '{name}' changed shape between runs of a prepared run.");
                    }

                    t.CopyTo(target);
                }
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
    }
}

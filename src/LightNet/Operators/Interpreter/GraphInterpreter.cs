using System.Diagnostics;
using LightNet.Onnx;

namespace LightNet.Operators.Interpreter;

/// <summary>
/// Runs an ONNX graph node by node through the <see cref="OperatorRegistry"/>: any element type the layer holds,
/// shapes computed at run time (symbolic dimensions take the values of the inputs passed), weights, indices and
/// shapes that are graph inputs, and subgraphs (If, Loop, Scan) with outer-scope values. Validation happens once,
/// at construction, and lists every problem. <see cref="Run"/> is reentrant: each call has its own values.
/// </summary>
internal sealed class GraphInterpreter
{
    private readonly Graph _graph;
    private readonly long _opset;
    private readonly string _modelName;
    private readonly OperatorDef[] _ops;
    private readonly Dictionary<string, OpTensor> _constants;
    private readonly Dictionary<string, int> _lastUse;
    private readonly HashSet<string> _keep;
    private readonly Dictionary<Graph, GraphInterpreter> _subgraphs = new(ReferenceEqualityComparer.Instance);

    public GraphInterpreter(Graph graph, long opset, string modelName)
        : this(graph, opset, modelName, depth: 0)
    {
    }

    private GraphInterpreter(Graph graph, long opset, string modelName, int depth)
    {
        _graph = graph;
        _opset = opset;
        _modelName = modelName;
        var problems = new List<string>();
        // Opset 0: the model imports no default-domain opset (only other domains such as ai.onnx.ml) and may use none.
        if (depth == 0 && (opset > OperatorRegistry.MaxOpset || (opset < OperatorRegistry.MinOpset && graph.Nodes.Any(n => n.Domain is "" or "ai.onnx"))))
        {
            problems.Add($"model opset {opset} is outside the supported range {OperatorRegistry.MinOpset} to {OperatorRegistry.MaxOpset}");
        }

        if (depth > 32)
        {
            throw new LightNetException(ErrorCode.InvalidModel, $"Model '{modelName}': subgraphs are nested more than 32 deep.");
        }

        _ops = new OperatorDef[graph.Nodes.Count];
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            Node n = graph.Nodes[i];
            string where = $"{n.OpType} node '{(n.Name.Length > 0 ? n.Name : "#" + n.Index)}' (opset {opset})";
            OperatorDef? op = OperatorRegistry.Find(n.Domain, n.OpType);
            if (op is null)
            {
                problems.Add(n.Domain is "" or "ai.onnx"
                    ? $"{where}: operator '{n.OpType}' is not supported"
                    : $"{where}: operator domain '{n.Domain}' is not supported");
                continue;
            }

            _ops[i] = op;
            try
            {
                var local = new List<string>();
                op.ValidateSpecification(n, opset, local);
                op.Validate(n, opset, local);
                problems.AddRange(local.Select(p => $"{where}: {p}"));
                foreach (NodeAttribute a in n.Attributes.Values)
                {
                    foreach (Graph body in a.GraphValue is { } g ? [g] : a.GraphValues)
                    {
                        try
                        {
                            _subgraphs[body] = new GraphInterpreter(body, opset, modelName, depth + 1);
                        }
                        catch (LightNetException e) when (e.Code == ErrorCode.UnsupportedOperator)
                        {
                            problems.Add($"{where}: subgraph '{a.Name}': {e.Message}");
                        }
                    }
                }
            }
            catch (LightNetException e)
            {
                problems.Add($"{where}: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw UnsupportedGraph.Exception("cpu-simd", modelName, problems);
        }

        _constants = new Dictionary<string, OpTensor>(StringComparer.Ordinal);
        foreach ((string name, TensorData t) in graph.Initializers)
        {
            _constants[name] = OpTensor.FromTensorData(t);
        }

        _lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            foreach (string x in graph.Nodes[i].Inputs.Where(x => x.Length > 0))
            {
                _lastUse[x] = i;
            }

            // A subgraph reads outer values by name: keep every value alive while a node with a body may need it.
            if (graph.Nodes[i].Attributes.Values.Any(a => a.Kind is AttributeKind.Graph or AttributeKind.Graphs))
            {
                foreach (string v in _lastUse.Keys.ToArray())
                {
                    _lastUse[v] = Math.Max(_lastUse[v], i);
                }

                foreach (string v in graph.Nodes.Take(i).SelectMany(p => p.Outputs).Concat(graph.Inputs.Select(x => x.Name)))
                {
                    _lastUse[v] = Math.Max(_lastUse.GetValueOrDefault(v, i), i);
                }
            }
        }

        _keep = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
    }

    public Graph Graph => _graph;

    public int NodeCount => _ops.Length;

    /// <summary>
    /// Runs the graph. <paramref name="feeds"/> holds the graph inputs by name (initializers may be overridden);
    /// <paramref name="outer"/> resolves names of an enclosing scope (subgraphs). With <paramref name="nodeTicks"/>,
    /// adds each node's elapsed ticks. Returns the graph outputs in declaration order.
    /// </summary>
    public OpValue?[] Run(IReadOnlyDictionary<string, OpValue?> feeds, Func<string, OpValue?>? outer = null, long[]? nodeTicks = null,
        CancellationToken cancellationToken = default)
    {
        var values = new Dictionary<string, OpValue?>(StringComparer.Ordinal);
        foreach ((string name, OpValue? v) in feeds)
        {
            values[name] = v;
        }

        OpValue? Lookup(string name)
        {
            if (values.TryGetValue(name, out OpValue? v))
            {
                return v;
            }

            if (_constants.TryGetValue(name, out OpTensor? c))
            {
                return c;
            }

            return outer is not null ? outer(name) : throw new LightNetException(ErrorCode.UnresolvedInput, $"Model '{_modelName}': value '{name}' is not defined.");
        }

        OpValue?[] RunSubgraph(Graph body, IReadOnlyDictionary<string, OpValue?> inputs) =>
            _subgraphs.TryGetValue(body, out GraphInterpreter? child)
                ? child.Run(inputs, Lookup, null, cancellationToken)
                : throw new LightNetException(ErrorCode.InvalidModel, $"Model '{_modelName}': unknown subgraph '{body.Name}'.");

        IReadOnlyList<Node> nodes = _graph.Nodes;
        for (int i = 0; i < nodes.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Node n = nodes[i];
            var inputs = new OpValue?[n.Inputs.Count];
            for (int k = 0; k < inputs.Length; k++)
            {
                inputs[k] = n.Inputs[k].Length == 0 ? null : Lookup(n.Inputs[k]);
            }

            var ctx = new OpContext(n, _opset, inputs, RunSubgraph);
            long t0 = nodeTicks is null ? 0 : Stopwatch.GetTimestamp();
            try
            {
                _ops[i].Execute(ctx);
            }
            catch (LightNetException)
            {
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new LightNetException(ErrorCode.InferenceFailed, $"{ctx.Where} of '{_modelName}' failed: {e.GetType().Name}: {e.Message}", e);
            }

            if (nodeTicks is not null)
            {
                nodeTicks[i] += Stopwatch.GetTimestamp() - t0;
            }

            for (int k = 0; k < n.Outputs.Count; k++)
            {
                if (n.Outputs[k].Length == 0)
                {
                    continue;
                }

                // An empty optional is a null value: Optional, If and Loop may legitimately produce one.
                values[n.Outputs[k]] = ctx.Outputs[k] ?? (ctx.Wants(k) && k == 0 && n.OpType is not ("Optional" or "If" or "Loop")
                    ? throw new LightNetException(ErrorCode.InferenceFailed, $"{ctx.Where} of '{_modelName}' produced no output {k}.")
                    : null);
            }

            // Free what no later node reads.
            foreach (string x in n.Inputs)
            {
                if (x.Length > 0 && _lastUse.TryGetValue(x, out int last) && last == i && !_keep.Contains(x) && values.ContainsKey(x) && !feeds.ContainsKey(x))
                {
                    values.Remove(x);
                }
            }
        }

        var result = new OpValue?[_graph.Outputs.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = Lookup(_graph.Outputs[i].Name);
        }

        return result;
    }
}

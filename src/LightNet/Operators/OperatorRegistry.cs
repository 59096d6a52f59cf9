namespace LightNet.Operators;

/// <summary>
/// Every operator the <c>cpu-simd</c> engine runs, one <see cref="OperatorDef"/> each, gathered from the
/// operator groups (one folder per group, one file per operator). Support checks, the interpreter and the
/// generated documentation (docs/operators.md) read this list and nothing else.
/// </summary>
internal static class OperatorRegistry
{
    /// <summary>The highest default-domain opset accepted (ONNX Runtime 1.31.1 accepts the same).</summary>
    public const int MaxOpset = 26;

    /// <summary>The lowest default-domain opset accepted.</summary>
    public const int MinOpset = 1;

    private static readonly Dictionary<(string Domain, string OpType), OperatorDef> s_ops = Build();

    /// <summary>Every registered operator, by domain then type.</summary>
    public static IReadOnlyList<OperatorDef> All { get; } =
        s_ops.Values.OrderBy(o => o.Domain, StringComparer.Ordinal).ThenBy(o => o.OpType, StringComparer.Ordinal).ToArray();

    /// <summary>The operator for a node's domain and type, or null.</summary>
    public static OperatorDef? Find(string domain, string opType) =>
        s_ops.GetValueOrDefault((NormalizeDomain(domain), opType));

    /// <summary>
    /// Adds one line per problem that <see cref="OperatorDef.ValidateSpecification"/> finds in any node of
    /// <paramref name="graph"/> or of its subgraphs (naming the node, operator and attribute); operators the registry
    /// does not know are left to whoever runs them.
    /// </summary>
    public static void ValidateSpecification(Onnx.Graph graph, long opset, List<string> problems)
    {
        var pending = new Stack<Onnx.Graph>();
        pending.Push(graph);
        while (pending.Count > 0)
        {
            foreach (Onnx.Node n in pending.Pop().Nodes)
            {
                if (Find(n.Domain, n.OpType) is { } op)
                {
                    var local = new List<string>();
                    op.ValidateSpecification(n, opset, local);
                    problems.AddRange(local.Select(p => $"{n.OpType} node '{(n.Name.Length > 0 ? n.Name : "#" + n.Index)}' (opset {opset}): {p}"));
                }

                foreach (Onnx.NodeAttribute a in n.Attributes.Values)
                {
                    foreach (Onnx.Graph body in a.GraphValue is { } g ? [g] : a.GraphValues)
                    {
                        pending.Push(body);
                    }
                }
            }
        }
    }

    public static string NormalizeDomain(string domain) => domain is "ai.onnx" ? "" : domain;

    private static Dictionary<(string, string), OperatorDef> Build()
    {
        var map = new Dictionary<(string, string), OperatorDef>();
        IEnumerable<OperatorDef> all = Elementwise.ElementwiseOperators.All
            .Concat(DataMovement.DataMovementOperators.All)
            .Concat(Reduction.ReductionOperators.All)
            .Concat(NeuralNet.NeuralNetOperators.All)
            .Concat(Normalization.NormalizationOperators.All)
            .Concat(Quantization.QuantizationOperators.All)
            .Concat(ControlFlow.ControlFlowOperators.All)
            .Concat(Ml.MlOperators.All);
        foreach (OperatorDef op in all)
        {
            if (!map.TryAdd((op.Domain, op.OpType), op))
            {
                throw new InvalidOperationException($"Operator {op.Domain}.{op.OpType} is registered twice.");
            }
        }

        return map;
    }
}

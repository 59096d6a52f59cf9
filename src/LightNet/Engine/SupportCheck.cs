using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>
/// Checks, before anything is compiled, that every node of a graph is an operator with attribute values the
/// compiled fast path plans (each operator's registry entry says so: <c>Compiled</c>, <c>ValidateCompiled</c>), and
/// lists every problem at once (op, node, opset, attribute).
/// </summary>
internal static class SupportCheck
{
    /// <summary>The ONNX operators (default domain) the compiled fast path plans: those the operator registry marks compiled.</summary>
    public static readonly IReadOnlySet<string> Operators = LightNet.Operators.OperatorRegistry.All
        .Where(o => o.Compiled && o.Domain.Length == 0).Select(o => o.OpType).ToHashSet(StringComparer.Ordinal);

    /// <summary>Throws <see cref="ErrorCode.UnsupportedOperator"/> listing every unsupported op or attribute value.</summary>
    public static void Validate(Graph graph, long opset, string modelName, string target = "cpu-simd")
    {
        var problems = new List<string>();
        foreach (Node n in graph.Nodes)
        {
            string where = $"{n.OpType} node '{(n.Name.Length > 0 ? n.Name : "#" + n.Index)}' (opset {opset})";
            void Problem(string attribute, string detail) => problems.Add($"{where}: attribute '{attribute}' {detail}");
            if (n.Domain is not ("" or "ai.onnx"))
            {
                problems.Add($"{where}: operator domain '{n.Domain}' is not supported");
                continue;
            }

            if (!Operators.Contains(n.OpType))
            {
                problems.Add($"{where}: operator '{n.OpType}' is not supported");
                continue;
            }

            try
            {
                LightNet.Operators.OperatorRegistry.Find(n.Domain, n.OpType)!.ValidateCompiled(n, opset, Problem);
            }
            catch (LightNetException e)
            {
                problems.Add($"{where}: {e.Message}");
            }
        }

        // The compiled operators keep their semantics from opset 7 to 25 (later versions only add element types).
        if (opset is < 7 or > 25)
        {
            problems.Insert(0, $"model opset {opset} is outside the compiled range 7 to 25");
        }

        if (problems.Count > 0)
        {
            throw LightNet.Operators.UnsupportedGraph.Exception(target, modelName, problems);
        }
    }
}

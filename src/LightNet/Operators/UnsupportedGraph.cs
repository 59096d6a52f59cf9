namespace LightNet.Operators;

/// <summary>The one way the graph compilers and the interpreter refuse a model: every problem listed at once.</summary>
internal static class UnsupportedGraph
{
    /// <summary>An <see cref="ErrorCode.UnsupportedOperator"/> exception listing <paramref name="problems"/> (one per line).</summary>
    /// <param name="target">What cannot run it: "cpu-simd", "cudnn".</param>
    /// <param name="modelName">The model's file or graph name.</param>
    /// <param name="problems">One line each, naming the node, operator, opset and attribute.</param>
    public static LightNetException Exception(string target, string modelName, IReadOnlyCollection<string> problems) =>
        new(ErrorCode.UnsupportedOperator,
            $"The {target} engine cannot run '{modelName}' ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{Environment.NewLine}  - " +
            string.Join(Environment.NewLine + "  - ", problems));
}

namespace LightNet.Analysis;

/// <summary>One row of a model's per-layer table: a node with its output shape, parameters and MACs.</summary>
/// <param name="Index">Position in topological order.</param>
/// <param name="Name">Node name (may be empty).</param>
/// <param name="OpType">Operator.</param>
/// <param name="OutputShape">Shape of the node's first output.</param>
/// <param name="Parameters">Trainable parameters held by the initializers this node is the first to read.</param>
/// <param name="Macs">Multiply-accumulate operations of one run (see <see cref="ModelInfo.Macs"/> for the convention).</param>
/// <param name="OutputBytes">Bytes of all the node's outputs.</param>
public sealed record LayerInfo(int Index, string Name, string OpType, IReadOnlyList<long> OutputShape, long Parameters, long Macs, long OutputBytes);

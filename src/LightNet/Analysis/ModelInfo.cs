using LightNet.Onnx;

namespace LightNet.Analysis;

/// <summary>
/// What a model costs: parameters, multiply-accumulates, bytes of weights, file and activations, and its
/// operators. Computed by <see cref="Model.Analyze(AnalysisOptions?)"/> at fixed input shapes.
/// </summary>
/// <remarks>
/// <para><b>Parameters</b> follow the trainable convention of PyTorch and Keras: the elements of
/// floating-point stored tensors (and of integer weights fed to DequantizeLinear), except BatchNormalization's
/// running mean and variance, which are counted in <see cref="BufferValues"/>. Integer constants such as
/// Reshape targets, and float settings such as Clip bounds, Resize scales, Pad values and quantization scales,
/// are <see cref="ConstantValues"/>. Stored tensors are the initializers and the values of Constant nodes
/// (where PaddlePaddle and some TensorFlow exporters keep their weights), counted alike.</para>
/// <para><b>MACs</b> count one multiply-accumulate per weight use in Conv (output elements × input channels per
/// group × kernel area), ConvTranspose (input elements × output channels per group × kernel area), Gemm
/// (M × N × K) and MatMul (batch × M × N × K). Biases, normalisation, activations, pooling and element-wise ops
/// are not counted, as in the tables of torchvision and the papers. FLOPs are about 2 × MACs.</para>
/// </remarks>
public sealed record ModelInfo
{
    /// <summary>Trainable parameters (see remarks).</summary>
    public required long Parameters { get; init; }

    /// <summary>Stored values that are not trained: BatchNormalization running mean and variance.</summary>
    public required long BufferValues { get; init; }

    /// <summary>Other stored values: integer constants (shapes, indices, zero points) and float settings (Clip bounds, Resize scales).</summary>
    public required long ConstantValues { get; init; }

    /// <summary>Multiply-accumulate operations of one run at the analysed shapes (see remarks).</summary>
    public required long Macs { get; init; }

    /// <summary>Bytes of all stored tensors (initializers and Constant-node values) as stored.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>Bytes of the serialized model.</summary>
    public required long FileBytes { get; init; }

    /// <summary>
    /// Largest sum of live activation bytes while running the nodes in topological order: a value is live from
    /// its producer until its last consumer (graph inputs from the start, outputs to the end); weights excluded.
    /// </summary>
    public required long PeakActivationBytes { get; init; }

    /// <summary>Number of nodes per operator type.</summary>
    public required IReadOnlyDictionary<string, int> OperatorCounts { get; init; }

    /// <summary>Inputs with the shapes used for the analysis.</summary>
    public required IReadOnlyList<ValueInfo> Inputs { get; init; }

    /// <summary>Outputs with their inferred shapes.</summary>
    public required IReadOnlyList<ValueInfo> Outputs { get; init; }

    /// <summary>Default-domain opset.</summary>
    public required long Opset { get; init; }

    /// <summary>ONNX IR version.</summary>
    public required long IrVersion { get; init; }

    /// <summary>Producer name and version, as the file states them.</summary>
    public required string Producer { get; init; }

    /// <summary>One row per node, in topological order.</summary>
    public required IReadOnlyList<LayerInfo> Layers { get; init; }

    /// <summary>A short multi-line summary for consoles and logs.</summary>
    public string ToSummary()
    {
        var sb = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"Producer:           {Producer} (IR {IrVersion}, opset {Opset})");
        foreach (ValueInfo i in Inputs) sb.AppendLine(inv, $"Input:              {i}");
        foreach (ValueInfo o in Outputs) sb.AppendLine(inv, $"Output:             {o}");
        sb.AppendLine(inv, $"Parameters:         {Parameters:N0} (+ {BufferValues:N0} BN statistics, {ConstantValues:N0} constants)");
        sb.AppendLine(inv, $"MACs:               {Macs:N0} ({Macs / 1e9:F3} G)");
        sb.AppendLine(inv, $"Weights:            {WeightBytes / 1048576.0:F2} MiB; file {FileBytes / 1048576.0:F2} MiB");
        sb.AppendLine(inv, $"Peak activations:   {PeakActivationBytes / 1048576.0:F2} MiB");
        sb.Append("Operators:          ").AppendJoin(", ", OperatorCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        return sb.ToString();
    }
}

using System.Globalization;
using LightNet.Onnx;

namespace LightNet.Profiling;

/// <summary>The broad family of a <see cref="LayerKind"/>.</summary>
public enum LayerCategory
{
    /// <summary>A convolution (Conv, ConvTranspose, QLinearConv, ConvInteger).</summary>
    Convolution,

    /// <summary>A matrix product with constant weights (Gemm, MatMul with an initializer).</summary>
    FullyConnected,

    /// <summary>A matrix product of two computed values.</summary>
    MatMul,

    /// <summary>Max, average and global pooling.</summary>
    Pooling,

    /// <summary>Batch, instance, layer and local response normalization that no layer absorbed.</summary>
    Normalization,

    /// <summary>An activation function that no layer absorbed.</summary>
    Activation,

    /// <summary>Element-wise arithmetic (Add, Mul, ...) that no layer absorbed.</summary>
    Elementwise,

    /// <summary>Softmax and its relatives.</summary>
    Softmax,

    /// <summary>Operators that move or reshape data without arithmetic (Concat, Split, Transpose, Reshape, ...).</summary>
    DataMovement,

    /// <summary>Reductions (ReduceMean, ArgMax, ...).</summary>
    Reduction,

    /// <summary>QuantizeLinear, DequantizeLinear and their dynamic form.</summary>
    Quantization,

    /// <summary>Any other operator of the model.</summary>
    Other,

    /// <summary>A node the runtime added that has no counterpart in the model, such as ONNX Runtime's NCHWc <c>ReorderInput</c>.</summary>
    Inserted,

    /// <summary>A reported node whose name matches no node or value of the model.</summary>
    Unmatched,
}

/// <summary>
/// What kind of layer a model node is, for comparing where backends spend their time: a convolution by kernel size and
/// grouping (<c>conv 1×1 (pointwise)</c>, <c>conv 3×3 depthwise</c>, <c>conv 7×7 dense</c>), <c>fully connected</c>, a
/// pooling by kind and window (<c>max pool 3×3</c>, <c>global average pool</c>), or a family for the rest
/// (<c>activation</c>, <c>elementwise</c>, <c>data movement</c>, ...).
/// </summary>
/// <param name="Category">The broad family.</param>
/// <param name="Name">The display name, the key the kinds are grouped by.</param>
public sealed record LayerKind(LayerCategory Category, string Name)
{
    /// <summary>The kind of reported nodes that match nothing in the model.</summary>
    public static LayerKind Unmatched { get; } = new(LayerCategory.Unmatched, "other / unmatched");

    /// <summary>The kind of nodes a runtime inserts to convert layouts (ONNX Runtime's <c>ReorderInput</c>/<c>ReorderOutput</c>).</summary>
    public static LayerKind LayoutConversion { get; } = new(LayerCategory.Inserted, "layout conversion (runtime)");

    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Celu", "Softplus",
        "Softsign", "Gelu", "Mish", "ThresholdedRelu", "Swish", "FastGelu", "QuickGelu",
    };

    private static readonly HashSet<string> Elementwise = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Mean", "Pow", "Sqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "Erf",
        "Floor", "Ceil", "Round", "Sign", "Where", "Equal", "Less", "Greater", "And", "Or", "Not", "Xor", "Mod", "BitShift",
        "QLinearAdd", "QLinearMul",
    };

    private static readonly HashSet<string> Normalizations = new(StringComparer.Ordinal)
    {
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization", "LRN", "MeanVarianceNormalization",
        "LpNormalization",
    };

    private static readonly HashSet<string> DataMovements = new(StringComparer.Ordinal)
    {
        "Concat", "Split", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Gather", "GatherElements", "GatherND",
        "Pad", "Identity", "Shape", "Size", "Expand", "Tile", "Cast", "CastLike", "DepthToSpace", "SpaceToDepth", "Resize", "Upsample",
        "ScatterND", "ScatterElements", "Dropout", "ConstantOfShape", "Constant", "Range", "OneHot", "NonZero", "TopK", "Compress",
    };

    private static readonly HashSet<string> Inserted = new(StringComparer.Ordinal)
    {
        "ReorderInput", "ReorderOutput", "MemcpyToHost", "MemcpyFromHost",
    };

    /// <summary>Whether a runtime's operator type names a node it inserted itself (a layout conversion or a copy).</summary>
    /// <param name="opType">The operator type the runtime reported.</param>
    /// <returns>True for ONNX Runtime's <c>ReorderInput</c>, <c>ReorderOutput</c>, <c>MemcpyToHost</c> and <c>MemcpyFromHost</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="opType"/> is null.</exception>
    public static bool IsInserted(string opType)
    {
        ArgumentNullException.ThrowIfNull(opType);
        return Inserted.Contains(opType);
    }

    /// <summary>Whether <paramref name="opType"/> is an operator that backends fuse into the convolution or matrix product before it
    /// (batch normalization, an activation, a residual Add), so that its time belongs to that layer.</summary>
    internal static bool IsEpilogue(string opType) =>
        opType is "BatchNormalization" or "Add" || (Activations.Contains(opType) && opType is not ("PRelu" or "Gelu" or "FastGelu"));

    /// <summary>Classifies one node of <paramref name="graph"/> by its operator, attributes and weight shape.</summary>
    /// <param name="node">The node.</param>
    /// <param name="graph">The graph that holds it (for the weights' shapes).</param>
    /// <returns>The node's kind.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="node"/> or <paramref name="graph"/> is null.</exception>
    public static LayerKind Classify(Node node, Graph graph)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(graph);
        string op = node.OpType;
        switch (op)
        {
            case "Conv" or "ConvInteger" or "QLinearConv" or "FusedConv" or "NhwcConv":
                return Convolution(node, graph, op == "QLinearConv" ? 3 : 1, transposed: false);
            case "ConvTranspose":
                return Convolution(node, graph, 1, transposed: true);
            case "Gemm" or "QGemm":
                return new(LayerCategory.FullyConnected, "fully connected");
            case "MatMul" or "MatMulInteger" or "QLinearMatMul" or "FusedMatMul":
                int weight = op == "QLinearMatMul" ? 3 : 1;
                return node.InputOrNull(weight) is string b && IsConstant(graph, b)
                    ? new(LayerCategory.FullyConnected, "fully connected")
                    : new(LayerCategory.MatMul, "matmul");
            case "MaxPool" or "AveragePool" or "LpPool" or "QLinearAveragePool":
                string pool = op switch { "MaxPool" => "max pool", "LpPool" => "Lp pool", _ => "average pool" };
                return new(LayerCategory.Pooling, node.GetInts("kernel_shape") is { Count: > 0 } k ? $"{pool} {Window(k)}" : pool);
            case "GlobalAveragePool" or "QLinearGlobalAveragePool":
                return new(LayerCategory.Pooling, "global average pool");
            case "GlobalMaxPool":
                return new(LayerCategory.Pooling, "global max pool");
            case "Softmax" or "LogSoftmax" or "Hardmax":
                return new(LayerCategory.Softmax, "softmax");
            case "QuantizeLinear" or "DequantizeLinear" or "DynamicQuantizeLinear":
                return new(LayerCategory.Quantization, "quantize / dequantize");
        }

        if (Activations.Contains(op))
        {
            return new(LayerCategory.Activation, "activation");
        }

        if (Elementwise.Contains(op))
        {
            return new(LayerCategory.Elementwise, "elementwise");
        }

        if (Normalizations.Contains(op))
        {
            return new(LayerCategory.Normalization, "normalization");
        }

        if (DataMovements.Contains(op))
        {
            return new(LayerCategory.DataMovement, "data movement");
        }

        if (op.StartsWith("Reduce", StringComparison.Ordinal) || op is "ArgMax" or "ArgMin")
        {
            return new(LayerCategory.Reduction, "reduction");
        }

        return IsInserted(op) ? LayoutConversion : new(LayerCategory.Other, op);
    }

    private static LayerKind Convolution(Node node, Graph graph, int weightInput, bool transposed)
    {
        IReadOnlyList<long>? w = node.InputOrNull(weightInput) is string name ? ConstantDims(graph, name) : null;
        IReadOnlyList<long>? kernel = node.GetInts("kernel_shape") is { Count: > 0 } k ? k : w is { Count: > 2 } ? w.Skip(2).ToArray() : null;
        long group = node.GetInt("group", 1);
        string window = kernel is null ? "k×k" : Window(kernel);
        if (transposed)
        {
            return new(LayerCategory.Convolution, $"transposed conv {window}");
        }

        // Weights are [M, C/group, kh, kw]: one input channel per group is depthwise (with any channel multiplier).
        bool oneChannelPerGroup = w is { Count: > 1 } && w[1] == 1;
        if (group > 1)
        {
            return new(LayerCategory.Convolution, oneChannelPerGroup || w is null ? $"conv {window} depthwise" : $"conv {window} grouped");
        }

        return kernel is not null && kernel.All(d => d == 1)
            ? new(LayerCategory.Convolution, "conv 1×1 (pointwise)")
            : new(LayerCategory.Convolution, $"conv {window} dense");
    }

    private static string Window(IReadOnlyList<long> dims) => string.Join("×", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Whether a value is a constant: an initializer, a Constant node, or one reached through DequantizeLinear, Identity or Cast.</summary>
    private static bool IsConstant(Graph graph, string value) => ConstantDims(graph, value) is not null;

    private static IReadOnlyList<long>? ConstantDims(Graph graph, string value)
    {
        for (int depth = 0; depth < 4; depth++)
        {
            if (graph.Initializers.TryGetValue(value, out TensorData? t))
            {
                return t.Dims;
            }

            Node? producer = graph.Producer(value);
            if (producer is { OpType: "Constant" })
            {
                return producer.GetTensor("value")?.Dims;
            }

            if (producer is not { OpType: "DequantizeLinear" or "Identity" or "Cast" } || producer.InputOrNull(0) is not string source)
            {
                return null;
            }

            value = source;
        }

        return null;
    }
}

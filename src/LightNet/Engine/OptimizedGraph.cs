using LightNet.Engine.Kernels;
using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>A constant of the optimized graph: float values (weights, scales) or integer values (indices, shapes).</summary>
internal sealed class ConstTensor
{
    public ConstTensor(long[] dims, float[] floats)
    {
        Dims = dims;
        Floats = floats;
    }

    public ConstTensor(long[] dims, long[] ints)
    {
        Dims = dims;
        Ints = ints;
    }

    public long[] Dims { get; }

    public float[]? Floats { get; }

    public long[]? Ints { get; }

    public long Count => Shapes.ElementCount(Dims);

    /// <summary>The values as floats (integers converted).</summary>
    public float[] AsFloats() => Floats ?? Ints!.Select(v => (float)v).ToArray();

    /// <summary>The values as integers (floats truncated).</summary>
    public long[] AsInts() => Ints ?? Floats!.Select(v => (long)v).ToArray();

    public static ConstTensor FromTensor(TensorData t) =>
        t.ElementType is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Double
            ? new ConstTensor(t.Dims.ToArray(), t.ToFloatArray())
            : new ConstTensor(t.Dims.ToArray(), t.ToInt64Array());
}

/// <summary>
/// One node of the optimized graph. Attributes are read from <see cref="Source"/>; the optimizer may rewrite
/// the op (Gemm/MatMul with constant weights become "Dense", a QuantizeLinear→DequantizeLinear pair on an
/// activation becomes "FakeQuant"), the inputs (folded weights) and the outputs (absorbed BatchNormalization,
/// activation or residual Add).
/// </summary>
internal sealed class OptimizedNode
{
    public OptimizedNode(Node source, string opType, string[] inputs, string[] outputs)
    {
        Source = source;
        OpType = opType;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The ONNX node this one came from (attributes, name for profiles and errors).</summary>
    public Node Source { get; }

    public string Name => Source.Name.Length > 0 ? Source.Name : $"{Source.OpType}_{Source.Index}";

    public string OpType { get; set; }

    public string[] Inputs { get; set; }

    public string[] Outputs { get; set; }

    /// <summary>Activation fused into the store (Conv, ConvTranspose, Dense).</summary>
    public Activation Activation { get; set; }

    /// <summary>A value of the output's shape added before the activation (residual Add fused into Conv/Dense).</summary>
    public string? Residual { get; set; }

    /// <summary>Names of the nodes fused into this one, for profiles.</summary>
    public List<string> Fused { get; } = [];

    /// <summary>Extra numeric parameters set by the optimizer (FakeQuant: scale, zero point, qmin, qmax per channel).</summary>
    public float[]? Parameters { get; set; }

    /// <summary>Extra integer parameters set by the optimizer (FakeQuant: axis, channel count).</summary>
    public long[]? IntParameters { get; set; }

    /// <summary>The integer pass's parameters of an integer node (QConv, QAdd, QTable, ...; see GraphOptimizer.Quantized.cs).</summary>
    public QuantizedInfo? Quantized { get; set; }

    public override string ToString() =>
        $"{OpType} '{Name}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})" +
        (Activation.IsNone ? "" : $" +{Activation.Kind}") + (Residual is null ? "" : $" +residual {Residual}");
}

/// <summary>A model input or output as the caller sees it, mapped onto an internal float value.</summary>
/// <param name="Name">The declared name.</param>
/// <param name="Value">The internal value it reads or writes (an output may alias another value).</param>
/// <param name="ElementType">The declared element type (Float or Float16; converted at the boundary).</param>
/// <param name="Dims">The resolved static shape.</param>
/// <param name="Declared">The declared shape, with symbolic dimensions.</param>
internal sealed record GraphBoundary(string Name, string Value, TensorElementType ElementType, long[] Dims, IReadOnlyList<Dimension> Declared);

/// <summary>
/// The ISA-independent result of <see cref="GraphOptimizer"/>: float32 NCHW nodes in execution order with static
/// shapes, folded constants and fusions. A CPU plan or a GPU backend compiles it further.
/// </summary>
internal sealed class OptimizedGraph
{
    public OptimizedGraph(string name, long opset, IReadOnlyList<OptimizedNode> nodes, IReadOnlyDictionary<string, ConstTensor> constants,
        IReadOnlyDictionary<string, long[]> shapes, IReadOnlyList<GraphBoundary> inputs, IReadOnlyList<GraphBoundary> outputs)
    {
        Name = name;
        Opset = opset;
        Nodes = nodes;
        Constants = constants;
        Shapes = shapes;
        Inputs = inputs;
        Outputs = outputs;
    }

    public string Name { get; }

    public long Opset { get; }

    public IReadOnlyList<OptimizedNode> Nodes { get; }

    public IReadOnlyDictionary<string, ConstTensor> Constants { get; }

    /// <summary>The static shape of every value.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    public IReadOnlyList<GraphBoundary> Inputs { get; }

    public IReadOnlyList<GraphBoundary> Outputs { get; }

    /// <summary>The nodes that read each value, as an input or as their residual, in node order (once per node).</summary>
    public Dictionary<string, List<OptimizedNode>> Readers()
    {
        var readers = new Dictionary<string, List<OptimizedNode>>(StringComparer.Ordinal);
        foreach (OptimizedNode n in Nodes)
        {
            foreach (string x in n.Inputs.Where(x => x.Length > 0).Concat(n.Residual is null ? [] : [n.Residual]).Distinct(StringComparer.Ordinal))
            {
                (readers.TryGetValue(x, out var list) ? list : readers[x] = []).Add(n);
            }
        }

        return readers;
    }

    public long[] Dims(string value) => Shapes.TryGetValue(value, out long[]? d)
        ? d
        : throw new LightNetException(ErrorCode.InvalidModel, $"Graph '{Name}': value '{value}' has no inferred shape.");

    public override string ToString() => string.Join(Environment.NewLine, Nodes);
}

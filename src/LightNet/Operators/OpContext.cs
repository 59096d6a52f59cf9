using LightNet.Onnx;

namespace LightNet.Operators;

/// <summary>Runs a subgraph (If, Loop, Scan bodies) with named inputs, returning its outputs in order.</summary>
internal delegate OpValue?[] SubgraphRunner(Graph body, IReadOnlyDictionary<string, OpValue?> inputs);

/// <summary>One execution of one node: its inputs, attributes, opset and the outputs it sets.</summary>
internal sealed class OpContext
{
    public OpContext(Node node, long opset, OpValue?[] inputs, SubgraphRunner? subgraphs = null)
    {
        Node = node;
        Opset = opset;
        Inputs = inputs;
        Outputs = new OpValue?[node.Outputs.Count];
        Subgraphs = subgraphs;
    }

    public Node Node { get; }

    public long Opset { get; }

    /// <summary>One entry per node input; null where the input is omitted (empty name).</summary>
    public OpValue?[] Inputs { get; }

    public OpValue?[] Outputs { get; }

    public SubgraphRunner? Subgraphs { get; }

    public int InputCount => Inputs.Length;

    public int OutputCount => Outputs.Length;

    public string Where => $"{Node.OpType} node '{(Node.Name.Length > 0 ? Node.Name : "#" + Node.Index)}' (opset {Opset})";

    public bool Has(int i) => i < Inputs.Length && Inputs[i] is not null;

    public OpTensor Input(int i) => Has(i)
        ? Inputs[i] as OpTensor ?? throw Unsupported($"input {i} ('{Node.Inputs[i]}') is a {Inputs[i]!.Kind}, not a tensor")
        : throw Fail($"input {i} is required but missing");

    public OpTensor? Optional(int i) => Has(i) ? Input(i) : null;

    /// <summary>A sequence input.</summary>
    public OpSequence Sequence(int i) => Has(i)
        ? Inputs[i] as OpSequence ?? throw Fail($"input {i} ('{Node.Inputs[i]}') must be a sequence, not a tensor")
        : throw Fail($"input {i} is required but missing");

    /// <summary>True when the node asks for output <paramref name="i"/> (present and named).</summary>
    public bool Wants(int i) => i < Node.Outputs.Count && Node.Outputs[i].Length > 0;

    public void Set(int i, OpValue value)
    {
        if (i < Outputs.Length)
        {
            Outputs[i] = value;
        }
    }

    public long Int(string name, long fallback) => Node.GetInt(name, fallback);

    public float Float(string name, float fallback) => Node.GetFloat(name, fallback);

    public string String(string name, string fallback) => Node.GetString(name, fallback);

    public long[]? Ints(string name) => Node.GetInts(name)?.ToArray();

    public float[]? Floats(string name) => Node.GetFloats(name)?.ToArray();

    public bool HasAttribute(string name) => Node.Attributes.ContainsKey(name);

    /// <summary>An input that must hold integers (axes, shapes, indices), as longs; null when omitted.</summary>
    public long[]? OptionalInts(int i)
    {
        OpTensor? t = Optional(i);
        if (t is null)
        {
            return null;
        }

        if (t.IsFloat || t.Type == TensorElementType.String)
        {
            throw Fail($"input {i} ('{Node.Inputs[i]}') must hold integers, not {t.Type}");
        }

        return t.ToLongs();
    }

    /// <summary>Normalizes an axis into [0, rank) or fails naming the attribute.</summary>
    public int Axis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        return a < 0 || a >= Math.Max(rank, 1) && !(rank == 0 && a == 0)
            ? throw Fail($"{what} {axis} is out of range for a rank-{rank} input")
            : (int)a;
    }

    /// <summary>A bad input or attribute: <see cref="ErrorCode.InvalidArgument"/> naming the node.</summary>
    public LightNetException Fail(string message) => new(ErrorCode.InvalidArgument, $"{Where}: {message}.");

    /// <summary>A case the engine does not implement: <see cref="ErrorCode.UnsupportedOperator"/> naming the node.</summary>
    public LightNetException Unsupported(string message) => new(ErrorCode.UnsupportedOperator, $"{Where}: {message}.");
}

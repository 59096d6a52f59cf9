using LightNet.Engine.Kernels;

namespace LightNet.Engine;

/// <summary>
/// Which values of a graph a CPU plan keeps channel-blocked (<see cref="ConvLayout"/>), so that chains of pointwise and
/// depthwise convolutions (MobileNet's inverted residual blocks) pass blocked tensors from one to the next with no
/// transposes or packing in between. A value is blocked when a blocked-capable convolution writes it, it is not a graph
/// output, and every reader takes it blocked: a pointwise convolution as its input or residual, a depthwise convolution
/// as its input, or a global pooling. A pointwise convolution reads either layout but writes only blocked, so it is
/// kept only with its output (and residual) blocked, and the sets are narrowed until they agree; a depthwise
/// convolution converts between the layouts at no extra cost (its tiles are transposed in and out anyway), so it
/// starts and ends the chains. A Mul by per-channel factors (a squeeze-and-excitation gate, [N, C, 1, 1]) takes and
/// gives blocked tensors too, so MobileNetV3's blocks stay blocked through their gates.
/// <para>
/// Dense convolutions that run on one of the channel-blocked kernels (<see cref="Conv2dKernel.TakesBlocked"/>: the
/// direct one on wide rows, im2col on small maps) write either layout and read either (blocked only with whole input
/// blocks): without a residual they convert like a depthwise one, with one they are kept, like a pointwise one, only
/// with output and residual blocked. A MaxPool whose windows all hold an input pixel (<see cref="BlockedMaxPoolKernel"/>)
/// and a channel Concat of whole blocks pass blocked tensors through (a blocked Concat of whole blocks is the same
/// slabs as a planar one), so SqueezeNet's fire modules stay blocked from the stem to the classifier.
/// </para>
/// </summary>
internal sealed class BlockedLayout
{
    private readonly HashSet<string> _blocked;
    private readonly Dictionary<string, long> _elements;

    private BlockedLayout(int lanes, HashSet<string> blocked, Dictionary<string, long> elements)
    {
        Lanes = lanes;
        _blocked = blocked;
        _elements = elements;
    }

    /// <summary>Nothing blocked.</summary>
    public static BlockedLayout None { get; } = new(0, [], []);

    /// <summary>Channels per block (0: nothing blocked).</summary>
    public int Lanes { get; }

    /// <summary>The blocked values.</summary>
    public IReadOnlySet<string> Blocked => _blocked;

    /// <summary>
    /// Plans the layout of <paramref name="graph"/> for <paramref name="isa"/>'s blocked kernels;
    /// <paramref name="convShape"/> gives a Conv node's 2-D shape (null when it is not a 2-D convolution with constant weights),
    /// <paramref name="maxPoolShape"/> a MaxPool node's (null when it is not a 2-D one with a single output).
    /// </summary>
    public static BlockedLayout Plan(OptimizedGraph graph, Isa isa, Func<OptimizedNode, Conv2dShape?> convShape, Func<OptimizedNode, Pool2dShape?>? maxPoolShape = null)
    {
        int lanes = ConvLayout.LanesFor(isa);
        if (!ConvLayout.PlansBlocked(isa))
        {
            return None;
        }

        // pointwise: written only blocked (pointwise convolutions, dense ones with a residual); depthwise: converters
        // (depthwise and dense convolutions without a residual); wholeInput: the convolutions that read a blocked input.
        var pointwise = new HashSet<OptimizedNode>();
        var depthwise = new HashSet<OptimizedNode>();
        var wholeInput = new HashSet<OptimizedNode>();
        foreach (OptimizedNode n in graph.Nodes)
        {
            // HardSigmoid is left out: its value at 0 is not 0, and a block's padding channels must stay zero.
            if (n.OpType != "Conv" || !FusedActivation.TryCreate(n.Activation, out _) || n.Activation.Kind == ActivationKind.HardSigmoid
                || convShape(n) is not { } s)
            {
                continue;
            }

            if (s.IsPointwise && s.Groups == 1 && s.OutHeight * s.OutWidth > 1)
            {
                pointwise.Add(n);
                wholeInput.Add(n);
            }
            else if (s.IsDepthwise && n.Residual is null)
            {
                depthwise.Add(n);
                wholeInput.Add(n);
            }
            else if (Conv2dKernel.TakesBlocked(s, n.Activation, isa, inputBlocked: false))
            {
                (n.Residual is null ? depthwise : pointwise).Add(n);
                if (Conv2dKernel.TakesBlocked(s, n.Activation, isa, inputBlocked: true))
                {
                    wholeInput.Add(n);
                }
            }
        }

        if (pointwise.Count == 0)
        {
            return None;
        }

        var scales = graph.Nodes.Where(n => ScaledInput(graph, n) is not null).ToHashSet();

        // Pass-through nodes: blocked in and out, or neither.
        var pools = graph.Nodes.Where(n => n.OpType == "MaxPool" && n.Outputs.Length == 1 && n.Activation.IsNone && n.Residual is null
            && maxPoolShape?.Invoke(n) is { } p && BlockedMaxPoolKernel.Supports(p)).ToHashSet();
        var concats = graph.Nodes.Where(n => WholeBlockConcat(graph, n, lanes)).ToHashSet();

        var readers = graph.Readers();

        var outputs = graph.Outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            bool TakesBlocked(OptimizedNode reader, string v)
            {
                if (scales.Contains(reader))
                {
                    string x = ScaledInput(graph, reader)!;
                    return x == v && reader.Inputs.Count(i => i == v) == 1;
                }

                if (concats.Contains(reader))
                {
                    return reader.Inputs.Count(i => i == v) == 1;
                }

                bool onlyMain = reader.Inputs.Skip(1).All(i => i != v);
                if (!onlyMain || !(reader.Inputs[0] == v || reader.Residual == v))
                {
                    return false;
                }

                bool asInput = reader.Inputs[0] == v;
                if (pointwise.Contains(reader))
                {
                    return !asInput || wholeInput.Contains(reader); // the residual always; the input with whole blocks
                }

                if (depthwise.Contains(reader))
                {
                    return asInput && wholeInput.Contains(reader);
                }

                return (pools.Contains(reader) || reader.OpType is "GlobalAveragePool" or "GlobalMaxPool") && asInput && reader.Residual is null;
            }

            blocked.Clear();
            foreach (OptimizedNode n in pointwise.Concat(depthwise).Concat(scales).Concat(pools).Concat(concats))
            {
                string y = n.Outputs[0];
                if (!outputs.Contains(y) && readers.TryGetValue(y, out var rs) && rs.All(r => TakesBlocked(r, y)))
                {
                    blocked.Add(y);
                }
            }

            int before = pointwise.Count + scales.Count + pools.Count + concats.Count;
            pointwise.RemoveWhere(n => !blocked.Contains(n.Outputs[0]) || (n.Residual is not null && !blocked.Contains(n.Residual)));
            scales.RemoveWhere(n => !blocked.Contains(ScaledInput(graph, n)!) || !blocked.Contains(n.Outputs[0]));
            pools.RemoveWhere(n => !blocked.Contains(n.Inputs[0]) || !blocked.Contains(n.Outputs[0]));
            concats.RemoveWhere(n => !n.Inputs.All(blocked.Contains) || !blocked.Contains(n.Outputs[0]));
            if (pointwise.Count + scales.Count + pools.Count + concats.Count == before)
            {
                break;
            }
        }

        var elements = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string v in blocked)
        {
            long[] d = graph.Dims(v);
            elements[v] = d[0] * ConvLayout.BlockedElements(d[1], d[2] * d[3], lanes);
        }

        return new BlockedLayout(lanes, blocked, elements);
    }

    /// <summary>
    /// The input a Mul node scales by per-channel factors (x of x · s with x [N, C, H, W] and s [N or 1, C, 1, 1] not a
    /// constant, output the shape of x, nothing fused), or null for any other node.
    /// </summary>
    public static string? ScaledInput(OptimizedGraph graph, OptimizedNode n)
    {
        if (n.OpType != "Mul" || n.Inputs.Length != 2 || !n.Activation.IsNone || n.Residual is not null || n.Inputs.Any(i => i.Length == 0 || graph.Constants.ContainsKey(i)))
        {
            return null;
        }

        long[] y = graph.Dims(n.Outputs[0]);
        for (int i = 0; i < 2; i++)
        {
            long[] x = graph.Dims(n.Inputs[i]), s = graph.Dims(n.Inputs[1 - i]);
            if (y.Length == 4 && x.SequenceEqual(y) && s.Length == 4 && (s[0] == 1 || s[0] == y[0]) && s[1] == y[1] && s[2] == 1 && s[3] == 1 && y[2] * y[3] > 1)
            {
                return n.Inputs[i];
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="n"/> is a Concat of 4-D tensors along the channels, every input a whole number of
    /// <paramref name="lanes"/>-channel blocks, each input once: its blocked form is the planar one's slabs.
    /// </summary>
    private static bool WholeBlockConcat(OptimizedGraph graph, OptimizedNode n, int lanes)
    {
        if (n.OpType != "Concat" || n.Outputs.Length != 1 || n.Inputs.Length < 2 || !n.Activation.IsNone || n.Residual is not null
            || n.Inputs.Any(i => i.Length == 0 || graph.Constants.ContainsKey(i)) || n.Inputs.Distinct(StringComparer.Ordinal).Count() != n.Inputs.Length)
        {
            return false;
        }

        long[] y = graph.Dims(n.Outputs[0]);
        long axis = n.Source.GetInt("axis", 1);
        return y.Length == 4 && (axis == 1 || axis == -3) && y[2] * y[3] > 1
            && n.Inputs.All(i => graph.Dims(i) is { Length: 4 } d && d[1] % lanes == 0 && d[0] == y[0] && d[2] == y[2] && d[3] == y[3]);
    }

    /// <summary>Whether <paramref name="value"/> is kept blocked.</summary>
    public bool IsBlocked(string value) => _blocked.Contains(value);

    /// <summary>The floats a blocked value takes (its channels padded to whole blocks), or null for a planar one.</summary>
    public long? Elements(string value) => _elements.TryGetValue(value, out long e) ? e : null;

    /// <summary>The layout of a Conv node's input and output.</summary>
    public ConvLayout Of(OptimizedNode conv) => new(Lanes, IsBlocked(conv.Inputs[0]), IsBlocked(conv.Outputs[0]));
}

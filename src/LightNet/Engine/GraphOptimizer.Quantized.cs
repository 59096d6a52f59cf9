using LightNet.Engine.Kernels;
using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>Scales of a constant folded from a DequantizeLinear of integers, one per index of <paramref name="Axis"/> (-1: one scale).</summary>
internal sealed record WeightQuantization(float[] Scales, int Axis);

/// <summary>What an integer node of the optimized graph needs at compile time.</summary>
internal sealed class QuantizedInfo
{
    /// <summary>Parameters of each run-time input (codes).</summary>
    public QuantParams[] Inputs { get; init; } = [];

    /// <summary>Parameters of the output codes.</summary>
    public QuantParams Output { get; init; }

    /// <summary>Lowest output code (a fused ReLU/Clip raises it).</summary>
    public int Min { get; init; }

    /// <summary>Highest output code (a fused Clip lowers it).</summary>
    public int Max { get; init; } = 255;

    /// <summary>QConv/QDense: zero-point-centred integer weights in the float weights' layout.</summary>
    public short[]? Weights { get; init; }

    /// <summary>QConv/QDense: int32 bias at input_scale × weight_scale per output channel.</summary>
    public int[]? Bias { get; init; }

    /// <summary>QConv/QDense: the requantization multiplier per output channel.</summary>
    public float[]? Multipliers { get; init; }

    /// <summary>QTable: the 256-entry code map.</summary>
    public byte[]? Table { get; init; }
}

/// <summary>
/// The integer pass. After lowering, a QDQ model reads: Quantize (float → codes), Dequantize (codes → float), and float
/// operators between them. Wherever a float operator reads only Dequantize outputs and its result (through at most one
/// ReLU/Clip) goes only to a Quantize, the island becomes one integer operator reading and writing codes: QConv, QDense,
/// QAdd, QMaxPool, QGlobalAveragePool, QConcat, a view, or a QTable (any activation, and a Dequantize → Quantize
/// requantization, as a 256-entry table). The Dequantize/Quantize steps left without readers are then removed, so
/// no dequantize/quantize round trip remains between integer operators.
/// </summary>
internal static partial class GraphOptimizer
{
    private static readonly HashSet<string> s_integerOps = new(StringComparer.Ordinal)
    {
        "Quantize", "Dequantize", "QConv", "QDense", "QAdd", "QMaxPool", "QGlobalAveragePool", "QConcat", "QTable",
    };

    /// <summary>Whether an optimized op type is one of the integer pass's (their values hold uint8 codes).</summary>
    internal static bool IsIntegerOp(string opType) => s_integerOps.Contains(opType);

    private static List<OptimizedNode> Integerize(List<OptimizedNode> input, State state, List<GraphBoundary> outputs)
    {
        var list = new List<OptimizedNode?>(input);
        var producer = new Dictionary<string, OptimizedNode>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<OptimizedNode>>(StringComparer.Ordinal);
        var graphOutputs = outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        foreach (OptimizedNode n in input)
        {
            foreach (string o in n.Outputs)
            {
                producer[o] = n;
            }

            foreach (string x in n.Inputs.Where(x => x.Length > 0 && !state.Constants.ContainsKey(x)).Distinct())
            {
                (readers.TryGetValue(x, out List<OptimizedNode>? r) ? r : readers[x] = []).Add(n);
            }
        }

        // The codes behind a float value that a Dequantize produced.
        (string Value, QuantParams Params)? CodesOf(string value) =>
            producer.TryGetValue(value, out OptimizedNode? p) && p.OpType == "Dequantize" ? (p.Inputs[0], state.Codes[p.Inputs[0]]) : null;

        // The only reader of a float value, if there is exactly one and the value is not a graph output.
        OptimizedNode? SoleReader(string value) =>
            !graphOutputs.Contains(value) && readers.TryGetValue(value, out List<OptimizedNode>? r) && r.Count == 1 && r[0].Residual != value ? r[0] : null;

        // The Quantize that takes a float result (through a fusable ReLU/Clip), with the clamp that activation implies.
        (OptimizedNode Quantize, OptimizedNode? Activation, int Min, int Max)? QuantizeAfter(string value, bool fuseActivation)
        {
            OptimizedNode? act = null;
            OptimizedNode? next = SoleReader(value);
            if (fuseActivation && next is { OpType: "Activation", Residual: null } a && a.Activation.Kind is ActivationKind.Relu or ActivationKind.Clip)
            {
                act = a;
                next = SoleReader(a.Outputs[0]);
            }

            if (next is not { OpType: "Quantize" } q)
            {
                return null;
            }

            QuantParams p = state.Codes[q.Outputs[0]];
            int min = 0, max = 255;
            if (act is not null)
            {
                float lo = act.Activation.Kind == ActivationKind.Relu ? 0f : act.Activation.Alpha;
                min = p.Quantize(lo);
                max = act.Activation.Kind == ActivationKind.Clip ? p.Quantize(act.Activation.Beta) : 255;
            }

            return (q, act, min, max);
        }

        void Replace(OptimizedNode original, OptimizedNode replacement, params OptimizedNode?[] absorbed)
        {
            list[list.IndexOf(original)] = replacement;
            replacement.Fused.AddRange(original.Fused);
            foreach (OptimizedNode? a in absorbed.Where(a => a is not null))
            {
                list[list.IndexOf(a)] = null;
                replacement.Fused.Add($"{a!.Source.OpType} '{a.Name}'");
            }

            producer[replacement.Outputs[0]] = replacement;
        }

        foreach (OptimizedNode n in input)
        {
            if (!list.Contains(n) || n.Residual is not null)
            {
                continue;
            }

            switch (n.OpType)
            {
                case "Conv" or "Dense" when CodesOf(n.Inputs[0]) is { } x && QuantizeAfter(n.Outputs[0], true) is { } q
                                            && IntegerWeights(n, state, x.Params, state.Codes[q.Quantize.Outputs[0]]) is { } w:
                {
                    var node = new OptimizedNode(n.Source, "Q" + n.OpType, [x.Value, n.Inputs[1]], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo
                        {
                            Inputs = [x.Params], Output = state.Codes[q.Quantize.Outputs[0]], Min = q.Min, Max = q.Max,
                            Weights = w.Weights, Bias = w.Bias, Multipliers = w.Multipliers,
                        },
                    };
                    Replace(n, node, q.Activation, q.Quantize);
                    break;
                }

                case "Add" when n.Inputs.Length == 2 && CodesOf(n.Inputs[0]) is { } a && CodesOf(n.Inputs[1]) is { } b
                                && state.Dims(a.Value).SequenceEqual(state.Dims(n.Outputs[0])) && state.Dims(b.Value).SequenceEqual(state.Dims(n.Outputs[0]))
                                && QuantizeAfter(n.Outputs[0], true) is { } q:
                    Replace(n, new OptimizedNode(n.Source, "QAdd", [a.Value, b.Value], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = [a.Params, b.Params], Output = state.Codes[q.Quantize.Outputs[0]], Min = q.Min, Max = q.Max },
                    }, q.Activation, q.Quantize);
                    break;
                case "MaxPool" or "View" when CodesOf(n.Inputs[0]) is { } x && QuantizeAfter(n.Outputs[0], false) is { } q
                                              && state.Codes[q.Quantize.Outputs[0]] == x.Params && n.Outputs.Length == 1:
                    // Order-preserving and value-preserving on equal parameters: the same operator on the codes.
                    Replace(n, new OptimizedNode(n.Source, n.OpType == "View" ? "View" : "QMaxPool", [x.Value, .. n.Inputs.Skip(1)], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = [x.Params], Output = x.Params },
                    }, q.Quantize);
                    break;
                case "GlobalAveragePool" when CodesOf(n.Inputs[0]) is { } x && QuantizeAfter(n.Outputs[0], false) is { } q:
                    Replace(n, new OptimizedNode(n.Source, "QGlobalAveragePool", [x.Value], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = [x.Params], Output = state.Codes[q.Quantize.Outputs[0]] },
                    }, q.Quantize);
                    break;
                case "Concat" when n.Inputs.All(i => i.Length == 0 || CodesOf(i) is not null) && QuantizeAfter(n.Outputs[0], false) is { } q:
                {
                    var ins = n.Inputs.Where(i => i.Length > 0).Select(i => CodesOf(i)!.Value).ToArray();
                    Replace(n, new OptimizedNode(n.Source, "QConcat", ins.Select(i => i.Value).ToArray(), [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = ins.Select(i => i.Params).ToArray(), Output = state.Codes[q.Quantize.Outputs[0]] },
                    }, q.Quantize);
                    break;
                }

                case "Activation" when CodesOf(n.Inputs[0]) is { } x && QuantizeAfter(n.Outputs[0], false) is { } q:
                {
                    QuantParams output = state.Codes[q.Quantize.Outputs[0]];
                    Activation act = n.Activation;
                    Replace(n, new OptimizedNode(n.Source, "QTable", [x.Value], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = [x.Params], Output = output, Table = x.Params.Table(output, act.Apply) },
                    }, q.Quantize);
                    break;
                }

                case "Dequantize" when QuantizeAfter(n.Outputs[0], false) is { } q:
                {
                    // A requantization between two scales (DequantizeLinear → QuantizeLinear with nothing between).
                    QuantParams from = state.Codes[n.Inputs[0]], to = state.Codes[q.Quantize.Outputs[0]];
                    Replace(n, new OptimizedNode(n.Source, "QTable", [n.Inputs[0]], [q.Quantize.Outputs[0]])
                    {
                        Quantized = new QuantizedInfo { Inputs = [from], Output = to, Table = from.Table(to) },
                    }, q.Quantize);
                    break;
                }
            }
        }

        return list.Where(n => n is not null).Select(n => n!).ToList();
    }

    /// <summary>
    /// The integer weights, int32 bias and requantization multipliers of a Conv/Dense whose weights were folded from a
    /// DequantizeLinear of integers (per tensor or per output channel); null when they were not, or do not round-trip.
    /// </summary>
    private static (short[] Weights, int[] Bias, float[] Multipliers)? IntegerWeights(OptimizedNode n, State state, QuantParams x, QuantParams y)
    {
        if (!state.Dequantized.TryGetValue(n.Inputs[1], out WeightQuantization? wq) || wq.Axis > 0)
        {
            return null;
        }

        ConstTensor wt = state.Constants[n.Inputs[1]];
        float[] w = wt.AsFloats();
        int channels = (int)wt.Dims[0];
        if (wq.Scales.Length != 1 && wq.Scales.Length != channels)
        {
            return null;
        }

        int perChannel = w.Length / channels;
        var weights = new short[w.Length];
        var bias = new int[channels];
        var multipliers = new float[channels];
        float[]? b = n.Inputs.Length > 2 && n.Inputs[2].Length > 0 ? state.Constants[n.Inputs[2]].AsFloats() : null;
        for (int c = 0; c < channels; c++)
        {
            float sw = wq.Scales[wq.Scales.Length == 1 ? 0 : c];
            if (!(sw > 0))
            {
                return null;
            }

            for (int i = c * perChannel; i < (c + 1) * perChannel; i++)
            {
                // DequantizeLinear gave (q − zero)·scale; dividing by the scale gives the centred integer back exactly.
                double q = Math.Round(w[i] / (double)sw);
                if (q is < short.MinValue or > short.MaxValue || Math.Abs(w[i] - (float)(q * sw)) > 1e-6 * Math.Abs(w[i]) + 1e-30)
                {
                    return null;
                }

                weights[i] = (short)q;
            }

            float accScale = x.Scale * sw;
            double bq = b is null ? 0 : Math.Round(b[b.Length == 1 ? 0 : c] / (double)accScale);
            if (bq is < int.MinValue / 2 or > int.MaxValue / 2)
            {
                return null;
            }

            bias[c] = (int)bq;
            multipliers[c] = accScale / y.Scale;
        }

        return (weights, bias, multipliers);
    }

    private sealed partial class State
    {
        /// <summary>
        /// The uint8-code parameters of a QuantizeLinear/DequantizeLinear on an activation: one constant scale and zero point
        /// of type uint8 or int8 (int8 codes are held with 128 added); null otherwise (per-axis or wider types keep the fake-quant path).
        /// </summary>
        public QuantParams? ActivationParams(Node n, string[] inputs) =>
            inputs.Length < 2 ? null : Params(inputs[1], inputs.Length > 2 ? inputs[2] : "", TypeOf(n.OpType == "QuantizeLinear" ? n.Outputs[0] : inputs[0]));

        /// <summary>One constant scale and zero point of uint8/int8 codes of <paramref name="type"/>, in the uint8 domain; null otherwise.</summary>
        private QuantParams? Params(string scaleName, string zeroName, TensorElementType type)
        {
            if (type is not (TensorElementType.UInt8 or TensorElementType.Int8)
                || !Constants.TryGetValue(scaleName, out ConstTensor? scale) || scale.Count != 1)
            {
                return null;
            }

            long zero = 0;
            if (zeroName.Length > 0)
            {
                if (!Constants.TryGetValue(zeroName, out ConstTensor? z) || z.Count != 1)
                {
                    return null;
                }

                zero = z.AsInts()[0];
            }

            float s = scale.AsFloats()[0];
            return s > 0 && float.IsFinite(s) ? new QuantParams(s, (int)zero + (type == TensorElementType.Int8 ? 128 : 0)) : null;
        }

        /// <summary>
        /// QLinearConv (x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B) reading codes that an
        /// integer node produced, with constant weights and parameters: the same QConv the QDQ pass builds. False when it
        /// does not fit (the interpreter then runs the graph).
        /// </summary>
        public bool LowerQLinearConv(Node n, string[] inputs, string[] outputs)
        {
            string At(int i) => i < inputs.Length ? inputs[i] : "";
            if (!Integer || !Codes.TryGetValue(At(0), out QuantParams x) || Params(At(1), At(2), TypeOf(At(0))) != x
                || Params(At(6), At(7), TypeOf(outputs[0])) is not { } y
                || !Constants.TryGetValue(At(3), out ConstTensor? w) || w.Ints is null || w.Dims.Length != 4
                || !Constants.TryGetValue(At(4), out ConstTensor? ws))
            {
                return false;
            }

            int maps = (int)w.Dims[0], perMap = (int)(w.Count / Math.Max(1, maps));
            float[] scales = ws.AsFloats();
            long[] zeros = At(5).Length > 0 && Constants.TryGetValue(At(5), out ConstTensor? wz) ? wz.AsInts() : [0];
            long[]? bias = At(8).Length > 0 && Constants.TryGetValue(At(8), out ConstTensor? b) ? b.AsInts() : null;
            if ((scales.Length != 1 && scales.Length != maps) || (zeros.Length != 1 && zeros.Length != maps)
                || (At(8).Length > 0 && (bias is null || bias.Length != maps)))
            {
                return false;
            }

            var weights = new short[w.Count];
            var multipliers = new float[maps];
            for (int m = 0; m < maps; m++)
            {
                long zero = zeros[zeros.Length == 1 ? 0 : m];
                for (int i = m * perMap; i < (m + 1) * perMap; i++)
                {
                    weights[i] = (short)(w.Ints[i] - zero);
                }

                // ONNX Runtime's multiplier: x_scale · w_scale / y_scale, in float.
                multipliers[m] = x.Scale * scales[scales.Length == 1 ? 0 : m] / y.Scale;
            }

            Emit(n, "QConv", [inputs[0], inputs[3]], [outputs[0]]).Quantized = new QuantizedInfo
            {
                Inputs = [x], Output = y, Weights = weights, Multipliers = multipliers,
                Bias = bias?.Select(v => (int)v).ToArray() ?? new int[maps],
            };
            Codes[outputs[0]] = y;
            return true;
        }
    }
}

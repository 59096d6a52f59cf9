using LightNet.Analysis;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Engine;

/// <summary>
/// Compiles an ONNX graph into an <see cref="OptimizedGraph"/>: validates every node, resolves static shapes,
/// folds constants (Constant, Shape/Gather/Concat/... integer chains, Cast, QDQ weight dequantization, FP16
/// weights), removes Identity/Dropout, turns Gemm/MatMul with constant weights into Dense, folds
/// BatchNormalization into the preceding Conv/Dense, fuses activations and residual Adds, and turns activation
/// QuantizeLinear→DequantizeLinear pairs into one fake-quant step — or, for the cpu-simd target with fusion on,
/// keeps activations quantized and turns the QDQ islands around Conv, Gemm, Add, pooling, Concat and activations into
/// integer operators (see GraphOptimizer.Quantized.cs).
/// </summary>
internal static partial class GraphOptimizer
{
    private static readonly HashSet<string> s_views = new(StringComparer.Ordinal) { "Reshape", "Flatten", "Squeeze", "Unsqueeze" };

    public static OptimizedGraph Optimize(Model model, IReadOnlyDictionary<string, long>? dimensionValues, bool fuse = true,
        IReadOnlyDictionary<string, long[]>? inputShapes = null, string target = "cpu-simd")
    {
        ArgumentNullException.ThrowIfNull(model);
        Graph graph = model.Graph;
        string modelName = model.SourcePath ?? graph.Name;
        long opset = model.Opset;
        SupportCheck.Validate(graph, opset, modelName, target);

        var realInputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToArray();
        Dictionary<string, InferredValue> resolved = ModelAnalyzer.ResolveInputs(graph, new AnalysisOptions { DimensionValues = dimensionValues, InputShapes = inputShapes });
        foreach (string name in graph.Initializers.Keys)
        {
            resolved.Remove(name);
        }

        Dictionary<string, InferredValue> values = ShapeInference.Run(graph, opset, resolved);
        var state = new State(graph, opset, values, modelName) { Integer = fuse && target == "cpu-simd" };
        foreach ((string name, TensorData t) in graph.Initializers)
        {
            state.Constants[name] = ConstTensor.FromTensor(t);
        }

        foreach (Node n in graph.Nodes)
        {
            state.Lower(n);
        }

        var outputs = new List<GraphBoundary>();
        foreach (ValueInfo o in graph.Outputs)
        {
            string value = state.Resolve(o.Name);
            if (!values.ContainsKey(o.Name))
            {
                // A node that was refused above, or an output no inference rule produces (e.g. training-mode statistics).
                state.Problems.Add($"output '{o.Name}' has no inferred shape");
                continue;
            }

            if (o.ElementType is not (TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Undefined))
            {
                state.Problems.Add($"output '{o.Name}' is {o.ElementType}; only Float and Float16 outputs are supported");
            }

            outputs.Add(new GraphBoundary(o.Name, value, o.ElementType == TensorElementType.Float16 ? TensorElementType.Float16 : TensorElementType.Float,
                values[o.Name].Dims, o.Shape ?? values[o.Name].Dims.Select(Dimension.Fixed).ToArray()));
        }

        foreach ((string q, Node n) in state.PendingQuantize)
        {
            if (state.Consumers(q).Any(c => c.OpType != "DequantizeLinear"))
            {
                state.Problems.Add($"QuantizeLinear node '{n.Name}' (opset {opset}): its integer output '{q}' is used by an operator other than DequantizeLinear; integer tensors are not supported at run time");
            }
        }

        if (state.Problems.Count > 0)
        {
            throw Operators.UnsupportedGraph.Exception(target, modelName, state.Problems);
        }

        var inputs = realInputs.Select(i => new GraphBoundary(i.Name, i.Name,
            i.ElementType == TensorElementType.Float16 ? TensorElementType.Float16 : TensorElementType.Float,
            values[i.Name].Dims, i.Shape ?? values[i.Name].Dims.Select(Dimension.Fixed).ToArray())).ToArray();
        foreach (ValueInfo i in realInputs.Where(i => i.ElementType is not (TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Undefined)))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"The {target} engine cannot run '{modelName}': input '{i.Name}' is {i.ElementType}; only Float and Float16 inputs are supported.");
        }

        List<OptimizedNode> nodes = state.Nodes;
        if (state.Integer)
        {
            nodes = Integerize(nodes, state, outputs);
        }

        if (fuse)
        {
            nodes = Fuse(nodes, state, outputs);
        }

        foreach (OptimizedNode n in nodes.Where(n => n.OpType == "BatchNormalization"))
        {
            ToChannelAffine(n, state);
        }

        nodes = RemoveDead(nodes, outputs, state);
        var shapes = values.ToDictionary(p => p.Key, p => p.Value.Dims, StringComparer.Ordinal);
        foreach ((string name, ConstTensor c) in state.Constants)
        {
            shapes.TryAdd(name, c.Dims);
        }

        return new OptimizedGraph(graph.Name, opset, nodes, state.Constants, shapes, inputs, outputs);
    }

    private static List<OptimizedNode> RemoveDead(List<OptimizedNode> nodes, List<GraphBoundary> outputs, State state)
    {
        var needed = outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        var keep = new bool[nodes.Count];
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            OptimizedNode n = nodes[i];
            if (!n.Outputs.Any(needed.Contains))
            {
                continue;
            }

            keep[i] = true;
            foreach (string input in n.Inputs.Append(n.Residual ?? "").Where(x => x.Length > 0 && !state.Constants.ContainsKey(x)))
            {
                needed.Add(input);
            }
        }

        return nodes.Where((_, i) => keep[i]).ToList();
    }

    private static List<OptimizedNode> Fuse(List<OptimizedNode> input, State state, List<GraphBoundary> outputs)
    {
        var list = new List<OptimizedNode?>(input);
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        void Use(string v) => uses[v] = uses.GetValueOrDefault(v) + 1;
        for (int i = 0; i < list.Count; i++)
        {
            foreach (string o in list[i]!.Outputs)
            {
                producer[o] = i;
            }

            foreach (string x in list[i]!.Inputs.Where(x => x.Length > 0))
            {
                Use(x);
            }
        }

        foreach (GraphBoundary o in outputs)
        {
            Use(o.Value);
        }

        // The producer of `value` when it may absorb the node at `at`: sole consumer, no activation yet.
        OptimizedNode? Absorber(string value, int at, params string[] ops)
        {
            if (!producer.TryGetValue(value, out int p) || list[p] is not { } node || uses.GetValueOrDefault(value) != 1
                || !ops.Contains(node.OpType) || !node.Activation.IsNone || node.Outputs[0] != value)
            {
                return null;
            }

            list[p] = null;
            list[at] = node;
            return node;
        }

        void Retarget(OptimizedNode absorber, OptimizedNode absorbed, int at)
        {
            absorber.Outputs = [absorbed.Outputs[0]];
            absorber.Fused.Add($"{absorbed.OpType} '{absorbed.Name}'");
            producer[absorbed.Outputs[0]] = at;
        }

        for (int i = 0; i < list.Count; i++)
        {
            OptimizedNode? n = list[i];
            if (n is null)
            {
                continue;
            }

            switch (n.OpType)
            {
                case "BatchNormalization" when n.Inputs.Skip(1).Take(4).All(state.Constants.ContainsKey):
                {
                    if (producer.TryGetValue(n.Inputs[0], out int p) && list[p] is { Residual: null } conv && conv.OpType is "Conv" or "Dense"
                        && conv.Activation.IsNone && uses.GetValueOrDefault(n.Inputs[0]) == 1
                        && Absorber(n.Inputs[0], i, "Conv", "Dense") is { } absorber)
                    {
                        (float[] scale, float[] shift) = BatchNormAffine(n, state);
                        FoldAffineIntoWeights(absorber, scale, shift, state);
                        Retarget(absorber, n, i);
                    }
                    else
                    {
                        // Left standing (DenseNet's BatchNormalization → Relu before each convolution): a ChannelAffine
                        // now, so that the activation after it fuses into its store.
                        ToChannelAffine(n, state);
                    }

                    break;
                }

                case "Activation":
                    if (Absorber(n.Inputs[0], i, "Conv", "Dense", "ChannelAffine") is { } a)
                    {
                        a.Activation = n.Activation;
                        Retarget(a, n, i);
                    }

                    break;
                case "Add" when n.Inputs.Length == 2 && state.Constants.ContainsKey(n.Inputs[1]) != state.Constants.ContainsKey(n.Inputs[0]):
                {
                    // MatMul + Add(bias): the bias joins the Dense epilogue when it is one value per output feature.
                    int side = state.Constants.ContainsKey(n.Inputs[1]) ? 0 : 1;
                    string main = n.Inputs[side];
                    ConstTensor bias = state.Constants[n.Inputs[1 - side]];
                    if (producer.TryGetValue(main, out int p) && list[p] is { OpType: "Dense", Residual: null } d && d.Activation.IsNone
                        && bias.Dims.Take(Math.Max(0, bias.Dims.Length - 1)).All(v => v == 1) && bias.Dims.Length <= state.Dims(main).Length
                        && (bias.Count == 1 || bias.Count == state.Constants[d.Inputs[1]].Dims[0])
                        && Absorber(main, i, "Dense") is { } dense)
                    {
                        int outF = (int)state.Constants[dense.Inputs[1]].Dims[0];
                        float[] add = bias.AsFloats();
                        float[] b = dense.Inputs.Length > 2 ? (float[])state.Constants[dense.Inputs[2]].AsFloats().Clone() : new float[outF];
                        for (int o = 0; o < outF; o++)
                        {
                            b[o] += add[add.Length == 1 ? 0 : o];
                        }

                        dense.Inputs = [dense.Inputs[0], dense.Inputs[1], state.NewConstant(dense.Name + "__b_add", [outF], b)];
                        Retarget(dense, n, i);
                    }

                    break;
                }

                case "Add" when n.Inputs.Length == 2 && n.Inputs.All(x => !state.Constants.ContainsKey(x))
                                && n.Inputs[0] != n.Inputs[1]
                                && state.Dims(n.Inputs[0]).SequenceEqual(state.Dims(n.Inputs[1])):
                    for (int side = 0; side < 2; side++)
                    {
                        string main = n.Inputs[side], other = n.Inputs[1 - side];
                        if (producer.TryGetValue(main, out int p) && list[p] is { Residual: null, OpType: "Conv" or "Dense" }
                            && Absorber(main, i, "Conv", "Dense") is { } r)
                        {
                            r.Residual = other;
                            Retarget(r, n, i);
                            break;
                        }
                    }

                    break;
            }
        }

        return list.Where(n => n is not null).Select(n => n!).ToList();
    }

    private static (float[] Scale, float[] Shift) BatchNormAffine(OptimizedNode bn, State state)
    {
        // Found by fuzzing: a node with fewer inputs was indexed past its end, and one with an empty (absent) input name
        // was looked up as a constant named ''.
        string[] names = [.. bn.Inputs.Skip(1).Take(4)];
        if (names.Length != 4 || names.Any(string.IsNullOrEmpty))
        {
            throw new LightNetException(ErrorCode.InvalidModel, $"BatchNormalization node '{bn.Name}' has inputs [{string.Join(", ", bn.Inputs.Select(n => $"'{n}'"))}]; it needs 5 (X, scale, B, mean, var), none of them empty.");
        }

        float[][] p = [.. names.Select(name => state.Constants[name].AsFloats())];

        if (p.Any(v => v.Length != p[0].Length))
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"BatchNormalization node '{bn.Name}': scale, B, mean and var must each hold one value per channel; they hold {string.Join(", ", p.Select(v => v.Length))}.");
        }

        return BatchNormFold.Affine(p[0], p[1], p[2], p[3], bn.Source.GetFloat("epsilon", 1e-5f));
    }

    private static void ToChannelAffine(OptimizedNode bn, State state)
    {
        (float[] scale, float[] shift) = BatchNormAffine(bn, state);
        string s = state.NewConstant(bn.Name + "__scale", [scale.Length], scale);
        string b = state.NewConstant(bn.Name + "__shift", [shift.Length], shift);
        bn.OpType = "ChannelAffine";
        bn.Inputs = [bn.Inputs[0], s, b];
    }

    private static void FoldAffineIntoWeights(OptimizedNode node, float[] scale, float[] shift, State state)
    {
        ConstTensor w = state.Constants[node.Inputs[1]];
        float[] weights = (float[])w.AsFloats().Clone();
        int outChannels = (int)w.Dims[0];
        if (outChannels != scale.Length)
        {
            throw new LightNetException(ErrorCode.InvalidModel,
                $"BatchNormalization after '{node.Name}' has {scale.Length} channels but the weights have {outChannels}.");
        }

        float[]? existing = node.Inputs.Length > 2 && node.Inputs[2].Length > 0 ? state.Constants[node.Inputs[2]].AsFloats() : null;
        float[] bias = BatchNormFold.IntoWeights(weights, existing, scale, shift);

        string wn = state.NewConstant(node.Name + "__w_bn", w.Dims, weights);
        string bnm = state.NewConstant(node.Name + "__b_bn", [outChannels], bias);
        node.Inputs = [node.Inputs[0], wn, bnm];
    }

    /// <summary>Mutable state of the lowering pass.</summary>
    private sealed partial class State(Graph graph, long opset, Dictionary<string, InferredValue> values, string modelName)
    {
        private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal);
        private int _fresh;

        public Dictionary<string, ConstTensor> Constants { get; } = new(StringComparer.Ordinal);

        public List<OptimizedNode> Nodes { get; } = [];

        public List<string> Problems { get; } = [];

        public Dictionary<string, Node> PendingQuantize { get; } = new(StringComparer.Ordinal);

        /// <summary>Whether activations stay quantized (uint8 codes) between integer operators.</summary>
        public bool Integer { get; init; }

        /// <summary>The run-time values that hold uint8 codes, with their parameters.</summary>
        public Dictionary<string, QuantParams> Codes { get; } = new(StringComparer.Ordinal);

        /// <summary>Constants folded from a DequantizeLinear of integers: their scales and zero points along an axis (-1: per tensor).</summary>
        public Dictionary<string, WeightQuantization> Dequantized { get; } = new(StringComparer.Ordinal);

        public IReadOnlyCollection<string> GraphOutputNames { get; } = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        public IReadOnlyList<Node> Consumers(string value) => graph.Consumers(value);

        /// <summary>The inferred element type of a run-time value (Undefined when unknown).</summary>
        public TensorElementType TypeOf(string value) => values.TryGetValue(value, out InferredValue? v) ? v.Type : TensorElementType.Undefined;

        public string Resolve(string name)
        {
            while (_alias.TryGetValue(name, out string? target))
            {
                name = target;
            }

            return name;
        }

        public long[] Dims(string value) => Constants.TryGetValue(value, out ConstTensor? c) ? c.Dims
            : values.TryGetValue(value, out InferredValue? v) ? v.Dims
            : throw new LightNetException(ErrorCode.InvalidModel, $"Model '{modelName}': value '{value}' has no inferred shape.");

        public string NewConstant(string hint, long[] dims, float[] data)
        {
            string name;
            do
            {
                name = $"{hint}#{_fresh++}";
            }
            while (Constants.ContainsKey(name) || values.ContainsKey(name));

            Constants[name] = new ConstTensor(dims, data);
            return name;
        }

        private string Where(Node n) => $"{n.OpType} node '{(n.Name.Length > 0 ? n.Name : "#" + n.Index)}' (opset {opset})";

        public void Lower(Node n)
        {
            string[] inputs = n.Inputs.Select(i => i.Length == 0 ? "" : Resolve(i)).ToArray();
            string[] outputs = n.Outputs.ToArray();
            bool allConstant = inputs.All(i => i.Length == 0 || Constants.ContainsKey(i));

            if (n.OpType == "Constant")
            {
                Constants[outputs[0]] = ConstantValue(n);
                return;
            }

            // Integer values the shape inference computed exactly (Shape, Gather, Concat, Unsqueeze, ... chains).
            if (outputs.Length > 0 && outputs.All(o => o.Length == 0 || (values.TryGetValue(o, out InferredValue? v) && v.Constant is not null && !v.Type.IsFloatingPoint())))
            {
                foreach (string o in outputs.Where(o => o.Length > 0))
                {
                    Constants[o] = new ConstTensor(values[o].Dims, values[o].Constant!);
                }

                return;
            }

            if (n.OpType == "Dropout" && !IsInferenceDropout(n, inputs))
            {
                return;
            }

            if (allConstant && TryFold(n, inputs, outputs))
            {
                return;
            }

            switch (n.OpType)
            {
                case "Identity" or "Dropout":
                    _alias[outputs[0]] = inputs[0];
                    return;
                case "Shape" or "ConstantOfShape":
                    Problems.Add($"{Where(n)}: its result is not a static constant");
                    return;
                case "Cast":
                {
                    var to = (TensorElementType)n.GetInt("to", 0);
                    if (to is TensorElementType.Float or TensorElementType.Double)
                    {
                        _alias[outputs[0]] = inputs[0];
                    }
                    else if (to == TensorElementType.Float16)
                    {
                        Emit(n, "RoundToHalf", [inputs[0]], outputs);
                    }
                    else
                    {
                        Problems.Add($"{Where(n)}: attribute 'to' = {to} casts a run-time tensor to an integer type, which is not supported");
                    }

                    return;
                }

                case "QuantizeLinear" when Integer && ActivationParams(n, inputs) is { } p:
                    Emit(n, "Quantize", [inputs[0]], outputs).Quantized = new QuantizedInfo { Output = p };
                    Codes[outputs[0]] = p;
                    return;
                case "QuantizeLinear":
                    PendingQuantize[outputs[0]] = n;
                    CheckConstant(n, inputs, 1, 2);
                    return;
                case "DequantizeLinear" when Codes.TryGetValue(inputs[0], out QuantParams codes) && ActivationParams(n, inputs) == codes:
                    Emit(n, "Dequantize", [inputs[0]], outputs).Quantized = new QuantizedInfo { Inputs = [codes] };
                    return;
                case "DequantizeLinear":
                    if (PendingQuantize.TryGetValue(inputs[0], out Node? q))
                    {
                        EmitFakeQuant(n, q, inputs, outputs);
                    }
                    else
                    {
                        Problems.Add($"{Where(n)}: its input '{inputs[0]}' is neither a constant nor the output of a QuantizeLinear");
                    }

                    return;
                case "Gemm" or "MatMul":
                    LowerMatrix(n, inputs, outputs);
                    return;
                case "QLinearConv":
                    if (!LowerQLinearConv(n, inputs, outputs))
                    {
                        Problems.Add($"{Where(n)}: the compiled path runs QLinearConv only on codes from a QuantizeLinear or another integer operator, with constant weights, scales and zero points");
                    }

                    return;
                case "Relu" or "LeakyRelu" or "Sigmoid" or "HardSigmoid" or "HardSwish" or "Tanh" or "Clip":
                    if (ActivationOf(n, inputs) is { } act)
                    {
                        Emit(n, "Activation", [inputs[0]], outputs).Activation = act;
                    }

                    return;
                case "Conv" or "ConvTranspose":
                    CheckConstant(n, inputs, 1, 2);
                    break;
                case "BatchNormalization":
                    CheckConstant(n, inputs, 1, 2, 3, 4);
                    if (outputs.Skip(1).Any(o => o.Length > 0))
                    {
                        Problems.Add($"{Where(n)}: training-mode outputs (running mean/variance) are not supported");
                    }

                    outputs = [outputs[0]];
                    break;
                case "PRelu":
                    break;
                case "Pad":
                    CheckConstant(n, inputs, 1, 2, 3);
                    break;
                case "Resize":
                    CheckConstant(n, inputs, 1, 2, 3);
                    break;
                case "Slice" or "Split" or "ReduceMean" or "Squeeze" or "Unsqueeze" or "Reshape":
                    CheckConstant(n, inputs, 1, 2, 3, 4);
                    break;
                case "Gather":
                    CheckConstant(n, inputs, 1);
                    break;
            }

            foreach (string o in outputs.Where(o => o.Length > 0))
            {
                if (values.TryGetValue(o, out InferredValue? v) && !v.Type.IsFloatingPoint())
                {
                    Problems.Add($"{Where(n)}: output '{o}' is {v.Type} at run time; only float tensors are computed");
                }
            }

            Emit(n, s_views.Contains(n.OpType) ? "View" : n.OpType, inputs, outputs);
        }

        /// <summary>
        /// Dropout runs as the identity only in inference mode: from opset 12 its input 2, training_mode, must be
        /// absent or a constant false. Otherwise records the problem and returns false.
        /// </summary>
        private bool IsInferenceDropout(Node n, string[] inputs)
        {
            if (opset < 12 || inputs.Length < 3 || inputs[2].Length == 0)
            {
                return true;
            }

            if (!Constants.TryGetValue(inputs[2], out ConstTensor? mode))
            {
                Problems.Add($"{Where(n)}: input 2 'training_mode' ('{n.Inputs[2]}') is set at run time; only inference mode (absent or a constant false) is supported");
                return false;
            }

            if (mode.AsFloats().Any(v => v != 0))
            {
                Problems.Add($"{Where(n)}: input 2 'training_mode' ('{n.Inputs[2]}') is a constant true; training mode (random dropout and its mask) is not supported, only inference mode");
                return false;
            }

            return true;
        }

        private void CheckConstant(Node n, string[] inputs, params int[] indices)
        {
            foreach (int i in indices.Where(i => i < inputs.Length && inputs[i].Length > 0 && !Constants.ContainsKey(inputs[i])))
            {
                Problems.Add($"{Where(n)}: input {i} ('{n.Inputs[i]}') must be a constant");
            }
        }

        private OptimizedNode Emit(Node n, string op, string[] inputs, string[] outputs)
        {
            var node = new OptimizedNode(n, op, inputs, outputs);
            Nodes.Add(node);
            return node;
        }

        private Activation? ActivationOf(Node n, string[] inputs)
        {
            switch (n.OpType)
            {
                case "Relu": return Activation.Relu;
                case "Sigmoid": return new Activation(ActivationKind.Sigmoid);
                case "Tanh": return new Activation(ActivationKind.Tanh);
                case "HardSwish": return new Activation(ActivationKind.HardSwish);
                case "LeakyRelu": return new Activation(ActivationKind.LeakyRelu, n.GetFloat("alpha", 0.01f));
                case "HardSigmoid": return new Activation(ActivationKind.HardSigmoid, n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f));
                case "Clip":
                    if (opset < 11)
                    {
                        return Activation.Clip(n.GetFloat("min", float.MinValue), n.GetFloat("max", float.MaxValue));
                    }

                    float lo = float.MinValue, hi = float.MaxValue;
                    for (int i = 1; i <= 2 && i < inputs.Length; i++)
                    {
                        if (inputs[i].Length == 0)
                        {
                            continue;
                        }

                        if (!Constants.TryGetValue(inputs[i], out ConstTensor? c) || c.Count != 1)
                        {
                            Problems.Add($"{Where(n)}: input {i} ('{n.Inputs[i]}', the {(i == 1 ? "min" : "max")}) must be a scalar constant");
                            return null;
                        }

                        if (i == 1) lo = c.AsFloats()[0];
                        else hi = c.AsFloats()[0];
                    }

                    return Activation.Clip(lo, hi);
                default:
                    return null;
            }
        }

        private void LowerMatrix(Node n, string[] inputs, string[] outputs)
        {
            bool gemm = n.OpType == "Gemm";
            if (!Constants.TryGetValue(inputs[1], out ConstTensor? b) || b.Dims.Length != 2)
            {
                if (gemm)
                {
                    Problems.Add($"{Where(n)}: input 1 ('{n.Inputs[1]}') must be a constant 2-D matrix");
                    return;
                }

                Emit(n, "MatMul", inputs, outputs);
                return;
            }

            long[] aDims = Dims(inputs[0]);
            bool transB = gemm && n.GetInt("transB", 0) != 0;
            float alpha = gemm ? n.GetFloat("alpha", 1f) : 1f, beta = gemm ? n.GetFloat("beta", 1f) : 1f;
            int rowsB = (int)b.Dims[0], colsB = (int)b.Dims[1];
            int outF = transB ? rowsB : colsB, inF = transB ? colsB : rowsB;
            if (aDims.Length < 1 || aDims[^1] != inF)
            {
                Problems.Add($"{Where(n)}: input shape {Dimension.Format(aDims)} does not match weights {Dimension.Format(b.Dims)}");
                return;
            }

            float[] src = b.AsFloats();
            var w = new float[src.Length];
            for (int o = 0; o < outF; o++)
            {
                for (int k = 0; k < inF; k++)
                {
                    w[((long)o * inF) + k] = alpha * (transB ? src[((long)o * inF) + k] : src[((long)k * outF) + o]);
                }
            }

            var dense = new List<string> { inputs[0], NewConstant(Name(n) + "__w", [outF, inF], w) };
            if (alpha == 1f && Dequantized.TryGetValue(inputs[1], out WeightQuantization? wq) && (wq.Axis < 0 || wq.Axis == (transB ? 0 : 1)))
            {
                // The transposed weights keep their per-output-feature scales, now along axis 0.
                Dequantized[dense[1]] = wq with { Axis = wq.Axis < 0 ? -1 : 0 };
            }

            if (gemm && inputs.Length > 2 && inputs[2].Length > 0)
            {
                if (!Constants.TryGetValue(inputs[2], out ConstTensor? c) || (c.Count != 1 && c.Count != outF))
                {
                    Problems.Add($"{Where(n)}: input 2 ('{n.Inputs[2]}') must be a constant bias of 1 or {outF} values");
                    return;
                }

                float[] cv = c.AsFloats();
                var bias = new float[outF];
                for (int o = 0; o < outF; o++)
                {
                    bias[o] = beta * cv[c.Count == 1 ? 0 : o];
                }

                dense.Add(NewConstant(Name(n) + "__b", [outF], bias));
            }

            Emit(n, "Dense", dense.ToArray(), outputs);
        }

        private static string Name(Node n) => n.Name.Length > 0 ? n.Name : $"{n.OpType}_{n.Index}";

        private void EmitFakeQuant(Node dq, Node q, string[] dqInputs, string[] outputs)
        {
            string x = Resolve(q.Inputs[0]);
            string[] qIn = q.Inputs.Select(i => i.Length == 0 ? "" : Resolve(i)).ToArray();
            if (!Constants.ContainsKey(qIn[1]) || !Constants.ContainsKey(dqInputs[1])
                || (qIn.Length > 2 && qIn[2].Length > 0 && !Constants.ContainsKey(qIn[2]))
                || (dqInputs.Length > 2 && dqInputs[2].Length > 0 && !Constants.ContainsKey(dqInputs[2])))
            {
                Problems.Add($"{Where(dq)}: scales and zero points of a QuantizeLinear/DequantizeLinear pair must be constants");
                return;
            }

            long[] dims = Dims(x);
            TensorElementType type = values[q.Outputs[0]].Type;
            (long qmin, long qmax) = QuantRange(type);
            int axisQ = Axis(q, dims.Length), axisD = Axis(dq, dims.Length);
            int channels = dims.Length == 0 ? 1 : (int)dims[axisQ];
            float[] Expand(string name, int axis, float fallback)
            {
                if (name.Length == 0 || !Constants.TryGetValue(name, out ConstTensor? c))
                {
                    return Enumerable.Repeat(fallback, channels).ToArray();
                }

                float[] v = c.AsFloats();
                return v.Length == 1 ? Enumerable.Repeat(v[0], channels).ToArray()
                    : v.Length == channels && axis == axisQ ? v
                    : throw new LightNetException(ErrorCode.UnsupportedOperator,
                        $"{Where(dq)}: per-axis quantization parameters of length {v.Length} do not match axis {axis} of {Dimension.Format(dims)}");
            }

            float[] sq = Expand(qIn[1], axisQ, 1f), zq = Expand(qIn.Length > 2 ? qIn[2] : "", axisQ, 0f);
            float[] sd = Expand(dqInputs[1], axisD, 1f), zd = Expand(dqInputs.Length > 2 ? dqInputs[2] : "", axisD, 0f);
            bool perChannel = sq.Distinct().Count() > 1 || zq.Distinct().Count() > 1 || sd.Distinct().Count() > 1 || zd.Distinct().Count() > 1;
            if (!perChannel)
            {
                channels = 1;
                sq = [sq[0]];
                zq = [zq[0]];
                sd = [sd[0]];
                zd = [zd[0]];
            }

            OptimizedNode node = Emit(dq, "FakeQuant", [x], outputs);
            node.Fused.Add($"QuantizeLinear '{Name(q)}'");
            node.Parameters = [qmin, qmax, .. sq, .. zq, .. sd, .. zd];
            node.IntParameters = [perChannel ? axisQ : -1, channels];
        }

        private int Axis(Node n, int rank)
        {
            long axis = n.GetInt("axis", 1);
            return rank == 0 ? 0 : (int)(axis < 0 ? axis + rank : axis);
        }

        private static (long Min, long Max) QuantRange(TensorElementType type) => type switch
        {
            TensorElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            TensorElementType.UInt16 => (ushort.MinValue, ushort.MaxValue),
            TensorElementType.Int16 => (short.MinValue, short.MaxValue),
            TensorElementType.Int32 => (int.MinValue, int.MaxValue),
            _ => (byte.MinValue, byte.MaxValue),
        };

        private ConstTensor ConstantValue(Node n)
        {
            if (n.GetTensor("value") is { } t) return ConstTensor.FromTensor(t);
            if (n.Attributes.ContainsKey("value_float")) return new ConstTensor([], [n.GetFloat("value_float", 0)]);
            if (n.Attributes.ContainsKey("value_int")) return new ConstTensor([], [n.GetInt("value_int", 0)]);
            if (n.GetFloats("value_floats") is { } fs) return new ConstTensor([fs.Count], fs.ToArray());
            if (n.GetInts("value_ints") is { } ls) return new ConstTensor([ls.Count], ls.ToArray());
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"{Where(n)}: only value, value_float(s) and value_int(s) constants are supported");
        }

        /// <summary>Evaluates a node whose inputs are all constants; false when it must run instead.</summary>
        private bool TryFold(Node n, string[] inputs, string[] outputs)
        {
            ConstTensor In(int i) => Constants[inputs[i]];
            long[] OutDims(int i = 0) => values[outputs[i]].Dims;
            ConstTensor? result;
            switch (n.OpType)
            {
                case "Identity" or "Dropout":
                    result = In(0);
                    break;
                case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze":
                    result = In(0).Floats is { } f ? new ConstTensor(OutDims(), f) : new ConstTensor(OutDims(), In(0).Ints!);
                    break;
                case "Cast":
                {
                    var to = (TensorElementType)n.GetInt("to", 0);
                    ConstTensor x = In(0);
                    result = to switch
                    {
                        TensorElementType.Float or TensorElementType.Double => new ConstTensor(x.Dims, x.AsFloats()),
                        TensorElementType.Float16 => new ConstTensor(x.Dims, x.AsFloats().Select(v => (float)(Half)v).ToArray()),
                        _ when !to.IsFloatingPoint() => new ConstTensor(x.Dims, x.Floats is { } xf ? xf.Select(v => (long)v).ToArray() : x.Ints!),
                        _ => null,
                    };
                    break;
                }

                case "DequantizeLinear":
                    result = Dequantize(n, In(0), In(1), inputs.Length > 2 && inputs[2].Length > 0 ? In(2) : null);
                    if (In(0).Ints is not null)
                    {
                        float[] scales = In(1).AsFloats();
                        Dequantized[outputs[0]] = new WeightQuantization(scales, scales.Length == 1 ? -1 : Axis(n, In(0).Dims.Length));
                    }

                    break;
                case "QuantizeLinear":
                    result = Quantize(n, In(0), In(1), inputs.Length > 2 && inputs[2].Length > 0 ? In(2) : null, values[outputs[0]].Type);
                    break;
                case "Transpose":
                    result = Transpose(In(0), n.GetInts("perm"));
                    break;
                case "ConstantOfShape":
                {
                    ConstTensor fill = n.GetTensor("value") is { } v ? ConstTensor.FromTensor(v) : new ConstTensor([1], [0f]);
                    long count = Shapes.ElementCount(OutDims());
                    result = fill.Floats is { } ff
                        ? new ConstTensor(OutDims(), Enumerable.Repeat(ff[0], checked((int)count)).ToArray())
                        : new ConstTensor(OutDims(), Enumerable.Repeat(fill.Ints![0], checked((int)count)).ToArray());
                    break;
                }
                default:
                    result = null;
                    break;
            }

            if (result is null)
            {
                return false;
            }

            Constants[outputs[0]] = result;
            return true;
        }

        private ConstTensor Dequantize(Node n, ConstTensor x, ConstTensor scale, ConstTensor? zero)
        {
            float[] xs = x.AsFloats(), s = scale.AsFloats(), z = zero?.AsFloats() ?? new float[s.Length];
            (long outer, long channels, long inner) = AxisSplit(x.Dims, Axis(n, x.Dims.Length), s.Length);
            var y = new float[xs.Length];
            for (long i = 0; i < xs.Length; i++)
            {
                long c = s.Length == 1 ? 0 : i / inner % channels;
                y[i] = (xs[i] - z[c]) * s[c];
            }

            _ = outer;
            return new ConstTensor(x.Dims, y);
        }

        private ConstTensor Quantize(Node n, ConstTensor x, ConstTensor scale, ConstTensor? zero, TensorElementType type)
        {
            float[] xs = x.AsFloats(), s = scale.AsFloats(), z = zero?.AsFloats() ?? new float[s.Length];
            (_, long channels, long inner) = AxisSplit(x.Dims, Axis(n, x.Dims.Length), s.Length);
            (long qmin, long qmax) = QuantRange(type);
            var y = new long[xs.Length];
            for (long i = 0; i < xs.Length; i++)
            {
                long c = s.Length == 1 ? 0 : i / inner % channels;
                y[i] = Math.Clamp((long)MathF.Round(xs[i] / s[c], MidpointRounding.ToEven) + (long)z[c], qmin, qmax);
            }

            return new ConstTensor(x.Dims, y);
        }

        private static (long Outer, long Channels, long Inner) AxisSplit(long[] dims, int axis, int paramCount)
        {
            if (paramCount == 1 || dims.Length == 0)
            {
                return (1, 1, Math.Max(1, Shapes.ElementCount(dims)));
            }

            long inner = Shapes.ElementCount(dims.AsSpan(axis + 1));
            return (Shapes.ElementCount(dims.AsSpan(0, axis)), dims[axis], inner);
        }

        private static ConstTensor Transpose(ConstTensor x, IReadOnlyList<long>? perm)
        {
            int rank = x.Dims.Length;
            int[] p = perm?.Select(v => (int)v).ToArray() ?? Enumerable.Range(0, rank).Reverse().ToArray();
            long[] outDims = p.Select(a => x.Dims[a]).ToArray();
            long[] inStrides = new long[rank];
            long s = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                inStrides[d] = s;
                s *= x.Dims[d];
            }

            long count = x.Count;
            var src = x.AsFloats();
            var dst = new float[count];
            var idx = new long[rank];
            for (long i = 0; i < count; i++)
            {
                long off = 0;
                for (int d = 0; d < rank; d++)
                {
                    off += idx[d] * inStrides[p[d]];
                }

                dst[i] = src[off];
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++idx[d] < outDims[d]) break;
                    idx[d] = 0;
                }
            }

            return x.Ints is { } ? new ConstTensor(outDims, dst.Select(v => (long)v).ToArray()) : new ConstTensor(outDims, dst);
        }
    }
}

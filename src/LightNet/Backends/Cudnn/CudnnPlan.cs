using System.Globalization;
using LightNet.Backends.Cudnn.Native;
using LightNet.Engine;
using LightNet.Engine.Kernels;
using LightNet.Onnx;

namespace LightNet.Backends.Cudnn;

/// <summary>A device buffer of the plan: an activation (placed in the arena by liveness) or a constant (uploaded once).</summary>
internal sealed class PlanBuffer
{
    public PlanBuffer(string name, long elements, float[]? constant)
    {
        Name = name;
        Elements = elements;
        Constant = constant;
    }

    /// <summary>The value it holds (the first, for aliases).</summary>
    public string Name { get; }

    /// <summary>Size in elements.</summary>
    public long Elements { get; }

    /// <summary>The host values of a constant (FP32; converted to FP16 at upload for the FP16 plan); null for an activation.</summary>
    public float[]? Constant { get; }

    /// <summary>True for a constant.</summary>
    public bool IsConstant => Constant is not null;

    /// <summary>First step that writes it (-1: a graph input, written before the first step).</summary>
    public int First { get; set; } = int.MaxValue;

    /// <summary>Last step that reads it (int.MaxValue: a graph output, read after the last step).</summary>
    public int Last { get; set; } = -1;

    /// <summary>Byte offset in the arena (activations) or in the constant block (constants).</summary>
    public long ByteOffset { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Elements} elements{(IsConstant ? ", constant" : $", steps {First}..{Last}")}) @ {ByteOffset}";
}

/// <summary>A model input or output of the plan: where the caller's FP32 data goes to or comes from.</summary>
/// <param name="Boundary">The declared name, type and shape.</param>
/// <param name="Location">Its place in device memory.</param>
/// <param name="Elements">Element count.</param>
internal sealed record PlanBinding(GraphBoundary Boundary, DeviceRef Location, long Elements);

/// <summary>
/// The cuDNN lowering of an <see cref="OptimizedGraph"/>: for each node the cuDNN / cuBLAS / CUDA runtime calls it
/// makes, device buffers sized and placed once (activations share one arena by liveness; constants in one block),
/// and the input/output bindings. Pure data, built on the CPU: nothing here touches a GPU or loads a library.
/// Anything it cannot lower is refused with every problem listed (op, node, opset, reason).
/// </summary>
internal sealed class CudnnPlan
{
    /// <summary>Device memory alignment for every buffer.</summary>
    public const int Alignment = 256;

    private CudnnPlan(string modelName, bool fp16, IReadOnlyList<CudnnStep> steps, IReadOnlyList<PlanBuffer> buffers,
        IReadOnlyList<PlanBinding> inputs, IReadOnlyList<PlanBinding> outputs, long arenaBytes, long constantBytes)
    {
        ModelName = modelName;
        Fp16 = fp16;
        Steps = steps;
        Buffers = buffers;
        Inputs = inputs;
        Outputs = outputs;
        ArenaBytes = arenaBytes;
        ConstantBytes = constantBytes;
    }

    /// <summary>The model's graph name.</summary>
    public string ModelName { get; }

    /// <summary>True when tensors and weights are FP16 on the device.</summary>
    public bool Fp16 { get; }

    /// <summary>Bytes per element on the device.</summary>
    public int ElementSize => Fp16 ? 2 : 4;

    /// <summary>One step per node, in execution order.</summary>
    public IReadOnlyList<CudnnStep> Steps { get; }

    /// <summary>Every device buffer.</summary>
    public IReadOnlyList<PlanBuffer> Buffers { get; }

    /// <summary>Graph inputs.</summary>
    public IReadOnlyList<PlanBinding> Inputs { get; }

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<PlanBinding> Outputs { get; }

    /// <summary>Bytes of the activation arena.</summary>
    public long ArenaBytes { get; }

    /// <summary>Bytes of the constant block.</summary>
    public long ConstantBytes { get; }

    /// <summary>Every call of every step, in order.</summary>
    public IEnumerable<CudnnCall> Calls => Steps.SelectMany(s => s.Calls);

    /// <summary>Optimizes <paramref name="model"/> with the engine's <see cref="GraphOptimizer"/> and lowers it.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnsupportedOperator"/> listing every node it cannot lower.</exception>
    public static CudnnPlan Create(Model model, bool fp16, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        OptimizedGraph graph;
        try
        {
            graph = GraphOptimizer.Optimize(model, options.DimensionValues, target: "cudnn");
        }
        catch (LightNetException e) when (e.Code == ErrorCode.UnsupportedOperator)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"The cudnn backend compiles models with the managed engine's graph optimizer, which refused it: {e.Message}", e);
        }

        return Lower(graph, fp16);
    }

    /// <summary>Lowers an optimized graph.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnsupportedOperator"/> listing every node it cannot lower.</exception>
    public static CudnnPlan Lower(OptimizedGraph graph, bool fp16)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new Lowering(graph, fp16).Run();
    }

    /// <summary>One line per step, for logs and tests.</summary>
    public override string ToString() =>
        $"cuDNN plan for '{ModelName}' ({(Fp16 ? "FP16" : "FP32")}, arena {ArenaBytes} B, constants {ConstantBytes} B):" + Environment.NewLine +
        string.Join(Environment.NewLine, Steps);

    /// <summary>The lowering pass over one graph.</summary>
    private sealed class Lowering
    {
        private readonly OptimizedGraph _graph;
        private readonly bool _fp16;
        private readonly List<PlanBuffer> _buffers = [];
        private readonly Dictionary<string, DeviceRef> _refs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DeviceRef> _scalars = new(StringComparer.Ordinal);
        private readonly List<string> _problems = [];
        private readonly List<CudnnStep> _steps = [];
        private int _step;
        private int _scratch = -1;
        private long _scratchElements;

        public Lowering(OptimizedGraph graph, bool fp16)
        {
            _graph = graph;
            _fp16 = fp16;
        }

        public CudnnPlan Run()
        {
            foreach (GraphBoundary input in _graph.Inputs)
            {
                Define(input.Value, Shapes.ElementCount(input.Dims)).First = -1;
            }

            for (_step = 0; _step < _graph.Nodes.Count; _step++)
            {
                OptimizedNode node = _graph.Nodes[_step];
                try
                {
                    _steps.Add(new CudnnStep(node.Name, node.OpType, LowerNode(node)));
                }
                catch (Exception e) when (e is NotLowerable or LightNetException)
                {
                    _problems.Add($"{node.OpType} node '{node.Name}' (opset {_graph.Opset}): {e.Message}");
                    // Stand-in outputs, so that the nodes after it are still checked (every problem is listed, not just the first).
                    foreach (string o in node.Outputs.Where(o => o.Length > 0 && !_refs.ContainsKey(o) && _graph.Shapes.ContainsKey(o)))
                    {
                        Define(o, Elements(o));
                    }
                }
            }

            if (_problems.Count > 0)
            {
                throw new LightNetException(ErrorCode.UnsupportedOperator,
                    $"The cudnn backend cannot run '{_graph.Name}' ({_problems.Count} problem{(_problems.Count == 1 ? "" : "s")}):" +
                    Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", _problems));
            }

            var inputs = _graph.Inputs.Select(i => new PlanBinding(i, _refs[i.Value], Shapes.ElementCount(i.Dims))).ToArray();
            var outputs = _graph.Outputs.Select(o => new PlanBinding(o, Use(o.Value, int.MaxValue), Shapes.ElementCount(o.Dims))).ToArray();
            foreach (PlanBuffer b in _buffers.Where(b => !b.IsConstant))
            {
                // A value nobody reads is still written at its step.
                b.Last = Math.Max(b.Last, b.First);
            }

            if (_scratch >= 0)
            {
                _buffers[_scratch] = new PlanBuffer("#scratch", _scratchElements, null) { First = -1, Last = int.MaxValue };
            }

            int elementSize = _fp16 ? 2 : 4;
            long arena = PlaceActivations(_buffers.Where(b => !b.IsConstant).ToList(), elementSize);
            long constants = 0;
            foreach (PlanBuffer b in _buffers.Where(b => b.IsConstant))
            {
                b.ByteOffset = constants;
                constants += Align(b.Elements * elementSize);
            }

            return new CudnnPlan(_graph.Name, _fp16, _steps, _buffers, inputs, outputs, arena, constants);
        }

        /// <summary>Greedy placement by size (largest first) at the lowest offset free during the buffer's lifetime.</summary>
        private static long PlaceActivations(List<PlanBuffer> buffers, int elementSize)
        {
            var placed = new List<PlanBuffer>();
            long total = 0;
            foreach (PlanBuffer b in buffers.OrderByDescending(b => b.Elements).ThenBy(b => b.First))
            {
                long size = Align(b.Elements * elementSize);
                long offset = 0;
                foreach (PlanBuffer p in placed.Where(p => p.First <= b.Last && b.First <= p.Last).OrderBy(p => p.ByteOffset))
                {
                    if (offset + size <= p.ByteOffset)
                    {
                        break;
                    }

                    offset = Math.Max(offset, p.ByteOffset + Align(p.Elements * elementSize));
                }

                b.ByteOffset = offset;
                placed.Add(b);
                total = Math.Max(total, offset + size);
            }

            return total;
        }

        private static long Align(long bytes) => Math.Max(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);

        private PlanBuffer Define(string value, long elements)
        {
            var buffer = new PlanBuffer(value, elements, null) { First = _step };
            _buffers.Add(buffer);
            _refs[value] = new DeviceRef(_buffers.Count - 1);
            return buffer;
        }

        /// <summary>The output's place, allocated at this step.</summary>
        private DeviceRef Out(string value) => _refs.TryGetValue(value, out DeviceRef r) ? r : Use(value, _step, Define(value, Elements(value)));

        private DeviceRef Use(string value, int step, PlanBuffer? justDefined = null)
        {
            if (justDefined is not null)
            {
                return _refs[value];
            }

            if (!_refs.TryGetValue(value, out DeviceRef r))
            {
                if (!_graph.Constants.TryGetValue(value, out ConstTensor? c))
                {
                    throw new NotLowerable($"input '{value}' is neither produced by an earlier node, a graph input nor a constant");
                }

                r = AddConstant(value, c.AsFloats());
            }

            PlanBuffer b = _buffers[r.Buffer];
            if (!b.IsConstant)
            {
                b.Last = Math.Max(b.Last, step);
            }

            return r;
        }

        private DeviceRef In(string value) => Use(value, _step);

        private DeviceRef AddConstant(string name, float[] values)
        {
            _buffers.Add(new PlanBuffer(name, values.Length, values));
            var r = new DeviceRef(_buffers.Count - 1);
            _refs[name] = r;
            return r;
        }

        private DeviceRef Scalar(float value)
        {
            string key = value.ToString("R", CultureInfo.InvariantCulture);
            if (!_scalars.TryGetValue(key, out DeviceRef r))
            {
                r = AddConstant("#scalar " + key, [value]);
                _scalars[key] = r;
            }

            return r;
        }

        private DeviceRef Scratch(long elements)
        {
            if (_scratch < 0)
            {
                _buffers.Add(new PlanBuffer("#scratch", 0, null));
                _scratch = _buffers.Count - 1;
            }

            _scratchElements = Math.Max(_scratchElements, elements);
            return new DeviceRef(_scratch);
        }

        private long[] Dims(string value) =>
            _graph.Constants.TryGetValue(value, out ConstTensor? c) ? c.Dims : _graph.Dims(value);

        private long Elements(string value) => Shapes.ElementCount(Dims(value));

        private ConstTensor Const(OptimizedNode n, int input, string what) =>
            input < n.Inputs.Length && n.Inputs[input].Length > 0 && _graph.Constants.TryGetValue(n.Inputs[input], out ConstTensor? c)
                ? c
                : throw new NotLowerable($"{what} (input {input}) must be a constant");

        private List<CudnnCall> LowerNode(OptimizedNode n)
        {
            var calls = new List<CudnnCall>();
            switch (n.OpType)
            {
                case "View" or "Identity" or "Dropout" or "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze":
                    Alias(n);
                    return calls;
                case "Conv":
                    LowerConv(n, calls);
                    break;
                case "Dense":
                    LowerDense(n, calls);
                    break;
                case "Activation":
                {
                    DeviceRef x = In(n.Inputs[0]);
                    ActivationCalls(calls, n.Activation, x, Out(n.Outputs[0]), Dims(n.Outputs[0]));
                    return calls;
                }

                case "Add" or "Sub" or "Mul" or "Div":
                    LowerBinary(n, calls);
                    break;
                case "Sum" when n.Inputs.Length == 2:
                    LowerBinary(n, calls);
                    break;
                case "MaxPool" or "AveragePool":
                    LowerPool(n, calls);
                    break;
                case "GlobalAveragePool" or "GlobalMaxPool":
                    LowerGlobalPool(n, calls);
                    break;
                case "ReduceMean":
                    LowerReduceMean(n, calls);
                    break;
                case "Concat":
                    LowerConcat(n, calls);
                    break;
                case "Split":
                    LowerSplit(n, calls);
                    break;
                case "Transpose":
                    LowerTranspose(n, calls);
                    break;
                case "Softmax" or "LogSoftmax":
                    LowerSoftmax(n, calls);
                    break;
                case "LRN":
                    LowerLrn(n, calls);
                    break;
                case "ChannelAffine":
                    LowerChannelAffine(n, calls);
                    break;
                case "Resize":
                    LowerResize(n, calls);
                    break;
                default:
                    throw new NotLowerable($"operator '{n.OpType}' has no cuDNN lowering");
            }

            if (n.OpType is not ("Conv" or "Dense") && !n.Activation.IsNone)
            {
                DeviceRef y = _refs[n.Outputs[0]];
                ActivationCalls(calls, n.Activation, y, y, Dims(n.Outputs[0]));
            }

            return calls;
        }

        private void Alias(OptimizedNode n)
        {
            DeviceRef x = In(n.Inputs[0]);
            if (_buffers[x.Buffer].IsConstant)
            {
                throw new NotLowerable("a view of a constant should have been folded by the optimizer");
            }

            _refs[n.Outputs[0]] = x;
        }

        private void LowerConv(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]), yd = Dims(n.Outputs[0]);
            ConstTensor w = Const(n, 1, "the weight");
            if (xd.Length != 4 || w.Dims.Length != 4)
            {
                throw new NotLowerable($"only 2-D convolutions are lowered (input {Dimension.Format(xd)}, weight {Dimension.Format(w.Dims)})");
            }

            Node s = n.Source;
            int groups = (int)s.GetInt("group", 1);
            int[] strides = Ints(s.GetInts("strides"), 2, 1);
            int[] dilations = Ints(s.GetInts("dilations"), 2, 1);
            int kh = (int)w.Dims[2], kw = (int)w.Dims[3];
            int padH = BeginPad(s, 0, (int)xd[2], (int)yd[2], kh, strides[0], dilations[0]);
            int padW = BeginPad(s, 1, (int)xd[3], (int)yd[3], kw, strides[1], dilations[1]);
            // cuDNN pads symmetrically: the begin pad must give ONNX's output size (zero padding past the end is never read then).
            for (int a = 0; a < 2; a++)
            {
                (int size, int k, int pad, int stride, int dil, long expected) = a == 0
                    ? ((int)xd[2], kh, padH, strides[0], dilations[0], yd[2])
                    : ((int)xd[3], kw, padW, strides[1], dilations[1], yd[3]);
                long cudnnOut = ((size + (2L * pad) - (((long)dil * (k - 1)) + 1)) / stride) + 1;
                if (cudnnOut != expected)
                {
                    throw new NotLowerable($"attribute 'pads' is asymmetric in a way cuDNN's symmetric padding cannot express " +
                        $"({(a == 0 ? "height" : "width")}: {expected} outputs expected, {cudnnOut} with pad {pad})");
                }
            }

            DeviceRef x = In(n.Inputs[0]);
            DeviceRef wr = In(n.Inputs[1]);
            DeviceRef? bias = n.Inputs.Length > 2 && n.Inputs[2].Length > 0 ? In(n.Inputs[2]) : null;
            DeviceRef? residual = n.Residual is null ? null : In(n.Residual);
            DeviceRef y = Out(n.Outputs[0]);
            var xl = TensorLayout.Packed(xd);
            var yl = TensorLayout.Packed(yd);
            int[] filter = w.Dims.Select(d => (int)d).ToArray();
            int cout = (int)yd[1];
            if (n.Activation.Kind == ActivationKind.Relu)
            {
                bias ??= AddConstant($"{n.Name}#zero-bias", new float[cout]);
                calls.Add(new ConvCall(x, xl, wr, filter, y, yl, padH, padW, strides[0], strides[1], dilations[0], dilations[1], groups,
                    Fused: true, bias, residual, Beta: 0f));
                return;
            }

            if (residual is DeviceRef z)
            {
                calls.Add(Copy(y, z, Shapes.ElementCount(yd)));
            }

            calls.Add(new ConvCall(x, xl, wr, filter, y, yl, padH, padW, strides[0], strides[1], dilations[0], dilations[1], groups,
                Fused: false, null, null, Beta: residual is null ? 0f : 1f));
            if (bias is DeviceRef b)
            {
                calls.Add(new AddTensorCall(b, TensorLayout.Packed([1, cout, 1, 1]), y, yl, 1f, 1f));
            }

            ActivationCalls(calls, n.Activation, y, y, yd);
        }

        private static int BeginPad(Node s, int axis, int size, int outSize, int k, int stride, int dilation)
        {
            string autoPad = s.GetString("auto_pad", "NOTSET");
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                long total = Math.Max(0, ((long)(outSize - 1) * stride) + ((long)dilation * (k - 1)) + 1 - size);
                return (int)(autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2));
            }

            IReadOnlyList<long>? pads = s.GetInts("pads");
            return pads is null || pads.Count < 4 ? 0 : (int)pads[axis];
        }

        private static int[] Ints(IReadOnlyList<long>? values, int count, int fallback) =>
            values is null || values.Count == 0 ? Enumerable.Repeat(fallback, count).ToArray() : values.Select(v => checked((int)v)).ToArray();

        /// <summary>
        /// y[rows, outF] = x[rows, inF] · Wᵀ + bias (+ residual), then the activation. Row-major y is column-major yᵀ, so
        /// cuBLAS computes yᵀ = W · xᵀ: op(A) = Wᵀ of the column-major view of row-major W [outF, inF].
        /// </summary>
        private void LowerDense(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]), yd = Dims(n.Outputs[0]);
            ConstTensor w = Const(n, 1, "the weight");
            if (w.Dims.Length != 2)
            {
                throw new NotLowerable($"the weight must be 2-D, not {Dimension.Format(w.Dims)}");
            }

            int outF = (int)w.Dims[0], inF = (int)w.Dims[1];
            long rows = Shapes.ElementCount(xd) / inF;
            if (rows * inF != Shapes.ElementCount(xd) || Shapes.ElementCount(yd) != rows * outF)
            {
                throw new NotLowerable($"input {Dimension.Format(xd)} and output {Dimension.Format(yd)} do not match weight {Dimension.Format(w.Dims)}");
            }

            DeviceRef x = In(n.Inputs[0]);
            DeviceRef wr = In(n.Inputs[1]);
            DeviceRef? bias = n.Inputs.Length > 2 && n.Inputs[2].Length > 0 ? In(n.Inputs[2]) : null;
            DeviceRef? residual = n.Residual is null ? null : In(n.Residual);
            DeviceRef y = Out(n.Outputs[0]);
            if (residual is DeviceRef z)
            {
                calls.Add(Copy(y, z, rows * outF));
            }

            calls.Add(new GemmCall(TransA: true, TransB: false, M: outF, N: checked((int)rows), K: inF, A: wr, Lda: inF, B: x, Ldb: inF,
                C: y, Ldc: outF, Alpha: 1f, Beta: residual is null ? 0f : 1f, Fp16: _fp16));
            var yl = TensorLayout.Packed([rows, outF]);
            if (bias is DeviceRef b)
            {
                calls.Add(new AddTensorCall(b, TensorLayout.Packed([1, outF]), y, yl, 1f, 1f));
            }

            ActivationCalls(calls, n.Activation, y, y, [rows, outF]);
        }

        /// <summary>Calls computing y = act(x) elementwise; x and y may be the same place.</summary>
        private void ActivationCalls(List<CudnnCall> calls, Activation act, DeviceRef x, DeviceRef y, long[] dims)
        {
            var l = TensorLayout.Packed(dims);
            int[] ones = Enumerable.Repeat(1, l.Dims.Length).ToArray();
            var one = new TensorLayout(ones, ones);
            // The optimizer writes an unbounded Clip side as ±float.MaxValue.
            if (act.Kind == ActivationKind.Clip)
            {
                act = Activation.Clip(act.Alpha <= float.MinValue ? float.NegativeInfinity : act.Alpha,
                    act.Beta >= float.MaxValue ? float.PositiveInfinity : act.Beta);
            }

            long count = Shapes.ElementCount(dims);
            switch (act.Kind)
            {
                case ActivationKind.None:
                    if (x != y)
                    {
                        calls.Add(Copy(y, x, count));
                    }

                    break;
                case ActivationKind.Relu:
                    calls.Add(new ActivationCall(CudnnActivationMode.Relu, 0, x, y, l));
                    break;
                case ActivationKind.Sigmoid:
                    calls.Add(new ActivationCall(CudnnActivationMode.Sigmoid, 0, x, y, l));
                    break;
                case ActivationKind.Tanh:
                    calls.Add(new ActivationCall(CudnnActivationMode.Tanh, 0, x, y, l));
                    break;
                case ActivationKind.Clip when act.Alpha == 0f && float.IsPositiveInfinity(act.Beta):
                    calls.Add(new ActivationCall(CudnnActivationMode.Relu, 0, x, y, l));
                    break;
                case ActivationKind.Clip when act.Alpha == 0f:
                    calls.Add(new ActivationCall(CudnnActivationMode.ClippedRelu, act.Beta, x, y, l));
                    break;
                case ActivationKind.Clip:
                {
                    DeviceRef from = x;
                    if (!float.IsNegativeInfinity(act.Alpha))
                    {
                        calls.Add(new OpTensorCall(CudnnOpTensorOp.Max, x, l, 1f, Scalar(act.Alpha), one, 1f, y, l, 0f));
                        from = y;
                    }

                    if (!float.IsPositiveInfinity(act.Beta))
                    {
                        calls.Add(new OpTensorCall(CudnnOpTensorOp.Min, from, l, 1f, Scalar(act.Beta), one, 1f, y, l, 0f));
                    }
                    else if (from != y)
                    {
                        calls.Add(Copy(y, x, count));
                    }

                    break;
                }

                case ActivationKind.LeakyRelu when act.Alpha is >= 0f and <= 1f:
                {
                    // max(x, a·x); A and B read one copy so that the output never aliases an operand but A.
                    DeviceRef source = x;
                    if (x == y)
                    {
                        source = Scratch(count);
                        calls.Add(Copy(source, x, count));
                    }

                    calls.Add(new OpTensorCall(CudnnOpTensorOp.Max, source, l, 1f, source, l, act.Alpha, y, l, 0f));
                    break;
                }

                case ActivationKind.HardSigmoid:
                    // clamp(a·x + b, 0, 1): op-tensor add of a broadcast scalar, then clipped ReLU at 1.
                    calls.Add(new OpTensorCall(CudnnOpTensorOp.Add, x, l, act.Alpha, Scalar(1f), one, act.Beta, y, l, 0f));
                    calls.Add(new ActivationCall(CudnnActivationMode.ClippedRelu, 1, y, y, l));
                    break;
                case ActivationKind.HardSwish:
                {
                    DeviceRef gate = Scratch(count);
                    calls.Add(new OpTensorCall(CudnnOpTensorOp.Add, x, l, 1f / 6f, Scalar(1f), one, 0.5f, gate, l, 0f));
                    calls.Add(new ActivationCall(CudnnActivationMode.ClippedRelu, 1, gate, gate, l));
                    calls.Add(new OpTensorCall(CudnnOpTensorOp.Mul, x, l, 1f, gate, l, 1f, y, l, 0f));
                    break;
                }

                default:
                    throw new NotLowerable($"activation {act.Kind} (alpha {act.Alpha}) has no cuDNN lowering");
            }
        }

        private void LowerBinary(OptimizedNode n, List<CudnnCall> calls)
        {
            string op = n.OpType == "Sum" ? "Add" : n.OpType;
            long[] ad = Dims(n.Inputs[0]), bd = Dims(n.Inputs[1]), yd = Dims(n.Outputs[0]);
            if (yd.Length > 5)
            {
                throw new NotLowerable($"op-tensor takes at most 5 dimensions, not {Dimension.Format(yd)}");
            }

            DeviceRef a = In(n.Inputs[0]);
            DeviceRef b = In(n.Inputs[1]);
            DeviceRef y = Out(n.Outputs[0]);
            float alphaA = 1f, alphaB = 1f;
            if (op == "Div")
            {
                if (!_graph.Constants.TryGetValue(n.Inputs[1], out ConstTensor? divisor))
                {
                    throw new NotLowerable("Div by a computed tensor has no cuDNN lowering (only by a constant)");
                }

                b = AddConstant($"{n.Name}#reciprocal", divisor.AsFloats().Select(v => 1f / v).ToArray());
                op = "Mul";
            }

            if (op == "Sub")
            {
                alphaB = -1f;
            }

            bool aFull = SameShape(ad, yd), bFull = SameShape(bd, yd);
            if (!aFull && bFull)
            {
                (a, b, ad, bd, alphaA, alphaB) = (b, a, bd, ad, alphaB, alphaA);
            }
            else if (!aFull)
            {
                throw new NotLowerable($"both operands {Dimension.Format(ad)} and {Dimension.Format(bd)} broadcast to {Dimension.Format(yd)}; op-tensor broadcasts one");
            }

            int rank = Math.Max(4, yd.Length);
            calls.Add(new OpTensorCall(op == "Mul" ? CudnnOpTensorOp.Mul : CudnnOpTensorOp.Add,
                a, TensorLayout.Packed(ad, rank), alphaA, b, TensorLayout.Packed(bd, rank), alphaB, y, TensorLayout.Packed(yd, rank), 0f));
        }

        private static bool SameShape(long[] a, long[] b) =>
            Shapes.ElementCount(a) == Shapes.ElementCount(b) && a.SkipWhile(d => d == 1).SequenceEqual(b.SkipWhile(d => d == 1));

        private void LowerPool(OptimizedNode n, List<CudnnCall> calls)
        {
            if (n.Outputs.Length > 1 && n.Outputs[1].Length > 0)
            {
                throw new NotLowerable("the Indices output of MaxPool has no cuDNN lowering");
            }

            long[] xd = Dims(n.Inputs[0]), yd = Dims(n.Outputs[0]);
            Node s = n.Source;
            int[] kernel = Ints(s.GetInts("kernel_shape"), 2, 1);
            if (xd.Length != 4 || kernel.Length != 2)
            {
                throw new NotLowerable($"only 2-D pooling is lowered (input {Dimension.Format(xd)})");
            }

            int[] strides = Ints(s.GetInts("strides"), 2, 1);
            if (Ints(s.GetInts("dilations"), 2, 1).Any(d => d != 1))
            {
                throw new NotLowerable("attribute 'dilations' other than 1 has no cuDNN pooling equivalent");
            }

            int padH = BeginPad(s, 0, (int)xd[2], (int)yd[2], kernel[0], strides[0], 1);
            int padW = BeginPad(s, 1, (int)xd[3], (int)yd[3], kernel[1], strides[1], 1);
            CudnnPoolingMode mode = n.OpType == "MaxPool" ? CudnnPoolingMode.Max
                : s.GetInt("count_include_pad", 0) != 0 ? CudnnPoolingMode.AverageCountIncludePadding : CudnnPoolingMode.AverageCountExcludePadding;
            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new PoolingCall(mode, kernel[0], kernel[1], padH, padW, strides[0], strides[1],
                x, TensorLayout.Packed(xd), Out(n.Outputs[0]), TensorLayout.Packed(yd)));
        }

        private void LowerGlobalPool(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            if (xd.Length != 4)
            {
                throw new NotLowerable($"only 4-D input is lowered, not {Dimension.Format(xd)}");
            }

            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new PoolingCall(n.OpType == "GlobalMaxPool" ? CudnnPoolingMode.Max : CudnnPoolingMode.AverageCountIncludePadding,
                (int)xd[2], (int)xd[3], 0, 0, 1, 1, x, TensorLayout.Packed(xd), Out(n.Outputs[0]), TensorLayout.Packed([xd[0], xd[1], 1, 1])));
        }

        private void LowerReduceMean(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            long[]? axes = n.Source.GetInts("axes")?.ToArray()
                ?? (n.Inputs.Length > 1 && n.Inputs[1].Length > 0 ? Const(n, 1, "axes").AsInts() : null);
            if (xd.Length != 4 || axes is null || axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([2L, 3L]) is false)
            {
                throw new NotLowerable("only ReduceMean over the spatial axes (2, 3) of a 4-D tensor is lowered");
            }

            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new PoolingCall(CudnnPoolingMode.AverageCountIncludePadding, (int)xd[2], (int)xd[3], 0, 0, 1, 1,
                x, TensorLayout.Packed(xd), Out(n.Outputs[0]), TensorLayout.Packed([xd[0], xd[1], 1, 1])));
        }

        private int Axis(OptimizedNode n, long fallback, int rank)
        {
            long axis = n.Source.GetInt("axis", fallback);
            return (int)(axis < 0 ? axis + rank : axis);
        }

        private void LowerConcat(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] yd = Dims(n.Outputs[0]);
            int axis = Axis(n, 0, yd.Length);
            long outer = Shapes.ElementCount(yd.AsSpan(0, axis));
            long innerOut = Shapes.ElementCount(yd.AsSpan(axis));
            DeviceRef[] sources = n.Inputs.Select(In).ToArray();
            DeviceRef y = Out(n.Outputs[0]);
            long offset = 0;
            for (int i = 0; i < sources.Length; i++)
            {
                long inner = Shapes.ElementCount(Dims(n.Inputs[i]).AsSpan(axis));
                calls.Add(new CopyCall(y.At(offset), innerOut, sources[i], inner, inner, outer));
                offset += inner;
            }
        }

        private void LowerSplit(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            int axis = Axis(n, 0, xd.Length);
            long outer = Shapes.ElementCount(xd.AsSpan(0, axis));
            long innerIn = Shapes.ElementCount(xd.AsSpan(axis));
            DeviceRef x = In(n.Inputs[0]);
            long offset = 0;
            foreach (string output in n.Outputs.Where(o => o.Length > 0))
            {
                long inner = Shapes.ElementCount(Dims(output).AsSpan(axis));
                calls.Add(new CopyCall(Out(output), inner, x.At(offset), innerIn, inner, outer));
                offset += inner;
            }
        }

        private void LowerTranspose(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]), yd = Dims(n.Outputs[0]);
            int rank = xd.Length;
            int[] perm = n.Source.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, rank).Reverse().ToArray();
            if (rank > 8)
            {
                throw new NotLowerable($"transform-tensor takes at most 8 dimensions, not {rank}");
            }

            int[] xStrides = TensorLayout.PackedStrides(xd.Select(d => (int)d).ToArray());
            int pad = Math.Max(0, 4 - rank);
            long total = Shapes.ElementCount(xd);
            int[] dims = Enumerable.Repeat(1, pad).Concat(yd.Select(d => (int)d)).ToArray();
            int[] strides = Enumerable.Repeat(checked((int)total), pad).Concat(perm.Select(p => xStrides[p])).ToArray();
            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new TransformCall(x, new TensorLayout(dims, strides), Out(n.Outputs[0]), TensorLayout.Packed(yd)));
        }

        private void LowerSoftmax(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            int axis = Axis(n, _graph.Opset >= 13 ? -1 : 1, xd.Length);
            long outer = Shapes.ElementCount(xd.AsSpan(0, axis));
            TensorLayout layout = _graph.Opset >= 13
                ? TensorLayout.Packed([outer, xd[axis], Shapes.ElementCount(xd.AsSpan(axis + 1)), 1])
                : TensorLayout.Packed([outer, Shapes.ElementCount(xd.AsSpan(axis)), 1, 1]);
            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new SoftmaxCall(n.OpType == "LogSoftmax", x, Out(n.Outputs[0]), layout));
        }

        private void LowerLrn(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            Node s = n.Source;
            int size = (int)s.GetInt("size", 0);
            double alpha = s.GetFloat("alpha", 1e-4f), beta = s.GetFloat("beta", 0.75f), k = s.GetFloat("bias", 1f);
            if (xd.Length != 4 || size is < 1 or > 16 || k < 1e-5 || beta < 0.01)
            {
                throw new NotLowerable($"cuDNN LRN needs a 4-D input, size 1 to 16, bias ≥ 1e-5 and beta ≥ 0.01 (got {Dimension.Format(xd)}, size {size}, bias {k}, beta {beta})");
            }

            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new LrnCall(size, alpha, beta, k, x, Out(n.Outputs[0]), TensorLayout.Packed(xd)));
        }

        /// <summary>y = x·scale[c] + shift[c] (a BatchNormalization the optimizer could not fold into a Conv): two op-tensor calls.</summary>
        private void LowerChannelAffine(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]);
            if (xd.Length < 2)
            {
                throw new NotLowerable($"input {Dimension.Format(xd)} has no channel axis");
            }

            long[] cd = new long[xd.Length];
            Array.Fill(cd, 1L);
            cd[1] = xd[1];
            int rank = Math.Max(4, xd.Length);
            DeviceRef x = In(n.Inputs[0]);
            DeviceRef scale = In(n.Inputs[1]);
            DeviceRef shift = In(n.Inputs[2]);
            DeviceRef y = Out(n.Outputs[0]);
            var l = TensorLayout.Packed(xd, rank);
            var c = TensorLayout.Packed(cd, rank);
            calls.Add(new OpTensorCall(CudnnOpTensorOp.Mul, x, l, 1f, scale, c, 1f, y, l, 0f));
            calls.Add(new OpTensorCall(CudnnOpTensorOp.Add, y, l, 1f, shift, c, 1f, y, l, 0f));
        }

        /// <summary>Nearest upsampling by integer factors: add-tensor broadcasting x [NC, h, 1, w, 1] over y [NC, h, fh, w, fw].</summary>
        private void LowerResize(OptimizedNode n, List<CudnnCall> calls)
        {
            long[] xd = Dims(n.Inputs[0]), yd = Dims(n.Outputs[0]);
            Node s = n.Source;
            string mode = s.GetString("mode", "nearest");
            string transform = s.GetString("coordinate_transformation_mode", "half_pixel");
            string nearest = s.GetString("nearest_mode", "round_prefer_floor");
            if (mode != "nearest" || transform != "asymmetric" || nearest != "floor")
            {
                throw new NotLowerable($"only nearest upsampling with coordinate_transformation_mode 'asymmetric' and nearest_mode 'floor' is lowered " +
                    $"(got mode '{mode}', '{transform}', '{nearest}')");
            }

            if (xd.Length != 4 || yd[0] != xd[0] || yd[1] != xd[1] || yd[2] % xd[2] != 0 || yd[3] % xd[3] != 0)
            {
                throw new NotLowerable($"only integer spatial upsampling of a 4-D tensor is lowered ({Dimension.Format(xd)} -> {Dimension.Format(yd)})");
            }

            long fh = yd[2] / xd[2], fw = yd[3] / xd[3];
            DeviceRef x = In(n.Inputs[0]);
            calls.Add(new AddTensorCall(x, TensorLayout.Packed([xd[0] * xd[1], xd[2], 1, xd[3], 1], 5), Out(n.Outputs[0]),
                TensorLayout.Packed([xd[0] * xd[1], xd[2], fh, xd[3], fw], 5), 1f, 0f));
        }

        private static CopyCall Copy(DeviceRef destination, DeviceRef source, long elements) =>
            new(destination, elements, source, elements, elements, 1);
    }

    /// <summary>A node the lowering cannot express; collected, then reported together.</summary>
    private sealed class NotLowerable(string message) : Exception(message);
}

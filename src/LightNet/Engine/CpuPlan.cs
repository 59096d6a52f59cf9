using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LightNet.Engine.Kernels;
using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>
/// An <see cref="OptimizedGraph"/> compiled for the CPU: one prepared kernel step per node, every value at a
/// fixed offset of one 64-byte-aligned arena (<see cref="MemoryPlan"/>), one scratch block shared by all steps
/// and a persistent <see cref="WorkerPool"/>. <see cref="Execute"/> allocates nothing; it is not reentrant (the
/// session serialises calls).
/// </summary>
internal sealed unsafe class CpuPlan : IDisposable
{
    private readonly List<nint> _blocks = [];
    private readonly PlanStep[] _steps;
    private readonly WorkerPool _pool;
    private readonly byte* _arena;
    private readonly byte* _scratch;
    private bool _disposed;

    /// <param name="graph">The optimized graph.</param>
    /// <param name="isa">The instruction set of the kernels.</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="spinMicroseconds">How long an idle worker spins.</param>
    /// <param name="checkMemory">Called with the bytes the plan needs (arena plus constants) before any is allocated;
    /// throws to refuse the plan (the session's memory budget).</param>
    /// <param name="fuseDepthwisePointwise">Whether depthwise → 1×1 pairs run as one step (<see cref="ConvDepthwisePointwise"/>);
    /// false keeps a step per node (per-operator profiles).</param>
    /// <param name="blockedLayout">Whether values may be kept channel-blocked where the ISA plans so (<see cref="BlockedLayout"/>);
    /// false keeps every value planar (the backend's <c>layout=planar</c>).</param>
    public CpuPlan(OptimizedGraph graph, Isa isa, int threads, int spinMicroseconds = WorkerPool.DefaultSpinMicroseconds, Action<long>? checkMemory = null,
        bool fuseDepthwisePointwise = true, bool blockedLayout = true)
    {
        Graph = graph;
        GraphInputs = graph.Inputs;
        GraphOutputs = graph.Outputs;
        Isa = isa;
        Threads = threads;
        Layout = blockedLayout ? BlockedLayout.Plan(graph, isa, ConvShape, MaxPoolShape) : BlockedLayout.None;
        QuantizedLayout = QuantizedLayout.Plan(graph, isa, n => QuantizedSteps.ConvShape(n, graph, Pads));
        Dictionary<OptimizedNode, DepthwisePointwisePair> pairs = fuseDepthwisePointwise ? DepthwisePointwisePairs(graph) : [];
        var fusedDepthwise = pairs.Values.Select(p => p.Depthwise).ToHashSet();

        // A fused pair runs at its 1×1 node, so the depthwise node's input lives until then.
        Memory = MemoryPlan.Create(graph, Layout.Elements, n => pairs.TryGetValue(n, out var pair) ? [pair.Depthwise.Inputs[0]] : []);
        checkMemory?.Invoke(Backends.SessionPreflight.Sum(Memory.ArenaBytes, graph.Constants.Values.Sum(c => (long)c.Count) * sizeof(float)));
        _arena = (byte*)Alloc(Memory.ArenaBytes);
        NativeMemory.Clear(_arena, (nuint)Memory.ArenaBytes);
        _pool = new WorkerPool(threads, spinMicroseconds);
        var steps = new List<PlanStep>();
        try
        {
            foreach (OptimizedNode node in graph.Nodes)
            {
                // Views share their input's memory; an elided Concat's inputs were written into its output's slices.
                if (pairs.TryGetValue(node, out var pair))
                {
                    steps.Add(CompileDepthwisePointwise(pair, node));
                }
                else if (node.OpType != "View" && !(node.OpType == "Concat" && Memory.ElidedConcats.Contains(node.Outputs[0])) && !fusedDepthwise.Contains(node))
                {
                    steps.Add(Compile(node));
                }
            }

            _steps = steps.ToArray();
            ScratchBytes = MemoryPlan.Align(_steps.Select(s => s.ScratchBytes).DefaultIfEmpty(0).Max());
            _scratch = (byte*)Alloc(Math.Max(ScratchBytes, 64));
            Inputs = graph.Inputs.Select(b => (nint)Pointer(b.Value)).ToArray();
            Outputs = graph.Outputs.Select(b => (nint)(graph.Constants.TryGetValue(b.Value, out ConstTensor? c) ? ConstantPointer(c) : Pointer(b.Value))).ToArray();

            // The kernels hold their own (prepacked) copies of the weights: let the float constants be collected.
            Graph = null!;
        }
        catch
        {
            foreach (PlanStep s in steps)
            {
                s.Dispose();
            }

            _pool.Dispose();
            FreeBlocks();
            throw;
        }
    }

    /// <summary>The model inputs, in the order of <see cref="Inputs"/>.</summary>
    public IReadOnlyList<GraphBoundary> GraphInputs { get; }

    /// <summary>The model outputs, in the order of <see cref="Outputs"/>.</summary>
    public IReadOnlyList<GraphBoundary> GraphOutputs { get; }

    /// <summary>The graph being compiled; released once the steps are built.</summary>
    private OptimizedGraph Graph { get; set; }

    public Isa Isa { get; }

    public int Threads { get; }

    public MemoryPlan Memory { get; }

    /// <summary>The values kept channel-blocked between the kernels that take them.</summary>
    public BlockedLayout Layout { get; }

    /// <summary>Which integer values are pixel-major (<see cref="Engine.QuantizedLayout"/>).</summary>
    public QuantizedLayout QuantizedLayout { get; }

    public long ScratchBytes { get; }

    public IReadOnlyList<PlanStep> Steps => _steps;

    /// <summary>Where each graph input is written before a run (in <see cref="OptimizedGraph.Inputs"/> order).</summary>
    public IReadOnlyList<nint> Inputs { get; } = [];

    /// <summary>Where each graph output is read after a run (in <see cref="OptimizedGraph.Outputs"/> order).</summary>
    public IReadOnlyList<nint> Outputs { get; } = [];

    /// <summary>Runs every step once; with <paramref name="stepTicks"/>, adds each step's elapsed ticks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(long[]? stepTicks = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (stepTicks is null)
        {
            for (int i = 0; i < _steps.Length; i++)
            {
                _steps[i].Execute(_scratch, _pool);
            }

            return;
        }

        for (int i = 0; i < _steps.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            _steps[i].Execute(_scratch, _pool);
            stepTicks[i] += Stopwatch.GetTimestamp() - t0;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (PlanStep s in _steps)
        {
            s.Dispose();
        }

        _pool.Dispose();
        FreeBlocks();
    }

    private void FreeBlocks()
    {
        foreach (nint b in _blocks)
        {
            NativeMemory.AlignedFree((void*)b);
        }

        _blocks.Clear();
    }

    private void* Alloc(long bytes)
    {
        void* p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        _blocks.Add((nint)p);
        return p;
    }

    /// <summary>
    /// Where a value lives: its arena offset, or, for a constant the optimizer did not fold into its consumer
    /// (Relu, Softmax, Slice, ... of an initializer), an aligned copy of the constant.
    /// </summary>
    private float* Pointer(string value) =>
        Memory.Offsets.TryGetValue(value, out long offset) ? (float*)(_arena + offset)
        : Graph.Constants.TryGetValue(value, out ConstTensor? c) ? ConstantPointer(c)
        : throw new LightNetException(ErrorCode.InvalidModel, $"Value '{value}' of graph '{Graph.Name}' has no storage: no node produces it and it is not a constant.");

    private float* ConstantPointer(ConstTensor c)
    {
        float[] data = c.AsFloats();
        var p = (float*)Alloc(MemoryPlan.Align(Math.Max(1, data.Length) * sizeof(float)));
        data.CopyTo(new Span<float>(p, data.Length));
        return p;
    }

    /// <summary>A run-time value or a constant, as a pointer.</summary>
    private float* Operand(string value) =>
        Graph.Constants.TryGetValue(value, out ConstTensor? c) ? ConstantPointer(c) : Pointer(value);

    private ConstTensor Const(string value) => Graph.Constants[value];

    private static int[] Ints(long[] dims) => dims.Select(d => checked((int)d)).ToArray();

    private static long[] IntsAttr(OptimizedNode n, string name, long[] fallback) => n.Source.GetInts(name)?.ToArray() ?? fallback;

    /// <summary>An ints attribute that must have exactly <paramref name="length"/> values (a 2-D window's strides, pads, ...).</summary>
    private long[] IntsAttr(OptimizedNode n, string name, long[] fallback, int length)
    {
        long[] v = IntsAttr(n, name, fallback);
        return v.Length == length ? v
            : throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"{n.OpType} node '{n.Name}' (opset {Graph.Opset}): attribute '{name}' has {v.Length} values; this 2-D path needs {length}.");
    }

    /// <summary>Refuses a window operator (Conv, ConvTranspose, pooling) that is not 2-D: input, output (and weights) must be 4-D.</summary>
    private void Require2D(OptimizedNode n, string what, long[] xd, long[] yd, long[]? wd = null)
    {
        if (xd.Length != 4 || yd.Length != 4 || wd is { Length: not 4 })
        {
            int spatial = Math.Max(0, (wd ?? xd).Length - 2);
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"{n.OpType} node '{n.Name}' (opset {Graph.Opset}) is a {spatial}-D {what} (input {Dimension.Format(xd)}" +
                $"{(wd is null ? "" : $", weights {Dimension.Format(wd)}")}); the cpu-simd engine supports only 2-D {what} (4-D input and output" +
                $"{(wd is null ? "" : ", 4-D weights")}).");
        }
    }

    private PlanStep Compile(OptimizedNode n)
    {
        try
        {
            return CompileCore(n);
        }
        catch (LightNetException e) when (e.Code != ErrorCode.UnsupportedOperator)
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"{n.OpType} node '{n.Name}' (opset {Graph.Opset}) cannot be prepared: {e.Message}", e);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or KeyNotFoundException)
        {
            // A shape or attribute combination no explicit check above foresaw: never let a raw .NET exception escape.
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"{n.OpType} node '{n.Name}' (opset {Graph.Opset}) cannot be prepared for input {Dimension.Format(Graph.Dims(n.Inputs[0]))}: {e.Message}", e);
        }
    }

    private PlanStep CompileCore(OptimizedNode n)
    {
        string x0 = n.Inputs[0];
        long[] xd = Graph.Dims(x0);
        long[] yd = Graph.Dims(n.Outputs[0]);
        float* y = Pointer(n.Outputs[0]);
        switch (n.OpType)
        {
            case "Conv":
                return CompileConv(n, xd, yd, y);
            case "ConvTranspose":
                return CompileConvTranspose(n, xd, yd, y);
            case "Dense":
            {
                ConstTensor w = Const(n.Inputs[1]);
                int outF = checked((int)w.Dims[0]), inF = checked((int)w.Dims[1]);
                int rows = checked((int)(Shapes.ElementCount(xd) / inF));
                float[] bias = n.Inputs.Length > 2 ? Const(n.Inputs[2]).AsFloats() : [];
                var kernel = DenseKernel.Create(w.AsFloats(), outF, inF, bias, n.Activation, n.Residual is not null, Isa, Threads);
                return new DenseStep(n, kernel, Pointer(x0), rows, y, n.Residual is null ? null : Pointer(n.Residual));
            }

            case "MatMul":
                return new MatMulStep(n, Operand(x0), xd, Operand(n.Inputs[1]), Graph.Dims(n.Inputs[1]), y, yd, Isa, Threads);
            case "Activation":
            {
                var kernel = ActivationKernel.Create(n.Activation, Shapes.ElementCount(xd));
                return new ActivationStep(n, kernel, Pointer(x0), y);
            }

            case "ChannelAffine":
            {
                int batch = checked((int)xd[0]), channels = xd.Length > 1 ? checked((int)xd[1]) : 1;
                int spatial = checked((int)Shapes.ElementCount(xd.AsSpan(Math.Min(2, xd.Length))));
                var kernel = ChannelAffineKernel.Create(batch, channels, spatial, Const(n.Inputs[1]).AsFloats(), Const(n.Inputs[2]).AsFloats(), n.Activation);
                return new ChannelAffineStep(n, kernel, Pointer(x0), y);
            }

            case "Mul" when Layout.IsBlocked(n.Outputs[0]):
            {
                // x · per-channel factors, x and y blocked (BlockedLayout.ScaledInput).
                string x = BlockedLayout.ScaledInput(Graph, n)!, s = n.Inputs[0] == x ? n.Inputs[1] : n.Inputs[0];
                var kernel = BlockedChannelScaleKernel.Create(checked((int)yd[0]), checked((int)yd[1]), checked((int)(yd[2] * yd[3])), Layout.Lanes, checked((int)Graph.Dims(s)[0]));
                return new BinaryStep(n, "channel-scale-nchwc", (a, b, o, p) => kernel.Run(a, b, o, p), Pointer(x), Pointer(s), y);
            }

            case "Add" or "Sub" or "Mul" or "Div" or "PRelu":
            {
                var op = Enum.Parse<BinaryOp>(n.OpType);
                var kernel = BroadcastBinaryKernel.Create(op, Ints(xd), Ints(Graph.Dims(n.Inputs[1])), default, Ints(yd));
                return new BinaryStep(n, n.OpType, kernel.Run, Operand(x0), Operand(n.Inputs[1]), y);
            }

            case "Sum":
            {
                var kernel = SumKernel.Create(n.Inputs.Select(i => Ints(Graph.Dims(i))).ToArray());
                return new SumStep(n, kernel, n.Inputs.Select(i => (nint)Operand(i)).ToArray(), y);
            }

            case "Concat":
            {
                var kernel = ConcatKernel.Create(n.Inputs.Where(i => i.Length > 0).Select(i => Ints(Graph.Dims(i))).ToArray(), n.Source.GetInt("axis", 1));
                return new ConcatStep(n, kernel, n.Inputs.Where(i => i.Length > 0).Select(i => (nint)Operand(i)).ToArray(), y);
            }

            case "Split":
            {
                long[] sizes = Graph.Opset >= 13 ? (n.Inputs.Length > 1 && n.Inputs[1].Length > 0 ? Const(n.Inputs[1]).AsInts() : [])
                    : IntsAttr(n, "split", []);
                var kernel = SplitKernel.Create(Ints(xd), n.Source.GetInt("axis", 0), sizes, n.Outputs.Length);
                nint[] outs = n.Outputs.Select(o => o.Length > 0 && Memory.Offsets.ContainsKey(o) ? (nint)Pointer(o) : (nint)Alloc(64 + (4 * Shapes.ElementCount(Graph.Dims(o))))).ToArray();
                return new SplitStep(n, kernel, Pointer(x0), outs);
            }

            case "Slice":
            {
                long[] starts, ends, axes, steps;
                if (Graph.Opset < 10)
                {
                    starts = IntsAttr(n, "starts", []);
                    ends = IntsAttr(n, "ends", []);
                    axes = IntsAttr(n, "axes", Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray());
                    steps = Enumerable.Repeat(1L, starts.Length).ToArray();
                }
                else
                {
                    starts = Const(n.Inputs[1]).AsInts();
                    ends = Const(n.Inputs[2]).AsInts();
                    axes = n.Inputs.Length > 3 && n.Inputs[3].Length > 0 ? Const(n.Inputs[3]).AsInts() : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                    steps = n.Inputs.Length > 4 && n.Inputs[4].Length > 0 ? Const(n.Inputs[4]).AsInts() : Enumerable.Repeat(1L, starts.Length).ToArray();
                }

                var kernel = SliceKernel.Create(Ints(xd), starts, ends, axes, steps);
                return new UnaryStep(n, "strided-copy", kernel.Run, Pointer(x0), y);
            }

            case "Transpose":
            {
                long[] perm = IntsAttr(n, "perm", Enumerable.Range(0, xd.Length).Reverse().Select(i => (long)i).ToArray());
                var kernel = TransposeKernel.Create(Ints(xd), perm);
                return new UnaryStep(n, "transpose", kernel.Run, Pointer(x0), y);
            }

            case "MaxPool" or "AveragePool":
                return CompilePool(n, xd, yd, y);
            case "GlobalAveragePool" or "GlobalMaxPool":
            {
                var kernel = GlobalPoolKernel.Create(n.OpType == "GlobalMaxPool" ? PoolKind.Max : PoolKind.Average,
                    checked((int)(xd[0] * xd[1])), checked((int)Shapes.ElementCount(xd.AsSpan(2))), Layout.IsBlocked(x0) ? Layout.Lanes : 0, checked((int)xd[1]));
                return new UnaryStep(n, "global-pool", kernel.Run, Pointer(x0), y);
            }

            case "Softmax" or "LogSoftmax":
            {
                bool old = Graph.Opset < 13;
                var kernel = SoftmaxKernel.Create(Ints(xd), n.Source.GetInt("axis", old ? 1 : -1), n.OpType == "LogSoftmax", old);
                return new UnaryStep(n, "softmax", kernel.Run, Pointer(x0), y);
            }

            case "LRN":
            {
                var kernel = LrnKernel.Create(checked((int)xd[0]), checked((int)xd[1]), checked((int)Shapes.ElementCount(xd.AsSpan(2))), checked((int)n.Source.GetInt("size", 1)),
                    n.Source.GetFloat("alpha", 1e-4f), n.Source.GetFloat("beta", 0.75f), n.Source.GetFloat("bias", 1f));
                return new UnaryStep(n, "lrn", kernel.Run, Pointer(x0), y);
            }

            case "Gather":
            {
                ConstTensor idx = Const(n.Inputs[1]);
                var kernel = GatherKernel.Create(Ints(xd), n.Source.GetInt("axis", 0), idx.AsInts(), Ints(idx.Dims));
                return new UnaryStep(n, "gather", (a, b, _) => kernel.Run(a, b), Pointer(x0), y);
            }

            case "Pad":
                return CompilePad(n, xd, y);
            case "Resize":
                return CompileResize(n, xd, yd, y);
            case "ReduceMean":
            {
                long[] axes = Graph.Opset >= 18
                    ? (n.Inputs.Length > 1 && n.Inputs[1].Length > 0 ? Const(n.Inputs[1]).AsInts() : [])
                    : IntsAttr(n, "axes", []);
                if (axes.Length == 0 && n.Source.GetInt("noop_with_empty_axes", 0) != 0)
                {
                    var copy = ActivationKernel.Create(Activation.None, Shapes.ElementCount(xd));
                    return new ActivationStep(n, copy, Pointer(x0), y);
                }

                var kernel = ReduceKernel.Create(Ints(xd), axes, n.Source.GetInt("keepdims", 1) != 0);
                return new UnaryStep(n, "reduce-mean", (a, b, _) => kernel.Run(a, b), Pointer(x0), y);
            }

            case "FakeQuant":
                return new FakeQuantStep(n, Pointer(x0), y, xd);
            case "RoundToHalf":
                return new RoundToHalfStep(n, Pointer(x0), y, Shapes.ElementCount(xd));
            case var op when GraphOptimizer.IsIntegerOp(op):
                return QuantizedSteps.Compile(n, Graph, v => (nint)Pointer(v), Pads, QuantizedLayout, Isa, Threads);
            default:
                throw new LightNetException(ErrorCode.UnsupportedOperator, $"{n.OpType} node '{n.Name}' (opset {Graph.Opset}) has no CPU kernel.");
        }
    }

    private (int Top, int Left, int Bottom, int Right) Pads(OptimizedNode n, long[] xd, int kh, int kw, int sh, int sw, int dh, int dw, bool ceil)
    {
        string autoPad = n.Source.GetString("auto_pad", "NOTSET");
        long[] pads = IntsAttr(n, "pads", [0, 0, 0, 0], 4);
        if (autoPad is "SAME_UPPER" or "SAME_LOWER" or "VALID")
        {
            var h = PoolGeometry.Resolve(autoPad, checked((int)xd[2]), kh, sh, dh, 0, 0, ceil);
            var w = PoolGeometry.Resolve(autoPad, checked((int)xd[3]), kw, sw, dw, 0, 0, ceil);
            return (h.PadBegin, w.PadBegin, h.PadEnd, w.PadEnd);
        }

        return (checked((int)pads[0]), checked((int)pads[1]), checked((int)pads[2]), checked((int)pads[3]));
    }

    /// <summary>A 2-D pooling node's geometry, planes N·C.</summary>
    private Pool2dShape PoolShape(OptimizedNode n, long[] xd, long[] yd)
    {
        long[] k = IntsAttr(n, "kernel_shape", [], 2);
        long[] strides = IntsAttr(n, "strides", [1, 1], 2), dil = IntsAttr(n, "dilations", [1, 1], 2);
        bool ceil = n.Source.GetInt("ceil_mode", 0) != 0;
        var pads = Pads(n, xd, checked((int)k[0]), checked((int)k[1]), checked((int)strides[0]), checked((int)strides[1]), checked((int)dil[0]), checked((int)dil[1]), ceil);
        return new Pool2dShape(checked((int)(xd[0] * xd[1])), checked((int)xd[2]), checked((int)xd[3]), checked((int)yd[2]), checked((int)yd[3]), checked((int)k[0]), checked((int)k[1]),
            checked((int)strides[0]), checked((int)strides[1]), checked((int)dil[0]), checked((int)dil[1]), pads.Top, pads.Left, pads.Bottom, pads.Right);
    }

    /// <summary>The geometry of a 2-D MaxPool node with one output, or null for any other (the layout plan's question).</summary>
    private Pool2dShape? MaxPoolShape(OptimizedNode n)
    {
        if (n.OpType != "MaxPool" || n.Outputs.Length != 1 || n.Source.GetInt("storage_order", 0) != 0 || IntsAttr(n, "kernel_shape", []).Length != 2)
        {
            return null;
        }

        long[] xd = Graph.Dims(n.Inputs[0]), yd = Graph.Dims(n.Outputs[0]);
        return TwoDWindow(n, xd, yd) ? OrNull(() => PoolShape(n, xd, yd)) : null;
    }

    /// <summary>The 2-D shape of a Conv node with constant weights, or null for any other (the layout plan's question).</summary>
    private Conv2dShape? ConvShape(OptimizedNode n)
    {
        if (n.OpType != "Conv" || !Graph.Constants.ContainsKey(n.Inputs[1]))
        {
            return null;
        }

        long[] xd = Graph.Dims(n.Inputs[0]), yd = Graph.Dims(n.Outputs[0]);
        ConstTensor w = Const(n.Inputs[1]);
        return w.Dims.Length == 4 && TwoDWindow(n, xd, yd) ? OrNull(() => ConvShape(n, xd, yd, w)) : null;
    }

    /// <summary>Whether a window node (Conv, pooling) has 4-D input and output and 2-D strides, dilations and pads.</summary>
    private bool TwoDWindow(OptimizedNode n, long[] xd, long[] yd) =>
        xd.Length == 4 && yd.Length == 4 && IntsAttr(n, "strides", [1, 1]).Length == 2
        && IntsAttr(n, "dilations", [1, 1]).Length == 2 && IntsAttr(n, "pads", [0, 0, 0, 0]).Length == 4;

    /// <summary>A window node's geometry, or null where working it out fails (compiling the node reports it).</summary>
    private static T? OrNull<T>(Func<T> shape)
        where T : struct
    {
        try
        {
            return shape();
        }
        catch (Exception e) when (e is LightNetException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    private Conv2dShape ConvShape(OptimizedNode n, long[] xd, long[] yd, ConstTensor w)
    {
        long[] strides = IntsAttr(n, "strides", [1, 1], 2), dil = IntsAttr(n, "dilations", [1, 1], 2);
        int kh = checked((int)w.Dims[2]), kw = checked((int)w.Dims[3]);
        var pads = Pads(n, xd, kh, kw, checked((int)strides[0]), checked((int)strides[1]), checked((int)dil[0]), checked((int)dil[1]), false);
        return new Conv2dShape(checked((int)xd[1]), checked((int)xd[2]), checked((int)xd[3]), checked((int)yd[1]), checked((int)yd[2]), checked((int)yd[3]), kh, kw,
            checked((int)strides[0]), checked((int)strides[1]), checked((int)dil[0]), checked((int)dil[1]), pads.Top, pads.Left, checked((int)n.Source.GetInt("group", 1)));
    }

    private PlanStep CompileConv(OptimizedNode n, long[] xd, long[] yd, float* y)
    {
        ConstTensor w = Const(n.Inputs[1]);
        Require2D(n, "convolution", xd, yd, w.Dims);
        var shape = ConvShape(n, xd, yd, w);
        float[] bias = BiasOf(n);
        var layout = Layout.Of(n);
        var kernel = Conv2dKernel.Create(shape, w.AsFloats(), bias, n.Activation, n.Residual is not null, Isa, Threads, ConvAlgorithm.Auto, layout);

        // One image of a blocked value is its channels padded to whole blocks (the arena holds them).
        long inStride = (Layout.Elements(n.Inputs[0]) ?? Shapes.ElementCount(xd)) / xd[0], outStride = (Layout.Elements(n.Outputs[0]) ?? Shapes.ElementCount(yd)) / yd[0];
        return new ConvStep(n, kernel, Pointer(n.Inputs[0]), y, n.Residual is null ? null : Pointer(n.Residual), checked((int)xd[0]), inStride, outStride);
    }

    /// <summary>
    /// The depthwise → 1×1 pairs that run fused (<see cref="ConvDepthwisePointwise"/>), by their 1×1 node: a planar
    /// depthwise convolution of one image whose output is read only by a planar 1×1 convolution (as its input) and is not
    /// a graph output.
    /// </summary>
    private Dictionary<OptimizedNode, DepthwisePointwisePair> DepthwisePointwisePairs(OptimizedGraph graph)
    {
        var readers = new Dictionary<string, List<OptimizedNode>>(StringComparer.Ordinal);
        foreach (OptimizedNode n in graph.Nodes)
        {
            foreach (string x in n.Inputs.Append(n.Residual ?? "").Where(x => x.Length > 0).Distinct())
            {
                (readers.TryGetValue(x, out var list) ? list : readers[x] = []).Add(n);
            }
        }

        var outputs = graph.Outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        var pairs = new Dictionary<OptimizedNode, DepthwisePointwisePair>();
        foreach (OptimizedNode dw in graph.Nodes)
        {
            if (dw.OpType != "Conv" || dw.Residual is not null || outputs.Contains(dw.Outputs[0]) || Layout.Of(dw).AnyBlocked
                || ConvShape(dw) is not { IsDepthwise: true } d || !readers.TryGetValue(dw.Outputs[0], out var r) || r.Count != 1)
            {
                continue;
            }

            OptimizedNode pw = r[0];
            if (pw.OpType == "Conv" && pw.Inputs[0] == dw.Outputs[0] && pw.Residual != dw.Outputs[0] && !Layout.Of(pw).AnyBlocked
                && Graph.Dims(dw.Inputs[0])[0] == 1 && ConvShape(pw) is { } p && p.OutHeight * p.OutWidth > 1 && ConvDepthwisePointwise.Supports(d, dw.Activation, p, Isa))
            {
                pairs[pw] = new DepthwisePointwisePair(dw, d, p);
            }
        }

        return pairs;
    }

    /// <summary>A fused pair's depthwise node and the two layers' shapes.</summary>
    private readonly record struct DepthwisePointwisePair(OptimizedNode Depthwise, Conv2dShape DepthwiseShape, Conv2dShape PointwiseShape);

    private PlanStep CompileDepthwisePointwise(DepthwisePointwisePair pair, OptimizedNode pw)
    {
        OptimizedNode dw = pair.Depthwise;
        var kernel = ConvDepthwisePointwise.Create(pair.DepthwiseShape, Const(dw.Inputs[1]).AsFloats(), BiasOf(dw), dw.Activation,
            pair.PointwiseShape, Const(pw.Inputs[1]).AsFloats(), BiasOf(pw), pw.Activation, Isa, Threads);
        return new DepthwisePointwiseStep(pw, dw, kernel, Pointer(dw.Inputs[0]), Pointer(pw.Outputs[0]), pw.Residual is null ? null : Pointer(pw.Residual));
    }

    /// <summary>A Conv or ConvTranspose node's constant bias, or none.</summary>
    private float[] BiasOf(OptimizedNode n) => n.Inputs.Length > 2 && n.Inputs[2].Length > 0 ? Const(n.Inputs[2]).AsFloats() : [];

    private PlanStep CompileConvTranspose(OptimizedNode n, long[] xd, long[] yd, float* y)
    {
        ConstTensor w = Const(n.Inputs[1]);
        Require2D(n, "transposed convolution", xd, yd, w.Dims);
        long[] strides = IntsAttr(n, "strides", [1, 1], 2), dil = IntsAttr(n, "dilations", [1, 1], 2);
        int kh = checked((int)w.Dims[2]), kw = checked((int)w.Dims[3]);
        long[] pads = IntsAttr(n, "pads", [0, 0, 0, 0], 4);
        string autoPad = n.Source.GetString("auto_pad", "NOTSET");
        if (n.Source.GetInts("output_shape") is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            long[] op = IntsAttr(n, "output_padding", [0, 0], 2);
            long[] k = [kh, kw];
            pads = new long[4];
            for (int i = 0; i < 2; i++)
            {
                long total = Math.Max(0, (strides[i] * (xd[2 + i] - 1)) + op[i] + (((k[i] - 1) * dil[i]) + 1) - yd[2 + i]);
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                pads[i + 2] = total - pads[i];
            }
        }

        var shape = new Conv2dShape(checked((int)xd[1]), checked((int)xd[2]), checked((int)xd[3]), checked((int)yd[1]), checked((int)yd[2]), checked((int)yd[3]), kh, kw,
            checked((int)strides[0]), checked((int)strides[1]), checked((int)dil[0]), checked((int)dil[1]), checked((int)pads[0]), checked((int)pads[1]), checked((int)n.Source.GetInt("group", 1)));
        float[] bias = BiasOf(n);
        var kernel = ConvTranspose2dKernel.Create(shape, w.AsFloats(), bias, n.Activation, false, Isa, Threads);
        long inStride = Shapes.ElementCount(xd.AsSpan(1)), outStride = Shapes.ElementCount(yd.AsSpan(1));
        return new ConvTransposeStep(n, kernel, Pointer(n.Inputs[0]), y, checked((int)xd[0]), inStride, outStride);
    }

    private PlanStep CompilePool(OptimizedNode n, long[] xd, long[] yd, float* y)
    {
        Require2D(n, "pooling", xd, yd);
        var shape = PoolShape(n, xd, yd);
        if (Layout.IsBlocked(n.Outputs[0]))
        {
            // Blocked in and out (BlockedLayout): the planes are the N·Cb channel blocks.
            var blocked = BlockedMaxPoolKernel.Create(shape with { Planes = checked((int)(xd[0] * ((xd[1] + Layout.Lanes - 1) / Layout.Lanes))) }, Layout.Lanes);
            return new UnaryStep(n, blocked.Algorithm, blocked.Run, Pointer(n.Inputs[0]), y);
        }

        bool max = n.OpType == "MaxPool";
        var kernel = Pool2dKernel.Create(shape, max ? PoolKind.Max : PoolKind.Average, !max && n.Source.GetInt("count_include_pad", 0) != 0);
        return new UnaryStep(n, max ? "max-pool" : "average-pool", kernel.Run, Pointer(n.Inputs[0]), y);
    }

    private PlanStep CompilePad(OptimizedNode n, long[] xd, float* y)
    {
        int rank = xd.Length;
        long[] pads;
        float value;
        if (Graph.Opset < 11)
        {
            pads = IntsAttr(n, "pads", new long[2 * rank]);
            value = n.Source.GetFloat("value", 0f);
        }
        else
        {
            long[] given = Const(n.Inputs[1]).AsInts();
            value = n.Inputs.Length > 2 && n.Inputs[2].Length > 0 ? Const(n.Inputs[2]).AsFloats()[0] : 0f;
            if (n.Inputs.Length > 3 && n.Inputs[3].Length > 0)
            {
                long[] axes = Const(n.Inputs[3]).AsInts();
                pads = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++)
                {
                    int a = checked((int)(axes[i] < 0 ? axes[i] + rank : axes[i]));
                    pads[a] = given[i];
                    pads[a + rank] = given[i + axes.Length];
                }
            }
            else
            {
                pads = given;
            }
        }

        PadMode mode = n.Source.GetString("mode", "constant") switch
        {
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            _ => PadMode.Constant,
        };
        var kernel = PadKernel.Create(Ints(xd), pads, mode, value);
        return new UnaryStep(n, "pad-" + mode.ToString().ToLowerInvariant(), (a, b, _) => kernel.Run(a, b), Pointer(n.Inputs[0]), y);
    }

    private PlanStep CompileResize(OptimizedNode n, long[] xd, long[] yd, float* y)
    {
        if (xd.Length != 4 || xd[0] != yd[0] || xd[1] != yd[1])
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Resize node '{n.Name}' (opset {Graph.Opset}): only the two last axes of a 4-D tensor can be resized ({Dimension.Format(xd)} → {Dimension.Format(yd)}).");
        }

        int scalesInput = Graph.Opset < 11 ? 1 : 2;
        float sh = yd[2] / (float)xd[2], sw = yd[3] / (float)xd[3];
        if (n.Inputs.Length > scalesInput && n.Inputs[scalesInput].Length > 0 && Const(n.Inputs[scalesInput]).Count == 4)
        {
            float[] s = Const(n.Inputs[scalesInput]).AsFloats();
            sh = s[2];
            sw = s[3];
        }

        ResizeMode mode = n.Source.GetString("mode", "nearest") == "linear" ? ResizeMode.Linear : ResizeMode.Nearest;
        ResizeCoordinates coords = Graph.Opset < 11 ? ResizeCoordinates.Asymmetric : n.Source.GetString("coordinate_transformation_mode", "half_pixel") switch
        {
            "pytorch_half_pixel" => ResizeCoordinates.PytorchHalfPixel,
            "align_corners" => ResizeCoordinates.AlignCorners,
            "asymmetric" => ResizeCoordinates.Asymmetric,
            "tf_half_pixel_for_nearest" => ResizeCoordinates.TfHalfPixelForNearest,
            "half_pixel_symmetric" => ResizeCoordinates.HalfPixelSymmetric,
            _ => ResizeCoordinates.HalfPixel,
        };
        ResizeNearest nearest = n.Source.GetString("nearest_mode", "round_prefer_floor") switch
        {
            "round_prefer_ceil" => ResizeNearest.RoundPreferCeil,
            "floor" => ResizeNearest.Floor,
            "ceil" => ResizeNearest.Ceil,
            _ => ResizeNearest.RoundPreferFloor,
        };
        var kernel = ResizeKernel.Create(checked((int)(xd[0] * xd[1])), checked((int)xd[2]), checked((int)xd[3]), checked((int)yd[2]), checked((int)yd[3]), sh, sw, mode, coords, nearest);
        return new UnaryStep(n, "resize-" + mode.ToString().ToLowerInvariant(), kernel.Run, Pointer(n.Inputs[0]), y);
    }
}

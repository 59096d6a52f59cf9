using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Profiling;

namespace LightNet.Engine;

/// <summary>
/// A model compiled by <see cref="GraphOptimizer"/> into one <see cref="CpuPlan"/> per distinct set of input shapes.
/// Symbolic input dimensions take their values from the tensors passed: when every input dimension is known at
/// creation (fixed, or given by <see cref="InferenceOptions.DimensionValues"/>) that plan is compiled at once, so load-time
/// errors surface there; otherwise each plan is compiled at the first run with its shapes. Plans live in a small LRU
/// cache (<see cref="MaxPlans"/>); an evicted plan that a prepared run still holds is freed when that run is disposed.
/// Runs are serialised by one lock (each plan owns one arena and one worker pool); a prepared run is bound to the plan
/// of its inputs' shapes and copies its inputs in, executes and copies its outputs out without allocating.
/// </summary>
internal sealed unsafe class CpuSimdSession : IInferenceSession
{
    /// <summary>The plans kept by default, one per distinct set of input shapes.</summary>
    public const int DefaultMaxPlans = 8;

    private readonly object _gate = new();
    private readonly Model _model;
    private readonly string _modelName;
    private readonly bool _fuse;
    private readonly Isa _isa;
    private readonly int _threads;
    private readonly int _spinMicroseconds;
    private readonly bool _profiling;
    private readonly bool _planar;
    private readonly InferenceOptions _options;
    private readonly (string Name, IReadOnlyList<Dimension>? Declared)[] _declaredInputs;
    private readonly Dictionary<string, int> _inputIndex = new(StringComparer.Ordinal);
    private readonly List<PlanEntry> _plans = [];
    private readonly List<PlanEntry> _evictedButHeld = [];
    private readonly List<(PlanEntry Plan, long[] Ticks)> _profileRuns = [];
    private long _clock;
    private int _disposed;

    /// <summary>The threads and instruction set this session's plans were compiled for (whatever the backend's name asked).</summary>
    public SessionSettings EffectiveSettings
    {
        get
        {
            SessionSettings basic = SessionSettings.Of(Backend, _threads);
            var options = new Dictionary<string, string>(basic.Options, StringComparer.Ordinal) { ["isa"] = IsaSupport.Name(_isa) };
            return basic with
            {
                InstructionSet = IsaSupport.Name(_isa),
                Device = CpuSimdBackend.DescribeDevice(_isa, _threads),
                Options = options,
            };
        }
    }

    public CpuSimdSession(CpuSimdBackend backend, Model model, InferenceOptions options, Isa isa, int threads,
        int spinMicroseconds = WorkerPool.DefaultSpinMicroseconds, int maxPlans = DefaultMaxPlans, int warmupRuns = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPlans, 1);
        Backend = backend;
        _model = model;
        _modelName = model.SourcePath ?? model.Graph.Name;
        _profiling = options.PerOperatorProfiling;
        _options = options;
        _fuse = options.GraphOptimization >= GraphOptimization.Extended;
        _isa = isa;
        _threads = threads;
        _spinMicroseconds = spinMicroseconds;
        _planar = backend.PlanarLayout;
        MaxPlans = maxPlans;
        Graph graph = model.Graph;
        ValueInfo[] realInputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToArray();
        _declaredInputs = realInputs.Select(i => (i.Name, i.Shape)).ToArray();
        for (int k = 0; k < realInputs.Length; k++)
        {
            _inputIndex.TryAdd(realInputs[k].Name, k);
        }
        if (AllInputDimensionsKnown(realInputs, options.DimensionValues))
        {
            // Compile now, as before: unsupported operators and bad shapes fail CreateSession.
            OptimizedGraph optimized = GraphOptimizer.Optimize(model, options.DimensionValues, _fuse);
            var plan = new PlanEntry(Compile(optimized));
            _plans.Add(plan);
            PlansCompiled = 1;
            WarmUp(plan.Plan, warmupRuns);
            Inputs = optimized.Inputs.Select(b => new TensorSpec(b.Name, b.ElementType, b.Declared)).ToArray();
            Outputs = optimized.Outputs.Select(b => new TensorSpec(b.Name, b.ElementType, b.Declared)).ToArray();
            return;
        }

        // Symbolic dimensions without values: every plan waits for the first run with its shapes. Check now what can be
        // checked without shapes, so that an unsupported operator or input type still fails CreateSession.
        SupportCheck.Validate(graph, model.Opset, _modelName);
        foreach (ValueInfo i in realInputs.Where(i => i.ElementType is not (TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Undefined)))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"The cpu-simd engine cannot run '{_modelName}': input '{i.Name}' is {i.ElementType}; only Float and Float16 inputs are supported.");
        }

        Inputs = realInputs.Select(i => new TensorSpec(i.Name, BoundaryType(i.ElementType), i.Shape ?? [])).ToArray();
        Outputs = graph.Outputs.Select(o => new TensorSpec(o.Name, BoundaryType(o.ElementType), o.Shape ?? [])).ToArray();
    }

    public Backend Backend { get; }

    /// <summary>The declared inputs, symbolic dimensions kept.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The declared outputs, symbolic dimensions kept.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>How many plans (distinct input shape sets) the session keeps before it evicts the least recently used.</summary>
    internal int MaxPlans { get; }

    /// <summary>
    /// Whether the last <see cref="Run"/> or <see cref="Prepare"/> compiled a new plan (a first run at new input shapes);
    /// prepared runs never compile and leave it as it was.
    /// </summary>
    internal bool LastRunCompiledPlan { get; private set; }

    /// <summary>Plans compiled since the session was created, the one compiled at creation included.</summary>
    internal int PlansCompiled { get; private set; }

    /// <summary>Plans in the cache now.</summary>
    internal int CachedPlanCount
    {
        get
        {
            lock (_gate)
            {
                return _plans.Count;
            }
        }
    }

    /// <summary>The input shapes of the cached plans, most recently used first.</summary>
    internal IReadOnlyList<long[][]> CachedPlanShapes
    {
        get
        {
            lock (_gate)
            {
                return _plans.OrderByDescending(p => p.LastUsed).Select(p => p.InputShapes).ToArray();
            }
        }
    }

    /// <summary>The most recently used plan (the one compiled at creation until a run uses another); null before any plan exists.</summary>
    internal CpuPlan? Plan
    {
        get
        {
            lock (_gate)
            {
                return _plans.Count == 0 ? null : _plans.MaxBy(p => p.LastUsed)!.Plan;
            }
        }
    }

    /// <summary>The input shapes of the plan whose steps the last <see cref="CollectOperatorProfile"/> reported; null before.</summary>
    internal long[][]? ProfiledInputShapes { get; private set; }

    /// <summary>Refuses a plan whose memory is over the session's budget, before any of it is allocated.</summary>
    private void CheckMemory(long bytes) =>
        SessionPreflight.CheckBudget(bytes, _options, Backend.Name, _modelName, "by its memory plan (activation arena + constants)");

    private static TensorElementType BoundaryType(TensorElementType t) => t == TensorElementType.Float16 ? TensorElementType.Float16 : TensorElementType.Float;

    // A plan for this session's settings; per-operator profiles keep a step per node (no fused depthwise → 1×1 pairs).
    private CpuPlan Compile(OptimizedGraph graph) =>
        new(graph, _isa, _threads, _spinMicroseconds, CheckMemory, fuseDepthwisePointwise: !_profiling, blockedLayout: !_planar);

    private static bool AllInputDimensionsKnown(ValueInfo[] inputs, IReadOnlyDictionary<string, long>? values) =>
        inputs.All(i => i.Shape is not null && i.Shape.All(d => d.IsFixed || (d.Parameter is string p && values?.TryGetValue(p, out long v) == true && v >= 0)));

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        TensorBuffer[] bound = CheckInputs(inputs);
        TensorBuffer[] outputs;
        lock (_gate)
        {
            ThrowIfDisposed();
            PlanEntry plan = Acquire(bound);
            outputs = AllocateOutputs(plan.Plan);
            ExecuteLocked(plan, bound, outputs);
        }

        var result = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        for (int i = 0; i < outputs.Length; i++)
        {
            result[Outputs[i].Name] = outputs[i];
        }

        return result;
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        TensorBuffer[] bound = CheckInputs(inputs);
        PreparedRun run;
        lock (_gate)
        {
            ThrowIfDisposed();
            PlanEntry plan = Acquire(bound);
            plan.Holders++;
            run = new PreparedRun(this, plan, bound, AllocateOutputs(plan.Plan));
        }

        try
        {
            run.Run(); // warm-up, as the ONNX Runtime session's Prepare does
        }
        catch
        {
            run.Dispose();
            throw;
        }

        return run;
    }

    /// <summary>
    /// The per-node times of the runs since the last call. When runs used several plans (several input shapes), the
    /// steps of the plan that ran most often are reported (the most recently used on a tie); runs of other plans are
    /// dropped, and <see cref="ProfiledInputShapes"/> says which shapes were reported.
    /// </summary>
    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        ThrowIfDisposed();
        if (!_profiling)
        {
            return null;
        }

        lock (_gate)
        {
            var kept = _profileRuns.Skip(Math.Max(0, skipFirstRuns)).ToArray();
            _profileRuns.Clear();
            PlanEntry? chosen = kept.GroupBy(r => r.Plan).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key.LastUsed)
                .Select(g => g.Key).FirstOrDefault() ?? _plans.MaxBy(p => p.LastUsed);
            ProfiledInputShapes = chosen?.InputShapes;
            long[][] runs = kept.Where(r => r.Plan == chosen).Select(r => r.Ticks).ToArray();
            IReadOnlyList<PlanStep> steps = chosen?.Plan.Steps ?? [];
            return OperatorProfileBuilder.Build(steps.Select(st => (st.Node.Name, ProfileOpType(st.Node), st.Algorithm)).ToArray(), runs);
        }
    }

    private static string ProfileOpType(OptimizedNode n)
    {
        string op = n.OpType == "Activation" ? n.Source.OpType : n.OpType;
        if (!n.Activation.IsNone && n.OpType != "Activation")
        {
            op += "+" + n.Activation.Kind;
        }

        return n.Residual is null ? op : op + "+Add";
    }

    /// <summary>The cached plan for the shapes of <paramref name="bound"/>, compiled (and the least recently used evicted) when there is none. Call under the lock.</summary>
    private PlanEntry Acquire(TensorBuffer[] bound)
    {
        foreach (PlanEntry p in _plans)
        {
            if (p.Matches(bound))
            {
                LastRunCompiledPlan = false;
                return p;
            }
        }

        Dictionary<string, long> dimensionValues = InputShapeMatcher.Match(_modelName, _declaredInputs, name => bound[IndexOf(name)].Shape);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (int k = 0; k < bound.Length; k++)
        {
            shapes[Inputs[k].Name] = bound[k].Shape.ToArray();
        }

        OptimizedGraph graph = GraphOptimizer.Optimize(_model, dimensionValues, _fuse, shapes);
        var entry = new PlanEntry(Compile(graph)) { LastUsed = ++_clock };
        if (_plans.Count >= MaxPlans)
        {
            PlanEntry victim = _plans.MinBy(p => p.LastUsed)!;
            _plans.Remove(victim);
            victim.Evicted = true;
            if (victim.Holders == 0)
            {
                victim.Plan.Dispose();
            }
            else
            {
                // A prepared run still holds it: it is freed when the last such run is disposed.
                _evictedButHeld.Add(victim);
            }
        }

        _plans.Add(entry);
        PlansCompiled++;
        LastRunCompiledPlan = true;
        return entry;
    }

    private int IndexOf(string input) => _inputIndex.TryGetValue(input, out int k)
        ? k
        : throw new LightNetException(ErrorCode.InvalidArgument, $"Model '{_modelName}' has no input '{input}'.");

    /// <summary>A prepared run let go of <paramref name="plan"/>: free it if it was evicted and nothing else holds it.</summary>
    private void Release(PlanEntry plan)
    {
        lock (_gate)
        {
            plan.Holders--;
            if (plan.Evicted && plan.Holders == 0)
            {
                _evictedButHeld.Remove(plan);
                plan.Plan.Dispose();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecutePrepared(PlanEntry plan, TensorBuffer[] inputs, TensorBuffer[] outputs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (plan.Evicted && plan.Holders == 0)
            {
                throw new ObjectDisposedException(nameof(IPreparedRun), "The prepared run has been disposed.");
            }

            ExecuteLocked(plan, inputs, outputs);
        }
    }

    /// <summary>
    /// Runs a plan just compiled <paramref name="runs"/> times on zero inputs: the first call of each kernel compiles it
    /// (tens of milliseconds for a network, more than a run) and the first run touches the plan's memory, so both happen
    /// at load instead of in the app's first inference. Nothing is recorded or returned.
    /// </summary>
    private void WarmUp(CpuPlan plan, int runs)
    {
        if (runs <= 0)
        {
            return;
        }

        for (int i = 0; i < plan.Inputs.Count; i++)
        {
            long bytes = Shapes.ElementCount(plan.GraphInputs[i].Dims) * sizeof(float);
            NativeMemory.Clear((void*)plan.Inputs[i], (nuint)bytes);
        }

        try
        {
            for (int r = 0; r < runs; r++)
            {
                plan.Execute();
            }
        }
        catch (Exception e)
        {
            // The session is not returned: free the plan's memory whatever failed.
            plan.Dispose();
            if (e is LightNetException or OutOfMemoryException)
            {
                throw;
            }

            throw new LightNetException(ErrorCode.InferenceFailed, $"cpu-simd failed its warm-up run of '{_modelName}': {e.Message}", e);
        }
    }

    /// <summary>Copies the inputs in, runs the plan and copies the outputs out. Call under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteLocked(PlanEntry entry, TensorBuffer[] inputs, TensorBuffer[] outputs)
    {
        CpuPlan plan = entry.Plan;
        entry.LastUsed = ++_clock;
        for (int i = 0; i < inputs.Length; i++)
        {
            CopyIn(inputs[i], (float*)plan.Inputs[i]);
        }

        try
        {
            if (_profiling)
            {
                long[] ticks = new long[plan.Steps.Count];
                plan.Execute(ticks);
                _profileRuns.Add((entry, ticks));
            }
            else
            {
                plan.Execute();
            }
        }
        catch (Exception e) when (e is not LightNetException and not OutOfMemoryException)
        {
            throw new LightNetException(ErrorCode.InferenceFailed, $"cpu-simd failed running '{_modelName}': {e.Message}", e);
        }

        for (int i = 0; i < outputs.Length; i++)
        {
            CopyOut((float*)plan.Outputs[i], outputs[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyIn(TensorBuffer t, float* dst)
    {
        long n = t.ElementCount;
        if (t.ElementType == TensorElementType.Float16)
        {
            ReadOnlySpan<Half> src = MemoryMarshal.Cast<byte, Half>(t.Bytes);
            for (int i = 0; i < n; i++)
            {
                dst[i] = (float)src[i];
            }

            return;
        }

        fixed (byte* src = t.Bytes)
        {
            Buffer.MemoryCopy(src, dst, n * sizeof(float), n * sizeof(float));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyOut(float* src, TensorBuffer t)
    {
        long n = t.ElementCount;
        if (t.ElementType == TensorElementType.Float16)
        {
            Span<Half> dst = MemoryMarshal.Cast<byte, Half>(t.Bytes);
            for (int i = 0; i < n; i++)
            {
                dst[i] = (Half)src[i];
            }

            return;
        }

        fixed (byte* dst = t.Bytes)
        {
            Buffer.MemoryCopy(src, dst, n * sizeof(float), n * sizeof(float));
        }
    }

    private static TensorBuffer[] AllocateOutputs(CpuPlan plan) =>
        plan.GraphOutputs.Select(o => TensorBuffer.Allocate(o.ElementType, o.Dims)).ToArray();

    /// <summary>Binds the inputs by name and checks each one's element type, rank and fixed dimensions.</summary>
    private TensorBuffer[] CheckInputs(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string name in inputs.Keys.Where(n => !_inputIndex.ContainsKey(n)))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Model '{_modelName}' has no input '{name}'; its inputs: {string.Join(", ", Inputs.Select(i => i.ToString()))}.");
        }

        var bound = new TensorBuffer[Inputs.Count];
        for (int k = 0; k < Inputs.Count; k++)
        {
            TensorSpec spec = Inputs[k];
            if (!inputs.TryGetValue(spec.Name, out TensorBuffer? t))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Model '{_modelName}' needs input {spec}, which was not given.");
            }

            if (t.ElementType != spec.ElementType)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Input '{spec.Name}' of '{_modelName}' is {spec.ElementType}, but a {t.ElementType} tensor was given.");
            }

            InputShapeMatcher.Check(_modelName, spec.Name, _declaredInputs[k].Declared, t.Shape);
            bound[k] = t;
        }

        return bound;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(CpuSimdSession), $"The session for '{_modelName}' on '{Backend.Name}' has been disposed.");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_gate)
            {
                foreach (PlanEntry p in _plans.Concat(_evictedButHeld))
                {
                    p.Plan.Dispose();
                }

                _plans.Clear();
                _evictedButHeld.Clear();
                _profileRuns.Clear();
            }
        }
    }

    /// <summary>One compiled plan in the cache, with its use clock and the prepared runs that hold it.</summary>
    private sealed class PlanEntry(CpuPlan plan)
    {
        public CpuPlan Plan { get; } = plan;

        public long[][] InputShapes { get; } = plan.GraphInputs.Select(b => b.Dims).ToArray();

        /// <summary>The session clock at the last run (least recently used is evicted first).</summary>
        public long LastUsed { get; set; }

        /// <summary>Prepared runs bound to this plan; it is not freed while any is alive.</summary>
        public int Holders { get; set; }

        /// <summary>Out of the cache; freed when <see cref="Holders"/> drops to zero.</summary>
        public bool Evicted { get; set; }

        /// <summary>Whether the plan was compiled for exactly these input shapes. Allocation-free.</summary>
        public bool Matches(TensorBuffer[] bound)
        {
            for (int k = 0; k < bound.Length; k++)
            {
                long[] dims = InputShapes[k];
                IReadOnlyList<long> shape = bound[k].Shape;
                if (dims.Length != shape.Count)
                {
                    return false;
                }

                for (int i = 0; i < dims.Length; i++)
                {
                    if (dims[i] != shape[i])
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }

    /// <summary>Inputs, outputs and plan bound once: each Run copies in, executes, copies out, and allocates nothing.</summary>
    private sealed class PreparedRun(CpuSimdSession owner, PlanEntry plan, TensorBuffer[] inputs, TensorBuffer[] outputs) : IPreparedRun
    {
        private int _busy;
        private int _disposed;

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } =
            owner.Outputs.Select((o, i) => (o.Name, Buffer: outputs[i])).ToDictionary(p => p.Name, p => p.Buffer, StringComparer.Ordinal);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run()
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(IPreparedRun), "The prepared run has been disposed.");
            }

            owner.ThrowIfDisposed();
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation,
                    "A prepared run was started from two threads at once; prepare one per thread (IInferenceSession.Run is thread-safe).");
            }

            try
            {
                owner.ExecutePrepared(plan, inputs, outputs);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(plan);
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Engine.Kernels;
using LightNet.Onnx;
using LightNet.Profiling;

namespace LightNet.Engine;

/// <summary>
/// A model compiled by <see cref="GraphOptimizer"/> into a <see cref="CpuPlan"/>. Runs are serialised by a lock
/// (the plan owns one arena and one worker pool); a prepared run copies its inputs in, executes and copies its
/// outputs out without allocating.
/// </summary>
internal sealed unsafe class CpuSimdSession : IInferenceSession
{
    private readonly object _gate = new();
    private readonly CpuPlan _plan;
    private readonly string _modelName;
    private readonly bool _profiling;
    private readonly List<long[]> _profileRuns = [];
    private int _disposed;

    public CpuSimdSession(CpuSimdBackend backend, Model model, InferenceOptions options, Isa isa, int threads, int spinMicroseconds = WorkerPool.DefaultSpinMicroseconds)
    {
        Backend = backend;
        _modelName = model.SourcePath ?? model.Graph.Name;
        _profiling = options.PerOperatorProfiling;
        OptimizedGraph graph = GraphOptimizer.Optimize(model, options.DimensionValues, fuse: options.GraphOptimization >= GraphOptimization.Extended);
        _plan = new CpuPlan(graph, isa, threads, spinMicroseconds);
        Inputs = graph.Inputs.Select(b => new TensorSpec(b.Name, b.ElementType, b.Declared)).ToArray();
        Outputs = graph.Outputs.Select(b => new TensorSpec(b.Name, b.ElementType, b.Declared)).ToArray();
    }

    public Backend Backend { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    internal CpuPlan Plan => _plan;

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        TensorBuffer[] bound = CheckInputs(inputs);
        TensorBuffer[] outputs = AllocateOutputs();
        Execute(bound, outputs);
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
        TensorBuffer[] outputs = AllocateOutputs();
        var run = new PreparedRun(this, bound, outputs);
        run.Run(); // warm-up, as the ONNX Runtime session's Prepare does
        return run;
    }

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        ThrowIfDisposed();
        if (!_profiling)
        {
            return null;
        }

        lock (_gate)
        {
            long[][] runs = _profileRuns.Skip(Math.Max(0, skipFirstRuns)).ToArray();
            _profileRuns.Clear();
            IReadOnlyList<PlanStep> steps = _plan.Steps;
            double msPerTick = 1000.0 / Stopwatch.Frequency;
            double[] totals = new double[steps.Count];
            foreach (long[] r in runs)
            {
                for (int i = 0; i < totals.Length; i++)
                {
                    totals[i] += r[i] * msPerTick;
                }
            }

            double totalMs = totals.Sum();
            double Percent(double ms) => totalMs > 0 ? ms / totalMs * 100.0 : 0.0;
            int calls = runs.Length;
            OperatorTiming[] nodes = steps.Select((s, i) => new OperatorTiming(s.Node.Name, ProfileOpType(s.Node), s.Algorithm, calls, totals[i],
                    calls == 0 ? 0 : totals[i] / calls, Percent(totals[i])))
                .OrderByDescending(t => t.TotalMs).ToArray();
            OperatorTypeTiming[] byType = nodes.GroupBy(n => n.OpType)
                .Select(g => new OperatorTypeTiming(g.Key, g.Count(), g.Sum(n => n.Calls), g.Sum(n => n.TotalMs), Percent(g.Sum(n => n.TotalMs))))
                .OrderByDescending(t => t.TotalMs).ThenBy(t => t.OpType, StringComparer.Ordinal).ToArray();
            return new OperatorProfile(nodes, byType, calls, totalMs);
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

    private void Execute(TensorBuffer[] inputs, TensorBuffer[] outputs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            for (int i = 0; i < inputs.Length; i++)
            {
                CopyIn(inputs[i], (float*)_plan.Inputs[i]);
            }

            try
            {
                if (_profiling)
                {
                    long[] ticks = new long[_plan.Steps.Count];
                    _plan.Execute(ticks);
                    _profileRuns.Add(ticks);
                }
                else
                {
                    _plan.Execute();
                }
            }
            catch (Exception e) when (e is not LightNetException and not OutOfMemoryException)
            {
                throw new LightNetException(ErrorCode.InferenceFailed, $"cpu-simd failed running '{_modelName}': {e.Message}", e);
            }

            for (int i = 0; i < outputs.Length; i++)
            {
                CopyOut((float*)_plan.Outputs[i], outputs[i]);
            }
        }
    }

    private static void CopyIn(TensorBuffer t, float* dst)
    {
        long n = t.ElementCount;
        if (t.ElementType == TensorElementType.Float16)
        {
            ReadOnlySpan<Half> src = MemoryMarshal.Cast<byte, Half>(t.PinnedArray.AsSpan());
            for (int i = 0; i < n; i++)
            {
                dst[i] = (float)src[i];
            }

            return;
        }

        fixed (byte* src = t.PinnedArray)
        {
            Buffer.MemoryCopy(src, dst, n * sizeof(float), n * sizeof(float));
        }
    }

    private static void CopyOut(float* src, TensorBuffer t)
    {
        long n = t.ElementCount;
        if (t.ElementType == TensorElementType.Float16)
        {
            Span<Half> dst = MemoryMarshal.Cast<byte, Half>(t.PinnedArray.AsSpan());
            for (int i = 0; i < n; i++)
            {
                dst[i] = (Half)src[i];
            }

            return;
        }

        fixed (byte* dst = t.PinnedArray)
        {
            Buffer.MemoryCopy(src, dst, n * sizeof(float), n * sizeof(float));
        }
    }

    private TensorBuffer[] AllocateOutputs() =>
        _plan.GraphOutputs.Select(o => TensorBuffer.Allocate(o.ElementType, o.Dims)).ToArray();

    private TensorBuffer[] CheckInputs(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string name in inputs.Keys.Where(n => Inputs.All(i => i.Name != n)))
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

            long[] expected = _plan.GraphInputs[k].Dims;
            if (!t.Shape.SequenceEqual(expected))
            {
                bool symbolic = spec.Shape.Any(d => !d.IsFixed);
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Input '{spec.Name}' of '{_modelName}' has shape {Dimension.Format(spec.Shape)}" +
                    (symbolic ? $" (compiled for {Dimension.Format(expected)}; set InferenceOptions.DimensionValues to compile another size)" : "") +
                    $", but a tensor of shape {Dimension.Format(t.Shape)} was given.");
            }

            bound[k] = t;
        }

        return bound;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new LightNetException(ErrorCode.InvalidOperation, $"The session for '{_modelName}' on '{Backend.Name}' has been disposed.");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_gate)
            {
                _plan.Dispose();
            }
        }
    }

    /// <summary>Inputs and outputs bound once: each Run copies in, executes, copies out, and allocates nothing.</summary>
    private sealed class PreparedRun(CpuSimdSession owner, TensorBuffer[] inputs, TensorBuffer[] outputs) : IPreparedRun
    {
        private int _busy;
        private int _disposed;

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } =
            owner.Outputs.Select((o, i) => (o.Name, Buffer: outputs[i])).ToDictionary(p => p.Name, p => p.Buffer, StringComparer.Ordinal);

        public void Run()
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation, "The prepared run has been disposed.");
            }

            owner.ThrowIfDisposed();
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation,
                    "A prepared run was started from two threads at once; prepare one per thread (IInferenceSession.Run is thread-safe).");
            }

            try
            {
                owner.Execute(inputs, outputs);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
    }
}

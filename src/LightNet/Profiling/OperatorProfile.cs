namespace LightNet.Profiling;

/// <summary>The time one graph node spent in its kernel, summed over the profiled runs.</summary>
/// <param name="Name">The node's name as the runtime reports it (after its graph optimizations, so a fused node carries
/// the name the optimizer gave it).</param>
/// <param name="OpType">The operator the runtime executed, such as <c>Conv</c> or <c>FusedConv</c>; empty when the trace
/// does not say.</param>
/// <param name="Provider">The execution provider that ran it, such as <c>CPUExecutionProvider</c>; empty when the trace
/// does not say.</param>
/// <param name="Calls">How many times the kernel ran (once per run for a node outside loops).</param>
/// <param name="TotalMs">Kernel time summed over all calls, in milliseconds.</param>
/// <param name="MeanMs">Kernel time per call, in milliseconds.</param>
/// <param name="Percent">This node's share of the summed kernel time of all nodes, 0 to 100.</param>
public sealed record OperatorTiming(string Name, string OpType, string Provider, int Calls, double TotalMs, double MeanMs, double Percent)
{
    /// <summary>95% confidence interval of <see cref="MeanMs"/> over the calls (Student t); the mean itself with one call.</summary>
    public ConfidenceInterval MeanCi { get; init; }

    /// <summary>
    /// Whether the node's time is too noisy to rank it with confidence: the half-width of <see cref="MeanCi"/> exceeds
    /// <see cref="NoisyHalfWidth"/> (10%) of the mean. Set from two calls on.
    /// </summary>
    public bool Noisy { get; init; }

    /// <summary>The relative half-width of <see cref="MeanCi"/> above which a node is <see cref="Noisy"/>.</summary>
    public const double NoisyHalfWidth = 0.10;

    /// <summary>This timing with the spread of its calls: <see cref="MeanCi"/> and <see cref="Noisy"/>.</summary>
    /// <param name="callMs">The milliseconds of every call, at least one.</param>
    internal OperatorTiming WithSpread(ReadOnlySpan<double> callMs)
    {
        if (callMs.IsEmpty)
        {
            return this;
        }

        ConfidenceInterval ci = LatencyStatistics.FromSamples(callMs).MeanConfidenceInterval;
        return this with { MeanCi = ci, Noisy = callMs.Length > 1 && MeanMs > 0 && (ci.Upper - ci.Lower) / 2 > NoisyHalfWidth * MeanMs };
    }
}

/// <summary>The kernel time of all nodes of one operator type, summed over the profiled runs.</summary>
/// <param name="OpType">The operator the runtime executed, such as <c>Conv</c>; empty for nodes whose trace events do
/// not say.</param>
/// <param name="Nodes">How many distinct nodes of this type ran.</param>
/// <param name="Calls">Kernel calls of those nodes, summed.</param>
/// <param name="TotalMs">Kernel time of those nodes, summed, in milliseconds.</param>
/// <param name="Percent">This type's share of the summed kernel time of all nodes, 0 to 100.</param>
public sealed record OperatorTypeTiming(string OpType, int Nodes, int Calls, double TotalMs, double Percent);

/// <summary>
/// Where inference time goes, per node and per operator type, as read from a runtime's profiling trace by
/// <see cref="OnnxRuntimeTraceParser"/>. Both lists are sorted by <c>TotalMs</c>, largest first (ties by name).
/// </summary>
/// <param name="Nodes">One entry per node, largest total kernel time first.</param>
/// <param name="ByOpType">One entry per operator type, largest total kernel time first.</param>
/// <param name="Runs">How many inference runs (<c>model_run</c> events) the profile covers, after any skipped ones.</param>
/// <param name="TotalMs">Kernel time of all nodes over all profiled runs, in milliseconds: the sum the percentages
/// refer to. It leaves out the time between kernels, so under sequential execution (the default) it is at most the
/// runs' wall time.</param>
public sealed record OperatorProfile(IReadOnlyList<OperatorTiming> Nodes, IReadOnlyList<OperatorTypeTiming> ByOpType, int Runs, double TotalMs);

/// <summary>Builds an <see cref="OperatorProfile"/> from per-run, per-node stopwatch ticks (the managed engine's sessions).</summary>
internal static class OperatorProfileBuilder
{
    /// <summary>Sums each node's ticks over <paramref name="runs"/> and groups them by operator type.</summary>
    /// <param name="nodes">Name, operator type and kernel (provider column) of each node, in tick order.</param>
    /// <param name="runs">One array of ticks per run, one entry per node.</param>
    public static OperatorProfile Build(IReadOnlyList<(string Name, string OpType, string Kernel)> nodes, IReadOnlyList<long[]> runs)
    {
        double msPerTick = 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        double[] totals = new double[nodes.Count];
        foreach (long[] r in runs)
        {
            for (int i = 0; i < totals.Length; i++)
            {
                totals[i] += r[i] * msPerTick;
            }
        }

        double totalMs = totals.Sum();
        double Percent(double ms) => totalMs > 0 ? ms / totalMs * 100.0 : 0.0;
        int calls = runs.Count;
        OperatorTiming[] timings = nodes.Select((n, i) => new OperatorTiming(n.Name, n.OpType, n.Kernel, calls, totals[i],
                calls == 0 ? 0 : totals[i] / calls, Percent(totals[i])).WithSpread(runs.Select(r => r[i] * msPerTick).ToArray()))
            .OrderByDescending(t => t.TotalMs).ToArray();
        OperatorTypeTiming[] byType = timings.GroupBy(n => n.OpType)
            .Select(g => new OperatorTypeTiming(g.Key, g.Count(), g.Sum(n => n.Calls), g.Sum(n => n.TotalMs), Percent(g.Sum(n => n.TotalMs))))
            .OrderByDescending(t => t.TotalMs).ThenBy(t => t.OpType, StringComparer.Ordinal).ToArray();
        return new OperatorProfile(timings, byType, calls, totalMs);
    }
}

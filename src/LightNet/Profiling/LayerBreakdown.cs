using LightNet.Analysis;

namespace LightNet.Profiling;

/// <summary>One backend's per-operator profile of a model, the input of <see cref="LayerBreakdown.Create"/>.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="Profile">Its per-operator profile (<see cref="Backends.IInferenceSession.CollectOperatorProfile"/>).</param>
/// <param name="MedianMs">Its measured end-to-end median latency in milliseconds, or NaN when not measured.</param>
public sealed record BackendOperatorProfile(string Backend, OperatorProfile Profile, double MedianMs);

/// <summary>One backend's time in one <see cref="LayerKindRow"/>.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="Nodes">How many of the nodes it reported fell into this kind (a backend that fuses reports fewer).</param>
/// <param name="Ms">Kernel time per run, in milliseconds.</param>
/// <param name="Percent">Share of the backend's summed kernel time, 0 to 100.</param>
/// <param name="Ratio"><see cref="Ms"/> over the baseline backend's (above 1 is slower than the baseline); NaN when the baseline spent no time here.</param>
public sealed record LayerKindTime(string Backend, int Nodes, double Ms, double Percent, double Ratio);

/// <summary>The time of all layers of one kind, on every backend.</summary>
/// <param name="Kind">The kind's name (<see cref="LayerKind.Name"/>), such as <c>conv 3×3 depthwise</c>.</param>
/// <param name="Category">The kind's family.</param>
/// <param name="Layers">How many layers of this kind the model has (0 for the inserted and unmatched rows).</param>
/// <param name="Macs">Multiply-accumulates of those layers in one run.</param>
/// <param name="Times">One entry per backend, in the order of <see cref="LayerBreakdown.Backends"/>.</param>
public sealed record LayerKindRow(string Kind, LayerCategory Category, int Layers, long Macs, IReadOnlyList<LayerKindTime> Times);

/// <summary>The time of one layer of the model on every backend.</summary>
/// <param name="Name">The layer's name (its first node's).</param>
/// <param name="Kind">The kind's name.</param>
/// <param name="Macs">Multiply-accumulates in one run.</param>
/// <param name="Ms">Kernel time per run in milliseconds, one per backend in the order of <see cref="LayerBreakdown.Backends"/>.</param>
public sealed record LayerTime(string Name, string Kind, long Macs, IReadOnlyList<double> Ms);

/// <summary>A reported node that matched nothing in the model.</summary>
/// <param name="Name">The name the backend reported.</param>
/// <param name="OpType">The operator type it reported.</param>
/// <param name="Ms">Its kernel time per run, in milliseconds.</param>
public sealed record UnmatchedNode(string Name, string OpType, double Ms);

/// <summary>One backend's summed kernel time against its measured latency.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="Runs">Runs the per-operator profile covers.</param>
/// <param name="OperatorsMs">Kernel time of all reported nodes per run, in milliseconds.</param>
/// <param name="MedianMs">The measured end-to-end median latency, or NaN.</param>
/// <param name="GapMs"><see cref="MedianMs"/> minus <see cref="OperatorsMs"/>: the time between operators (and the profiler's own
/// cost, which makes it smaller or negative); NaN without a median.</param>
/// <param name="Unmatched">The reported nodes that matched nothing in the model, largest first (they are in the
/// <see cref="LayerKind.Unmatched"/> row).</param>
public sealed record LayerBackendTotal(string Backend, int Runs, double OperatorsMs, double MedianMs, double GapMs, IReadOnlyList<UnmatchedNode> Unmatched);

/// <summary>
/// Where the time of one model goes on several backends, by layer kind: each backend's per-operator profile mapped back to
/// the model's layers (<see cref="ModelLayers"/>, fused nodes included), summed per kind, with each kind's share and its
/// ratio to a baseline backend, and the sum of the operators beside the measured latency.
/// </summary>
/// <remarks>
/// Kernel times come from a profiling pass, which slows every node down a little (most on fast nodes), so compare shares
/// and ratios rather than absolute milliseconds with a latency measured without it. Nodes a runtime inserts (ONNX Runtime's
/// NCHWc <c>ReorderInput</c>/<c>ReorderOutput</c>) are the <see cref="LayerKind.LayoutConversion"/> row; reported names that
/// match nothing are the <see cref="LayerKind.Unmatched"/> row and listed in <see cref="LayerBackendTotal.Unmatched"/>, never dropped.
/// </remarks>
/// <example>
/// <code>
/// ComparisonReport report = Profiler.Compare([model], [Backend.Parse("cpu-simd"), Backend.Parse("ort-cpu")],
///     ProfileOptions.Quick with { Threads = 1, PerOperatorProfile = true }, baseline: "ort-cpu");
/// foreach (LayerKindRow row in report.Layers[0].Kinds)
///     Console.WriteLine($"{row.Kind}: {row.Times[0].Ms:F2} ms, {row.Times[0].Ratio:F2}x");
/// </code>
/// </example>
public sealed record LayerBreakdown
{
    /// <summary>The model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The backend whose times the ratios divide by.</summary>
    public required string Baseline { get; init; }

    /// <summary>The backends, in the order of every per-backend list.</summary>
    public required IReadOnlyList<string> Backends { get; init; }

    /// <summary>One row per layer kind that a backend reported time for, the baseline's most expensive first; then the
    /// <see cref="LayerKind.LayoutConversion"/> row and last the <see cref="LayerKind.Unmatched"/> row, where there are such nodes.</summary>
    public IReadOnlyList<LayerKindRow> Kinds { get; init; } = [];

    /// <summary>One row per layer that a backend reported time for, in the model's order.</summary>
    public IReadOnlyList<LayerTime> Layers { get; init; } = [];

    /// <summary>One entry per backend, in the order of <see cref="Backends"/>.</summary>
    public IReadOnlyList<LayerBackendTotal> Totals { get; init; } = [];

    /// <summary>Maps every backend's per-operator profile onto the layers of <paramref name="model"/> and sums it by kind.</summary>
    /// <param name="model">The model the profiles were taken on.</param>
    /// <param name="profiles">One profile per backend, at least one, with distinct backend names.</param>
    /// <param name="baseline">The backend the ratios divide by; null for the first.</param>
    /// <param name="info">The model's analysis at the measured shapes, for MACs; null to analyse it at its declared shapes.</param>
    /// <returns>The breakdown.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="profiles"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when there is no profile, one is null or has a
    /// null backend or profile, two share a backend name, or <paramref name="baseline"/> is not among them.</exception>
    public static LayerBreakdown Create(Model model, IReadOnlyList<BackendOperatorProfile> profiles, string? baseline = null, ModelInfo? info = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A layer breakdown needs the per-operator profile of at least one backend.");
        }

        if (profiles.Any(p => p?.Profile is null || p.Backend is null))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Each profile of a layer breakdown needs a backend name and an operator profile; one is null.");
        }

        string[] backends = profiles.Select(p => p.Backend).ToArray();
        if (backends.Distinct(StringComparer.Ordinal).Count() != backends.Length)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Each backend may give one profile, but the backends are {string.Join(", ", backends)}.");
        }

        baseline ??= backends[0];
        int baseIndex = Array.IndexOf(backends, baseline);
        if (baseIndex < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The baseline '{baseline}' is not among the profiled backends ({string.Join(", ", backends)}).");
        }

        ModelLayers layers = ModelLayers.Of(model, info);
        var kindOf = new Dictionary<string, LayerKind>(StringComparer.Ordinal);
        var kindMs = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var kindNodes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var layerMs = new Dictionary<ModelLayer, double[]>();
        var totals = new LayerBackendTotal[backends.Length];
        foreach (ModelLayer layer in layers.Layers)
        {
            kindOf.TryAdd(layer.Kind.Name, layer.Kind);
        }

        for (int b = 0; b < backends.Length; b++)
        {
            OperatorProfile profile = profiles[b].Profile;
            int runs = Math.Max(1, profile.Runs);
            var unmatched = new List<UnmatchedNode>();
            double sum = 0;
            foreach (OperatorTiming node in profile.Nodes)
            {
                double ms = node.TotalMs / runs;
                sum += ms;
                ModelLayer? layer = LayerKind.IsInserted(node.OpType) ? null : layers.Find(node.Name);
                LayerKind kind = layer?.Kind ?? (LayerKind.IsInserted(node.OpType) ? LayerKind.LayoutConversion : LayerKind.Unmatched);
                if (layer is null && kind == LayerKind.Unmatched)
                {
                    unmatched.Add(new UnmatchedNode(node.Name, node.OpType, ms));
                }

                kindOf.TryAdd(kind.Name, kind);
                Slot(kindMs, kind.Name, backends.Length)[b] += ms;
                Slot(kindNodes, kind.Name, backends.Length)[b]++;
                if (layer is not null)
                {
                    Slot(layerMs, layer, backends.Length)[b] += ms;
                }
            }

            double median = profiles[b].MedianMs;
            totals[b] = new LayerBackendTotal(backends[b], profile.Runs, sum, median, double.IsFinite(median) ? median - sum : double.NaN,
                [.. unmatched.OrderByDescending(u => u.Ms).ThenBy(u => u.Name, StringComparer.Ordinal)]);
        }

        var rows = new List<LayerKindRow>();
        foreach ((string name, LayerKind kind) in kindOf.Where(k => kindNodes.ContainsKey(k.Key)))
        {
            double[] ms = kindMs.GetValueOrDefault(name) ?? new double[backends.Length];
            int[] nodes = kindNodes.GetValueOrDefault(name) ?? new int[backends.Length];
            List<ModelLayer> members = layers.Layers.Where(l => l.Kind.Name == name).ToList();
            rows.Add(new LayerKindRow(name, kind.Category, members.Count, members.Sum(l => l.Macs),
                backends.Select((backend, b) => new LayerKindTime(backend, nodes[b], ms[b],
                    totals[b].OperatorsMs > 0 ? ms[b] / totals[b].OperatorsMs * 100 : 0,
                    ms[baseIndex] > 0 ? ms[b] / ms[baseIndex] : double.NaN)).ToArray()));
        }

        return new LayerBreakdown
        {
            Model = Profiler.ModelName(model),
            Baseline = baseline,
            Backends = backends,
            Kinds = [.. rows.OrderBy(r => r.Category switch { LayerCategory.Inserted => 1, LayerCategory.Unmatched => 2, _ => 0 })
                .ThenByDescending(r => r.Times[baseIndex].Ms).ThenByDescending(r => r.Times.Max(t => t.Ms)).ThenBy(r => r.Kind, StringComparer.Ordinal)],
            Layers = [.. layers.Layers.Where(layerMs.ContainsKey).Select(l => new LayerTime(l.Name, l.Kind.Name, l.Macs, layerMs[l]))],
            Totals = totals,
        };
    }

    private static T[] Slot<TKey, T>(Dictionary<TKey, T[]> table, TKey key, int length)
        where TKey : notnull
    {
        if (!table.TryGetValue(key, out T[]? slot))
        {
            table[key] = slot = new T[length];
        }

        return slot;
    }
}

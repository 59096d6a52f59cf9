namespace LightNet.Engine;

/// <summary>
/// Assigns every run-time value of an <see cref="OptimizedGraph"/> a 64-byte-aligned offset in one arena by
/// liveness: a value's block is reused once its last reader has run; views (Reshape, Flatten, Squeeze,
/// Unsqueeze) share their input's block; element-wise ops write in place over an input that dies with them; and the
/// inputs of a Concat whose inputs are contiguous slabs of its output (nothing outside the concatenated axis but ones)
/// are placed in their slice of its block when the Concat is their last reader, so their producers write straight into
/// the output and the Concat does nothing (<see cref="ElidedConcats"/>).
/// </summary>
internal sealed class MemoryPlan
{
    private static readonly HashSet<string> s_inPlace = new(StringComparer.Ordinal)
    {
        "Activation", "ChannelAffine", "FakeQuant", "RoundToHalf", "Add", "Sub", "Mul", "Div", "PRelu",
    };

    private MemoryPlan(Dictionary<string, long> offsets, long arenaBytes, int inPlace, long naiveBytes, HashSet<string> elidedConcats)
    {
        Offsets = offsets;
        ElidedConcats = elidedConcats;
        ArenaBytes = arenaBytes;
        InPlaceCount = inPlace;
        NaiveBytes = naiveBytes;
    }

    /// <summary>Byte offset of each run-time value in the arena.</summary>
    public IReadOnlyDictionary<string, long> Offsets { get; }

    /// <summary>Arena size in bytes (a 64-byte multiple).</summary>
    public long ArenaBytes { get; }

    /// <summary>Element-wise nodes that write over their input.</summary>
    public int InPlaceCount { get; }

    /// <summary>Bytes the values would take without reuse, for comparison.</summary>
    public long NaiveBytes { get; }

    /// <summary>Outputs of the Concat nodes whose inputs were placed in their output's slices: the node has nothing to do.</summary>
    public IReadOnlySet<string> ElidedConcats { get; }

    public static long Align(long bytes) => (bytes + 63) & ~63L;

    /// <summary>
    /// Plans <paramref name="graph"/>; <paramref name="elements"/> gives the floats of a value stored with padding (a
    /// channel-blocked value, <see cref="BlockedLayout"/>), null for the others (their shape's element count);
    /// <paramref name="alsoReads"/> names values a node's step reads beyond its inputs and residual (a fused pair's step
    /// reads its first node's input), which then live until that step.
    /// </summary>
    public static MemoryPlan Create(OptimizedGraph graph, Func<string, long?>? elements = null, Func<OptimizedNode, IEnumerable<string>>? alsoReads = null)
    {
        IEnumerable<string> Reads(OptimizedNode n) => MemoryPlan.Reads(n).Concat(alsoReads?.Invoke(n) ?? []);

        // Storage roots: a view's output (and an in-place output) lives in its input's block.
        var root = new Dictionary<string, string>(StringComparer.Ordinal);
        string Root(string v)
        {
            while (root.TryGetValue(v, out string? r))
            {
                v = r;
            }

            return v;
        }

        long Bytes(string v) => Align(Math.Max(1, elements?.Invoke(v) ?? Onnx.Shapes.ElementCount(graph.Dims(v))) * sizeof(float));
        bool IsConstant(string v) => graph.Constants.ContainsKey(v);

        int end = graph.Nodes.Count;
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        var defined = new Dictionary<string, int>(StringComparer.Ordinal);
        var outputs = graph.Outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Inputs.Select(i => i.Value).ToHashSet(StringComparer.Ordinal);
        foreach (string i in inputs)
        {
            defined[i] = -1;
        }

        // First pass: views and in-place decisions, with per-value last uses.
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            foreach (string x in Reads(graph.Nodes[s]).Where(x => !IsConstant(x)))
            {
                uses[x] = s;
            }
        }

        // Per storage root, kept up to date as values join it: the last step any of its values is read, and whether one
        // of them is a graph output. A value's root is stored directly (never a chain), so each decision is O(1) and
        // planning stays linear in the graph (it was cubic in the length of an in-place chain).
        var rootLastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        var rootHoldsOutput = new HashSet<string>(StringComparer.Ordinal);
        int LastUseOf(string r) => rootLastUse.TryGetValue(r, out int last) ? last : uses.GetValueOrDefault(r, -1);
        bool HoldsOutput(string r) => rootHoldsOutput.Contains(r) || outputs.Contains(r);
        void Join(string value, string r)
        {
            root[value] = r;
            rootLastUse[r] = Math.Max(LastUseOf(r), uses.GetValueOrDefault(value, -1));
            if (outputs.Contains(value))
            {
                rootHoldsOutput.Add(r);
            }
        }

        int inPlace = 0;
        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            OptimizedNode n = graph.Nodes[s];
            if (n.OpType == "View")
            {
                Join(n.Outputs[0], Root(n.Inputs[0]));
                continue;
            }

            if (s_inPlace.Contains(n.OpType) && !outputs.Contains(n.Outputs[0]))
            {
                string? victim = n.Inputs.Where(x => x.Length > 0 && !IsConstant(x)).FirstOrDefault(x =>
                    Bytes(x) == Bytes(n.Outputs[0]) && !HoldsOutput(Root(x)) && LastUseOf(Root(x)) <= s);
                if (victim is not null)
                {
                    Join(n.Outputs[0], Root(victim));
                    inPlace++;
                }
            }
        }

        // Concat elision: each input root placed at a byte offset in the Concat output's root (its "top").
        var slice = new Dictionary<string, (string Top, long Offset)>(StringComparer.Ordinal);
        var elided = new HashSet<string>(StringComparer.Ordinal);
        PlaceConcatInputs(graph, Root, LastUseOf, HoldsOutput, inputs, slice, elided);
        string Top(string r) => slice.TryGetValue(r, out var at) ? at.Top : r;
        long SliceOffset(string r) => slice.TryGetValue(r, out var at) ? at.Offset : 0;

        var outputRoots = outputs.Select(o => Top(Root(o))).ToHashSet(StringComparer.Ordinal);

        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            OptimizedNode n = graph.Nodes[s];
            foreach (string o in n.Outputs.Where(o => o.Length > 0))
            {
                defined.TryAdd(Top(Root(o)), s);
            }

            foreach (string x in Reads(n).Where(x => !IsConstant(x)))
            {
                lastUse[Top(Root(x))] = s;
            }
        }

        foreach (string o in outputs.Where(o => !IsConstant(o)))
        {
            lastUse[Top(Root(o))] = end;
        }

        // Block size of a root: the largest value it holds (a slice's values lie inside their Concat output).
        var size = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string v in graph.Nodes.SelectMany(n => n.Outputs).Concat(inputs).Where(v => v.Length > 0))
        {
            string r = Root(v);
            if (!slice.ContainsKey(r))
            {
                size[r] = Math.Max(size.GetValueOrDefault(r), Bytes(v));
            }
        }

        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        var live = new List<(long Offset, long Size, string Root)>();
        long arena = 0, naive = 0;
        void Allocate(string r)
        {
            if (offsets.ContainsKey(r))
            {
                return;
            }

            long need = size[r];
            naive += need;
            long at = 0;
            int position = 0;
            // live is kept sorted by offset (it was sorted again for every value: quadratic in the live values).
            for (; position < live.Count; position++)
            {
                (long off, long sz, _) = live[position];
                if (off - at >= need)
                {
                    break;
                }

                at = Math.Max(at, off + sz);
            }

            live.Insert(position, (at, need, r));
            offsets[r] = at;
            arena = Math.Max(arena, at + need);
        }

        void Release(int step)
        {
            live.RemoveAll(b => lastUse.GetValueOrDefault(b.Root, -1) <= step && !outputRoots.Contains(b.Root));
        }

        foreach (string i in inputs)
        {
            Allocate(Root(i));
        }

        Release(-1);
        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            foreach (string o in graph.Nodes[s].Outputs.Where(o => o.Length > 0))
            {
                Allocate(Top(Root(o)));
            }

            Release(s);
        }

        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string v in graph.Nodes.SelectMany(n => n.Outputs).Concat(inputs).Where(v => v.Length > 0))
        {
            string r = Root(v);
            result[v] = offsets[Top(r)] + SliceOffset(r);
        }

        return new MemoryPlan(result, Align(Math.Max(arena, 64)), inPlace, naive, elided);
    }

    // Finds the Concats whose inputs can live in their output: the output is one slab per input (every dimension before
    // the axis is 1), and each input's storage root is produced by the graph, holds nothing bigger than the input,
    // is read for the last time by this Concat (so no later in-place write over the output can clobber a value still
    // needed), holds no graph output, starts at a 64-byte multiple of the output, and is not already placed elsewhere.
    private static void PlaceConcatInputs(OptimizedGraph graph, Func<string, string> rootOf, Func<string, int> lastUseOf,
        Func<string, bool> holdsOutput, HashSet<string> inputs,
        Dictionary<string, (string Top, long Offset)> slice, HashSet<string> elided)
    {
        var groupBytes = new Dictionary<string, long>(StringComparer.Ordinal);
        var definedAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            foreach (string o in graph.Nodes[s].Outputs.Where(o => o.Length > 0))
            {
                string r = rootOf(o);
                long bytes = Math.Max(1, Onnx.Shapes.ElementCount(graph.Dims(o))) * sizeof(float);
                groupBytes[r] = Math.Max(groupBytes.GetValueOrDefault(r), bytes);
                definedAt.TryAdd(r, s);
            }
        }

        for (int s = 0; s < graph.Nodes.Count; s++)
        {
            OptimizedNode n = graph.Nodes[s];
            if (n.OpType != "Concat" || n.Inputs.Length < 2 || n.Inputs.Any(i => i.Length == 0) || n.Outputs.Length != 1)
            {
                continue;
            }

            string output = n.Outputs[0];
            long[] dims = graph.Dims(output);
            int axis = (int)n.Source.GetInt("axis", 1);
            axis = axis < 0 ? axis + dims.Length : axis;
            if (axis < 0 || axis >= dims.Length || dims.Take(axis).Any(d => d != 1) || rootOf(output) != output)
            {
                continue;
            }

            var placed = new List<(string Root, long Offset)>();
            long offset = 0;
            bool ok = true;
            foreach (string x in n.Inputs)
            {
                string r = rootOf(x);
                long bytes = Onnx.Shapes.ElementCount(graph.Dims(x)) * sizeof(float);
                ok = !graph.Constants.ContainsKey(x) && !inputs.Contains(r) && definedAt.ContainsKey(r) && definedAt[r] < s
                    && groupBytes.GetValueOrDefault(r) == bytes && lastUseOf(r) == s && !holdsOutput(r)
                    && !slice.ContainsKey(r) && !elided.Contains(r) && offset % 64 == 0 && placed.All(p => p.Root != r);
                if (!ok)
                {
                    break;
                }

                placed.Add((r, offset));
                offset += bytes;
            }

            if (!ok)
            {
                continue;
            }

            foreach (var (r, at) in placed)
            {
                slice[r] = (output, at);
            }

            elided.Add(output);
        }
    }

    private static IEnumerable<string> Reads(OptimizedNode n) =>
        n.Inputs.Where(x => x.Length > 0).Concat(n.Residual is null ? [] : [n.Residual]);
}

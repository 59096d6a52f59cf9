using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Counts the pool's n-grams (with skips) in each row of a [C] or [N, C] token tensor and weights them (TF, IDF or TFIDF).</summary>
internal sealed class TfIdfVectorizer : OperatorDef
{
    public override string OpType => "TfIdfVectorizer";

    public override int SinceVersion => 9;

    public override string Types => "input: string, int32, int64; output: float32";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string mode = node.GetString("mode", "");
        if (mode is not "TF" and not "IDF" and not "TFIDF")
        {
            problems.Add($"attribute 'mode' = '{mode}' must be TF, IDF or TFIDF");
        }

        long min = node.GetInt("min_gram_length", 0), max = node.GetInt("max_gram_length", 0), skip = node.GetInt("max_skip_count", 0);
        if (min < 1 || max < min)
        {
            problems.Add($"attributes 'min_gram_length' = {min} and 'max_gram_length' = {max} must satisfy 1 <= min <= max");
        }

        if (skip < 0)
        {
            problems.Add($"attribute 'max_skip_count' = {skip} must not be negative");
        }

        try
        {
            _ = Trie.Build(node);
        }
        catch (ArgumentException e)
        {
            problems.Add(e.Message);
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank is not 1 and not 2 || x.Type is not TensorElementType.String and not TensorElementType.Int32 and not TensorElementType.Int64)
        {
            throw ctx.Fail($"the input {x} must be a [C] or [N, C] tensor of strings, int32 or int64");
        }

        bool stringPool = ctx.Node.Attributes.TryGetValue("pool_strings", out NodeAttribute? ps) && ps.StringValues.Count > 0;
        if (stringPool != (x.Type == TensorElementType.String))
        {
            throw ctx.Fail($"the input is {x.Type} but the pool holds {(stringPool ? "strings" : "integers")}");
        }

        Trie trie;
        try
        {
            trie = Trie.Build(ctx.Node);
        }
        catch (ArgumentException e)
        {
            throw ctx.Fail(e.Message);
        }

        long rows = x.Rank == 1 ? 1 : x.Dims[0];
        long cols = x.Dims[^1];
        long width = trie.OutputSize;
        long[] outDims = x.Rank == 1 ? [width] : [rows, width];
        var counts = new double[OpTensor.Count(outDims)];
        long[] tokens = trie.Tokens(x);
        int minGram = (int)ctx.Int("min_gram_length", 1), maxGram = (int)ctx.Int("max_gram_length", 1);
        long maxSkip = ctx.Int("max_skip_count", 0);
        for (long r = 0; r < rows; r++)
        {
            long rowStart = r * cols, rowEnd = rowStart + cols;
            int startSize = minGram;
            for (long distance = 1; distance <= maxSkip + 1; distance++)
            {
                for (long start = rowStart; start < rowEnd; start++)
                {
                    if (start + (distance * (startSize - 1)) >= rowEnd)
                    {
                        break;
                    }

                    Trie.NodeEntry? level = trie.Root;
                    long item = start;
                    for (int size = 1; size <= maxGram && item < rowEnd; size++, item += distance)
                    {
                        if (level.Children is null || !level.Children.TryGetValue(tokens[item], out Trie.NodeEntry? hit))
                        {
                            break;
                        }

                        if (size >= startSize && hit.Output >= 0)
                        {
                            counts[(r * width) + hit.Output] += 1;
                        }

                        level = hit;
                    }
                }

                if (startSize == 1)
                {
                    startSize++;
                    if (startSize > maxGram)
                    {
                        break;
                    }
                }
            }
        }

        string mode = ctx.String("mode", "TF");
        for (int i = 0; i < counts.Length; i++)
        {
            int output = (int)(i % width);
            double weight = trie.Weights?[output] ?? 1;
            counts[i] = mode switch
            {
                "IDF" => counts[i] > 0 ? weight : 0,
                "TFIDF" => counts[i] * weight,
                _ => counts[i],
            };
        }

        ctx.Set(0, OpTensor.FromDoubles(TensorElementType.Float, outDims, counts));
    }

    /// <summary>The pool of n-grams as a trie over token ids; terminal nodes carry their output column.</summary>
    private sealed class Trie
    {
        public sealed class NodeEntry
        {
            public Dictionary<long, NodeEntry>? Children;
            public long Output = -1;
        }

        public NodeEntry Root { get; } = new();

        public long OutputSize { get; private set; }

        /// <summary>Weight per output column (null: all 1).</summary>
        public double[]? Weights { get; private set; }

        private Dictionary<string, long>? _stringIds;

        public static Trie Build(Node node)
        {
            long[] counts = node.GetInts("ngram_counts")?.ToArray() ?? [];
            long[] indexes = node.GetInts("ngram_indexes")?.ToArray() ?? [];
            float[]? weights = node.GetFloats("weights")?.ToArray();
            long[]? ints = node.GetInts("pool_int64s")?.ToArray();
            IReadOnlyList<string>? strings = node.Attributes.TryGetValue("pool_strings", out NodeAttribute? ps) ? ps.StringValues : null;
            var trie = new Trie();
            long[] pool;
            if (strings is { Count: > 0 })
            {
                trie._stringIds = new Dictionary<string, long>(StringComparer.Ordinal);
                pool = new long[strings.Count];
                for (int i = 0; i < pool.Length; i++)
                {
                    if (!trie._stringIds.TryGetValue(strings[i], out long id))
                    {
                        id = trie._stringIds.Count;
                        trie._stringIds[strings[i]] = id;
                    }

                    pool[i] = id;
                }
            }
            else
            {
                pool = ints ?? throw new ArgumentException("one of the attributes 'pool_int64s' and 'pool_strings' is required");
            }

            if (indexes.Length == 0 || indexes.Any(i => i < 0 || i >= int.MaxValue))
            {
                throw new ArgumentException($"attribute 'ngram_indexes' = [{string.Join(", ", indexes)}] must be non-empty and non-negative");
            }

            trie.OutputSize = indexes.Max() + 1;
            if (weights is not null && weights.Length > 0)
            {
                if (weights.Length != indexes.Length)
                {
                    throw new ArgumentException($"attribute 'weights' has {weights.Length} values, 'ngram_indexes' {indexes.Length}");
                }

                trie.Weights = new double[trie.OutputSize];
                for (int i = 0; i < indexes.Length; i++)
                {
                    trie.Weights[indexes[i]] = weights[i];
                }
            }

            int ngram = 0;
            for (int g = 0; g < counts.Length; g++)
            {
                long start = counts[g], end = g + 1 < counts.Length ? counts[g + 1] : pool.Length;
                int size = g + 1;
                if (start < 0 || end > pool.Length || start > end || (end - start) % size != 0)
                {
                    throw new ArgumentException($"attribute 'ngram_counts' = [{string.Join(", ", counts)}] does not split the pool of {pool.Length} items into {size}-grams");
                }

                for (long p = start; p < end; p += size)
                {
                    NodeEntry node2 = trie.Root;
                    for (int k = 0; k < size; k++)
                    {
                        node2.Children ??= [];
                        if (!node2.Children.TryGetValue(pool[p + k], out NodeEntry? child))
                        {
                            child = new NodeEntry();
                            node2.Children[pool[p + k]] = child;
                        }

                        node2 = child;
                    }

                    if (ngram >= indexes.Length)
                    {
                        throw new ArgumentException($"the pool holds more n-grams than 'ngram_indexes' has entries ({indexes.Length})");
                    }

                    node2.Output = indexes[ngram++];
                }
            }

            return trie;
        }

        /// <summary>The input's tokens as trie keys (strings outside the pool get a key no n-gram uses).</summary>
        public long[] Tokens(OpTensor x)
        {
            if (x.Type != TensorElementType.String)
            {
                return x.ToLongs();
            }

            string[] s = x.Get<string>();
            var result = new long[s.Length];
            for (int i = 0; i < s.Length; i++)
            {
                result[i] = _stringIds is not null && _stringIds.TryGetValue(s[i], out long id) ? id : -1;
            }

            return result;
        }
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>The unique elements (or slices along 'axis') of a tensor, sorted or in order of first occurrence, with first indices, inverse indices and counts.</summary>
internal sealed class Unique : OperatorDef
{
    public override string OpType => "Unique";

    public override bool ShapeDependsOnValues => true;

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long sorted = node.GetInt("sorted", 1);
        if (sorted is not 0 and not 1)
        {
            problems.Add($"attribute 'sorted' = {sorted} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        bool hasAxis = ctx.HasAttribute("axis");
        int axis = hasAxis ? ctx.Axis(ctx.Int("axis", 0), x.Rank) : 0;
        OpTensor src = hasAxis ? x : x.WithDims([x.Length]);
        if (src.Rank == 0)
        {
            throw ctx.Fail("a scalar has no axis to take unique slices along");
        }

        long n = src.Dims[axis];
        long inner = TensorParts.Product(src.Dims, axis + 1, src.Rank);
        long outer = TensorParts.Product(src.Dims, 0, axis);
        Comparison<long> compareElements = ElementComparison(src);

        // Slice i compares element by element in row-major order.
        int Compare(long a, long b)
        {
            for (long o = 0; o < outer; o++)
            {
                long ba = ((o * n) + a) * inner, bb = ((o * n) + b) * inner;
                for (long k = 0; k < inner; k++)
                {
                    int c = compareElements(ba + k, bb + k);
                    if (c != 0)
                    {
                        return c;
                    }
                }
            }

            return 0;
        }

        // Sort slice indices stably (ties by index), then group equal runs.
        long[] order = new long[n];
        for (long i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => Compare(a, b) is var c && c != 0 ? c : a.CompareTo(b));
        var groupFirst = new List<long>();
        var groupCount = new List<long>();
        var groupOf = new long[n];
        for (long i = 0; i < n; i++)
        {
            if (i == 0 || Compare(order[i - 1], order[i]) != 0)
            {
                groupFirst.Add(order[i]);
                groupCount.Add(0);
            }

            groupCount[^1]++;
            groupOf[order[i]] = groupFirst.Count - 1;
        }

        int groups = groupFirst.Count;
        var rank = new int[groups];
        for (int g = 0; g < groups; g++)
        {
            rank[g] = g;
        }

        if (ctx.Int("sorted", 1) == 0)
        {
            // Order groups by first occurrence.
            int[] byFirst = Enumerable.Range(0, groups).OrderBy(g => groupFirst[g]).ToArray();
            for (int pos = 0; pos < groups; pos++)
            {
                rank[byFirst[pos]] = pos;
            }
        }

        var firstIndex = new long[groups];
        var counts = new long[groups];
        for (int g = 0; g < groups; g++)
        {
            firstIndex[rank[g]] = groupFirst[g];
            counts[rank[g]] = groupCount[g];
        }

        var inverse = new long[n];
        for (long i = 0; i < n; i++)
        {
            inverse[i] = rank[groupOf[i]];
        }

        long[] yDims = (long[])src.Dims.Clone();
        yDims[axis] = groups;
        var gather = new int[OpTensor.Count(yDims)];
        int w = 0;
        for (long o = 0; o < outer; o++)
        {
            for (int g = 0; g < groups; g++)
            {
                long b = ((o * n) + firstIndex[g]) * inner;
                for (long k = 0; k < inner; k++)
                {
                    gather[w++] = (int)(b + k);
                }
            }
        }

        ctx.Set(0, src.Gather(yDims, gather));
        ctx.Set(1, OpTensor.FromLongs([groups], firstIndex));
        ctx.Set(2, OpTensor.FromLongs([n], inverse));
        ctx.Set(3, OpTensor.FromLongs([groups], counts));
    }

    private static Comparison<long> ElementComparison(OpTensor t) => t.Data switch
    {
        string[] s => (a, b) => string.CompareOrdinal(s[a], s[b]),
        ulong[] u => (a, b) => u[a].CompareTo(u[b]),
        _ when t.IsFloat => Doubles(t.ToDoubles()),
        _ => Longs(t.ToLongs()),
    };

    private static Comparison<long> Doubles(double[] d) => (a, b) => d[a].CompareTo(d[b]);

    private static Comparison<long> Longs(long[] l) => (a, b) => l[a].CompareTo(l[b]);
}

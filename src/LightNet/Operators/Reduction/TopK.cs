using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>The k largest (or smallest) elements along an axis and their int64 indices, sorted, ties by lower index.</summary>
internal sealed class TopK : OperatorDef
{
    public override string OpType => "TopK";

    public override string Types => "float32, float16, float64, bfloat16, int8-64, uint8-64";

    public override string Limitations => "sorted=0 still returns the elements sorted (the specification leaves the order open)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (opset < 10 && !node.Attributes.ContainsKey("k"))
        {
            problems.Add("attribute 'k' is required before opset 10");
        }

        foreach (string name in new[] { "largest", "sorted" })
        {
            long v = node.GetInt(name, 1);
            if (v is not (0 or 1))
            {
                problems.Add($"attribute '{name}' = {v} must be 0 or 1");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"element type {x.Type} is not supported");
        }

        long k;
        if (ctx.Opset < 10)
        {
            k = ctx.Int("k", -1);
        }
        else
        {
            long[] kv = ctx.OptionalInts(1) ?? throw ctx.Fail("the K input is required");
            k = kv.Length == 1 ? kv[0] : throw ctx.Fail($"K must hold one value, got {kv.Length}");
        }

        if (x.Rank == 0)
        {
            throw ctx.Fail("the input must have rank 1 or more");
        }

        int axis = ctx.Axis(ctx.Int("axis", -1), x.Rank);
        bool largest = ctx.Opset < 11 || ctx.Int("largest", 1) != 0;
        if (k < 0 || k > x.Dims[axis])
        {
            throw ctx.Fail($"k = {k} is outside [0, {x.Dims[axis]}] for axis {axis} of shape {Dimension.Format(x.Dims)}");
        }

        AxisSplit s = AxisSplit.At(x.Dims, axis);
        int kk = (int)k;
        long[] outDims = (long[])x.Dims.Clone();
        outDims[axis] = kk;
        Comparison<int> order = Order(x, largest);
        var gather = new int[s.Outer * kk * s.Inner];
        var indices = new long[gather.Length];
        var slice = new int[s.Length];
        for (int o = 0; o < s.Outer; o++)
        {
            for (int i = 0; i < s.Inner; i++)
            {
                int start = (o * s.Length * s.Inner) + i;
                for (int j = 0; j < s.Length; j++)
                {
                    slice[j] = start + (j * s.Inner);
                }

                if (kk == 0)
                {
                    break;
                }

                if (kk <= 32 && kk * 4 < s.Length)
                {
                    SelectFirst(slice, kk, order);
                }
                else
                {
                    Array.Sort(slice, order);
                }

                for (int j = 0; j < kk; j++)
                {
                    int dst = ((o * kk) + j) * s.Inner + i;
                    gather[dst] = slice[j];
                    indices[dst] = (slice[j] - start) / s.Inner;
                }
            }
        }

        ctx.Set(0, x.Gather(outDims, gather));
        ctx.Set(1, OpTensor.FromLongs(outDims, indices));
    }

    /// <summary>Moves the first <paramref name="k"/> positions in <paramref name="order"/> to the front, sorted (insertion into a short list).</summary>
    private static void SelectFirst(int[] slice, int k, Comparison<int> order)
    {
        int count = 0;
        for (int j = 0; j < slice.Length; j++)
        {
            int candidate = slice[j];
            if (count == k && order(candidate, slice[k - 1]) >= 0)
            {
                continue;
            }

            int at = count < k ? count++ : k - 1;
            while (at > 0 && order(candidate, slice[at - 1]) < 0)
            {
                slice[at] = slice[at - 1];
                at--;
            }

            slice[at] = candidate;
        }
    }

    /// <summary>Orders flat positions: the wanted extreme first (NaN counts as the largest), ties by position.</summary>
    private static Comparison<int> Order(OpTensor x, bool largest)
    {
        int sign = largest ? -1 : 1;
        if (x.IsFloat)
        {
            double[] v = x.ToDoubles();
            return (a, b) =>
            {
                double p = v[a], q = v[b];
                int c = double.IsNaN(p) ? (double.IsNaN(q) ? 0 : 1) : double.IsNaN(q) ? -1 : p.CompareTo(q);
                return c != 0 ? sign * c : a.CompareTo(b);
            };
        }

        long[] l = x.ToLongs();
        if (x.Type == TensorElementType.UInt64)
        {
            return (a, b) =>
            {
                int c = unchecked((ulong)l[a]).CompareTo(unchecked((ulong)l[b]));
                return c != 0 ? sign * c : a.CompareTo(b);
            };
        }

        return (a, b) =>
        {
            int c = l[a].CompareTo(l[b]);
            return c != 0 ? sign * c : a.CompareTo(b);
        };
    }
}

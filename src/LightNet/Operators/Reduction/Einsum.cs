using System.Numerics;
using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>
/// Einstein summation over any number of operands: explicit or implicit output, repeated labels (diagonals),
/// ellipsis with broadcasting; floats in double, integers in 64 bits.
/// </summary>
internal sealed class Einsum : OperatorDef
{
    private const int EllipsisBase = 128;

    public override string OpType => "Einsum";

    public override int SinceVersion => 12;

    public override string Types => "float32, float16, float64, bfloat16, int8-64, uint8-64";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string eq = node.GetString("equation", "");
        if (eq.Length == 0)
        {
            problems.Add("attribute 'equation' is required");
        }
        else if (eq.Any(ch => !(char.IsAsciiLetter(ch) || ch is '.' or ',' or '-' or '>' or ' ')))
        {
            problems.Add($"attribute 'equation' = '{eq}' has characters other than letters, ',', '...' and '->'");
        }
    }

    public override void Execute(OpContext ctx)
    {
        string eq = ctx.String("equation", "").Replace(" ", "", StringComparison.Ordinal);
        var ops = new OpTensor[ctx.InputCount];
        for (int i = 0; i < ops.Length; i++)
        {
            ops[i] = ctx.Input(i);
            if (ops[i].Type != ops[0].Type)
            {
                throw ctx.Fail($"operand {i} is {ops[i].Type} but operand 0 is {ops[0].Type}");
            }
        }

        if (ops.Length == 0)
        {
            throw ctx.Fail("Einsum needs at least one operand");
        }

        TensorElementType type = ops[0].Type;
        if (type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"element type {type} is not supported");
        }

        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow >= 0 ? eq[..arrow] : eq;
        string[] terms = lhs.Split(',');
        if (terms.Length != ops.Length)
        {
            throw ctx.Fail($"equation '{eq}' names {terms.Length} operands but the node has {ops.Length}");
        }

        // Labels of each operand's dimensions; ellipsis dimensions get labels EllipsisBase + j (right-aligned).
        var opLabels = new int[ops.Length][];
        int ellipsisRank = 0;
        var parsed = new List<int>[ops.Length];
        var ellipsisAt = new int[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            (parsed[i], ellipsisAt[i]) = ParseTerm(ctx, terms[i], eq);
            int letters = parsed[i].Count;
            int e = ops[i].Rank - letters;
            if (ellipsisAt[i] < 0 ? e != 0 : e < 0)
            {
                throw ctx.Fail($"operand {i} has shape {Dimension.Format(ops[i].Dims)} but the equation term '{terms[i]}' has {letters} labels");
            }

            ellipsisRank = Math.Max(ellipsisRank, e);
        }

        var sizes = new Dictionary<int, long>();
        for (int i = 0; i < ops.Length; i++)
        {
            int e = ops[i].Rank - parsed[i].Count;
            var labels = new List<int>(parsed[i]);
            if (ellipsisAt[i] >= 0)
            {
                labels.InsertRange(ellipsisAt[i], Enumerable.Range(EllipsisBase + ellipsisRank - e, e));
            }

            opLabels[i] = labels.ToArray();
            for (int d = 0; d < labels.Count; d++)
            {
                int l = labels[d];
                long s = ops[i].Dims[d];
                if (sizes.TryGetValue(l, out long prev) && prev != s)
                {
                    if (l >= EllipsisBase && (prev == 1 || s == 1))
                    {
                        s = Math.Max(prev, s);
                    }
                    else
                    {
                        throw ctx.Fail($"label '{Name(l)}' has sizes {prev} and {s} in equation '{eq}'");
                    }
                }

                sizes[l] = s;
            }
        }

        int[] outLabels;
        if (arrow >= 0)
        {
            (List<int> outParsed, int outEllipsis) = ParseTerm(ctx, eq[(arrow + 2)..], eq);
            if (outEllipsis >= 0)
            {
                outParsed.InsertRange(outEllipsis, Enumerable.Range(EllipsisBase, ellipsisRank));
            }

            outLabels = outParsed.ToArray();
            if (outLabels.Distinct().Count() != outLabels.Length)
            {
                throw ctx.Fail($"the output of equation '{eq}' repeats a label");
            }

            foreach (int l in outLabels)
            {
                if (!sizes.ContainsKey(l))
                {
                    throw ctx.Fail($"output label '{Name(l)}' of equation '{eq}' is in no operand");
                }
            }
        }
        else
        {
            var multiple = opLabels.SelectMany(x => x).Where(l => l < EllipsisBase).GroupBy(l => l)
                .ToDictionary(g => g.Key, g => g.Count());
            outLabels = Enumerable.Range(EllipsisBase, ellipsisRank)
                .Concat(multiple.Where(kv => kv.Value == 1).Select(kv => kv.Key).Order()).ToArray();
        }

        int[] all = outLabels.Concat(sizes.Keys.Where(l => !outLabels.Contains(l)).Order()).ToArray();
        long[] outDims = outLabels.Select(l => sizes[l]).ToArray();
        int outCount = OpTensor.Count(outDims);
        long total = 1;
        foreach (int l in all)
        {
            total = sizes[l] == 0 ? 0 : total <= (1L << 40) / Math.Max(sizes[l], 1) ? total * sizes[l] : throw ctx.Unsupported($"equation '{eq}' needs more than 2^40 multiply-adds");
        }

        var strides = new int[ops.Length][];
        for (int i = 0; i < ops.Length; i++)
        {
            strides[i] = new int[all.Length];
            long s = 1;
            for (int d = opLabels[i].Length - 1; d >= 0; d--)
            {
                if (ops[i].Dims[d] != 1 || sizes[opLabels[i][d]] == 1)
                {
                    strides[i][Array.IndexOf(all, opLabels[i][d])] += (int)s;
                }

                s *= ops[i].Dims[d];
            }
        }

        var outStrides = new int[all.Length];
        long os = 1;
        for (int d = outLabels.Length - 1; d >= 0; d--)
        {
            outStrides[d] = (int)os;
            os *= outDims[d];
        }

        long[] allSizes = all.Select(l => sizes[l]).ToArray();
        InnermostLast(strides, outStrides, allSizes);
        if (ops[0].IsFloat)
        {
            double[][] data = ops.Select(o => o.ToDoubles()).ToArray();
            var r = new double[outCount];
            if (total > 0)
            {
                Contract(data, strides, outStrides, allSizes, r);
            }

            ctx.Set(0, OpTensor.FromDoubles(type, outDims, r));
        }
        else
        {
            long[][] data = ops.Select(o => o.ToLongs()).ToArray();
            var r = new long[outCount];
            if (total > 0)
            {
                Contract(data, strides, outStrides, allSizes, r);
            }

            ctx.Set(0, OpTensor.FromLongs(type, outDims, r));
        }
    }

    /// <summary>Moves the label with the most unit strides (then the longest) to the innermost loop.</summary>
    private static void InnermostLast(int[][] strides, int[] outStrides, long[] sizes)
    {
        int last = sizes.Length - 1, best = last;
        (int Units, long Size) bestScore = (-1, 0);
        for (int l = 0; l <= last; l++)
        {
            int units = (outStrides[l] == 1 ? 1 : 0) + strides.Count(st => st[l] == 1);
            if (sizes[l] > 1 && (units > bestScore.Units || (units == bestScore.Units && sizes[l] > bestScore.Size)))
            {
                best = l;
                bestScore = (units, sizes[l]);
            }
        }

        if (best == last)
        {
            return;
        }

        (outStrides[best], outStrides[last]) = (outStrides[last], outStrides[best]);
        (sizes[best], sizes[last]) = (sizes[last], sizes[best]);
        foreach (int[] st in strides)
        {
            (st[best], st[last]) = (st[last], st[best]);
        }
    }

    private static string Name(int label) => label >= EllipsisBase ? "..." : ((char)label).ToString();

    private static (List<int> Labels, int EllipsisAt) ParseTerm(OpContext ctx, string term, string eq)
    {
        var labels = new List<int>();
        int ellipsis = -1;
        for (int i = 0; i < term.Length; i++)
        {
            char ch = term[i];
            if (char.IsAsciiLetter(ch))
            {
                labels.Add(ch);
            }
            else if (ch == '.' && i + 2 < term.Length && term[i + 1] == '.' && term[i + 2] == '.' && ellipsis < 0)
            {
                ellipsis = labels.Count;
                i += 2;
            }
            else
            {
                throw ctx.Fail($"equation '{eq}' has a malformed term '{term}'");
            }
        }

        return (labels, ellipsis);
    }

    /// <summary>r[out] += prod over operands, iterating every label combination (last label innermost).</summary>
    private static void Contract<T>(T[][] data, int[][] strides, int[] outStrides, long[] sizes, T[] r)
        where T : INumber<T>
    {
        int nOps = data.Length, nl = sizes.Length;
        if (nl == 0)
        {
            T p = T.One;
            foreach (T[] d in data)
            {
                p *= d[0];
            }

            r[0] += p;
            return;
        }

        var idx = new long[nl];
        var offs = new int[nOps];
        int outOff = 0, last = nl - 1;
        int innerLength = (int)sizes[last], innerOut = outStrides[last];
        var innerStride = new int[nOps];
        for (int i = 0; i < nOps; i++)
        {
            innerStride[i] = strides[i][last];
        }

        while (true)
        {
            if (nOps == 2)
            {
                T[] a = data[0], b = data[1];
                int sa = innerStride[0], sb = innerStride[1];
                for (int j = 0; j < innerLength; j++)
                {
                    r[outOff + (j * innerOut)] += a[offs[0] + (j * sa)] * b[offs[1] + (j * sb)];
                }
            }
            else
            {
                for (int j = 0; j < innerLength; j++)
                {
                    T p = T.One;
                    for (int i = 0; i < nOps; i++)
                    {
                        p *= data[i][offs[i] + (j * innerStride[i])];
                    }

                    r[outOff + (j * innerOut)] += p;
                }
            }

            int d = last - 1;
            for (; d >= 0; d--)
            {
                idx[d]++;
                outOff += outStrides[d];
                for (int i = 0; i < nOps; i++)
                {
                    offs[i] += strides[i][d];
                }

                if (idx[d] < sizes[d])
                {
                    break;
                }

                outOff -= (int)(idx[d] * outStrides[d]);
                for (int i = 0; i < nOps; i++)
                {
                    offs[i] -= (int)(idx[d] * strides[i][d]);
                }

                idx[d] = 0;
            }

            if (d < 0)
            {
                return;
            }
        }
    }
}

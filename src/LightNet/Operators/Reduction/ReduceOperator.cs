using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Reduction;

/// <summary>Which aggregate a <see cref="ReduceOperator"/> computes.</summary>
internal enum ReduceKind
{
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    L1,
    L2,
    LogSum,
    LogSumExp,
    SumSquare,
}

/// <summary>
/// The shared part of the ONNX Reduce* operators: axes as an attribute before <see cref="AxesInputSince"/> and as an
/// optional input from then on, keepdims, noop_with_empty_axes, empty-set identities, float (in double) and integer
/// (in 64 bits, wrapping) element types.
/// </summary>
internal abstract class ReduceOperator : OperatorDef
{
    /// <summary>The aggregate.</summary>
    protected abstract ReduceKind Kind { get; }

    /// <summary>The opset from which axes are an input instead of an attribute.</summary>
    protected virtual int AxesInputSince => 18;

    public override string Types => "float32, float16, float64, bfloat16, int8-64, uint8-64" + (Kind is ReduceKind.Max or ReduceKind.Min ? ", bool" : "");

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long keep = node.GetInt("keepdims", 1);
        if (keep is not (0 or 1))
        {
            problems.Add($"attribute 'keepdims' = {keep} must be 0 or 1");
        }

        long noop = node.GetInt("noop_with_empty_axes", 0);
        if (noop is not (0 or 1))
        {
            problems.Add($"attribute 'noop_with_empty_axes' = {noop} must be 0 or 1");
        }

        if (opset >= AxesInputSince && node.Attributes.ContainsKey("axes"))
        {
            problems.Add($"attribute 'axes' is not allowed from opset {AxesInputSince} on (axes are an input)");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type == TensorElementType.String)
        {
            throw ctx.Unsupported("string tensors cannot be reduced");
        }

        if (x.Type == TensorElementType.Bool && Kind is not (ReduceKind.Max or ReduceKind.Min))
        {
            throw ctx.Unsupported($"{OpType} of bool tensors is not defined");
        }

        bool axesInput = ctx.Opset >= AxesInputSince;
        long[]? axes = axesInput ? ctx.OptionalInts(1) : ctx.Ints("axes");
        bool keep = ctx.Int("keepdims", 1) != 0;
        int rank = x.Rank;
        var mask = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            if (axesInput && ctx.Int("noop_with_empty_axes", 0) != 0)
            {
                ctx.Set(0, Elementwise(ctx, x));
                return;
            }

            Array.Fill(mask, true);
        }
        else
        {
            foreach (long a in axes)
            {
                int d = ctx.Axis(a, rank, "axis");
                if (rank > 0 && mask[d])
                {
                    throw ctx.Fail($"axis {a} is listed twice in axes [{string.Join(", ", axes)}]");
                }

                if (rank > 0)
                {
                    mask[d] = true;
                }
            }
        }

        ctx.Set(0, Reduce(ctx, x, mask, keep, Kind));
    }

    /// <summary>The reduction over no axes: each element is its own one-element set.</summary>
    private OpTensor Elementwise(OpContext ctx, OpTensor x) => Kind switch
    {
        ReduceKind.L1 or ReduceKind.L2 => Pointwise.Unary(ctx, x, Math.Abs, v => v < 0 ? unchecked(-v) : v, v => v),
        ReduceKind.SumSquare => Pointwise.Unary(ctx, x, v => v * v, v => unchecked(v * v), v => unchecked(v * v)),
        ReduceKind.LogSum => Pointwise.Unary(ctx, x, Math.Log, v => (long)Math.Log(v), v => (ulong)Math.Log(v)),
        _ => x,
    };

    /// <summary>Reduces <paramref name="x"/> over the axes where <paramref name="mask"/> is true.</summary>
    public static OpTensor Reduce(OpContext ctx, OpTensor x, bool[] mask, bool keep, ReduceKind kind)
    {
        int rank = x.Rank;
        var keepDims = new long[rank];
        var outList = new List<long>(rank);
        long groupLength = 1;
        for (int d = 0; d < rank; d++)
        {
            keepDims[d] = mask[d] ? 1 : x.Dims[d];
            if (mask[d])
            {
                groupLength *= x.Dims[d];
            }

            if (!mask[d] || keep)
            {
                outList.Add(keepDims[d]);
            }
        }

        long[] outDims = outList.ToArray();
        int nOut = OpTensor.Count(keepDims);
        int n = x.Length;
        int[]? map = Broadcasting.Offsets(keepDims, x.Dims);
        if (x.Type == TensorElementType.Bool)
        {
            bool[] b = x.Get<bool>();
            bool any = kind == ReduceKind.Max;
            var r = new bool[nOut];
            Array.Fill(r, !any);
            for (int i = 0; i < n; i++)
            {
                int o = map?[i] ?? i;
                r[o] = any ? r[o] || b[i] : r[o] && b[i];
            }

            return new OpTensor(TensorElementType.Bool, outDims, r);
        }

        if (x.IsFloat || kind is ReduceKind.L2 or ReduceKind.LogSum or ReduceKind.LogSumExp)
        {
            double[] acc = ReduceDoubles(x.ToDoubles(), map, nOut, groupLength, kind);
            if (!x.IsFloat)
            {
                for (int i = 0; i < acc.Length; i++)
                {
                    acc[i] = double.IsFinite(acc[i]) ? Math.Truncate(acc[i]) : 0;
                }
            }

            return OpTensor.FromDoubles(x.Type, outDims, acc);
        }

        return OpTensor.FromLongs(x.Type, outDims, ReduceIntegers(x, map, nOut, groupLength, kind));
    }

    private static double[] ReduceDoubles(double[] v, int[]? map, int nOut, long groupLength, ReduceKind kind)
    {
        var acc = new double[nOut];
        int n = v.Length;
        switch (kind)
        {
            case ReduceKind.Sum or ReduceKind.Mean or ReduceKind.LogSum:
                for (int i = 0; i < n; i++) acc[map?[i] ?? i] += v[i];
                break;
            case ReduceKind.SumSquare or ReduceKind.L2:
                for (int i = 0; i < n; i++) acc[map?[i] ?? i] += v[i] * v[i];
                break;
            case ReduceKind.L1:
                for (int i = 0; i < n; i++) acc[map?[i] ?? i] += Math.Abs(v[i]);
                break;
            case ReduceKind.Prod:
                Array.Fill(acc, 1.0);
                for (int i = 0; i < n; i++) acc[map?[i] ?? i] *= v[i];
                break;
            case ReduceKind.Max or ReduceKind.LogSumExp:
                Array.Fill(acc, double.NegativeInfinity);
                for (int i = 0; i < n; i++)
                {
                    int o = map?[i] ?? i;
                    if (v[i] > acc[o] || double.IsNaN(v[i])) acc[o] = v[i];
                }

                break;
            case ReduceKind.Min:
                Array.Fill(acc, double.PositiveInfinity);
                for (int i = 0; i < n; i++)
                {
                    int o = map?[i] ?? i;
                    if (v[i] < acc[o] || double.IsNaN(v[i])) acc[o] = v[i];
                }

                break;
        }

        switch (kind)
        {
            case ReduceKind.Mean:
                for (int o = 0; o < nOut; o++) acc[o] /= groupLength;
                break;
            case ReduceKind.L2:
                for (int o = 0; o < nOut; o++) acc[o] = Math.Sqrt(acc[o]);
                break;
            case ReduceKind.LogSum:
                for (int o = 0; o < nOut; o++) acc[o] = Math.Log(acc[o]);
                break;
            case ReduceKind.LogSumExp:
                var sum = new double[nOut];
                for (int i = 0; i < n; i++)
                {
                    int o = map?[i] ?? i;
                    sum[o] += Math.Exp(v[i] - (double.IsInfinity(acc[o]) ? 0 : acc[o]));
                }

                for (int o = 0; o < nOut; o++) acc[o] = Math.Log(sum[o]) + (double.IsInfinity(acc[o]) ? 0 : acc[o]);
                break;
        }

        return acc;
    }

    private static long[] ReduceIntegers(OpTensor x, int[]? map, int nOut, long groupLength, ReduceKind kind)
    {
        var acc = new long[nOut];
        long[] v = x.ToLongs();
        int n = v.Length;
        bool u64 = x.Type == TensorElementType.UInt64;
        unchecked
        {
            switch (kind)
            {
                case ReduceKind.Sum or ReduceKind.Mean:
                    for (int i = 0; i < n; i++) acc[map?[i] ?? i] += v[i];
                    break;
                case ReduceKind.SumSquare:
                    for (int i = 0; i < n; i++) acc[map?[i] ?? i] += v[i] * v[i];
                    break;
                case ReduceKind.L1:
                    for (int i = 0; i < n; i++) acc[map?[i] ?? i] += u64 || v[i] >= 0 ? v[i] : -v[i];
                    break;
                case ReduceKind.Prod:
                    Array.Fill(acc, 1L);
                    for (int i = 0; i < n; i++) acc[map?[i] ?? i] *= v[i];
                    break;
                case ReduceKind.Max:
                    Array.Fill(acc, IntegerRange.Min(x.Type));
                    for (int i = 0; i < n; i++)
                    {
                        int o = map?[i] ?? i;
                        if (u64 ? (ulong)v[i] > (ulong)acc[o] : v[i] > acc[o]) acc[o] = v[i];
                    }

                    break;
                case ReduceKind.Min:
                    Array.Fill(acc, IntegerRange.Max(x.Type));
                    for (int i = 0; i < n; i++)
                    {
                        int o = map?[i] ?? i;
                        if (u64 ? (ulong)v[i] < (ulong)acc[o] : v[i] < acc[o]) acc[o] = v[i];
                    }

                    break;
            }

            if (kind == ReduceKind.Mean && groupLength > 0)
            {
                for (int o = 0; o < nOut; o++) acc[o] = u64 ? (long)((ulong)acc[o] / (ulong)groupLength) : acc[o] / groupLength;
            }
        }

        return acc;
    }
}

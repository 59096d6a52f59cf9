using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>The shared part of ArgMax and ArgMin: axis, keepdims, select_last_index, int64 indices; NaN wins like the extreme.</summary>
internal abstract class ArgReduce : OperatorDef
{
    /// <summary>True for ArgMax, false for ArgMin.</summary>
    protected abstract bool Largest { get; }

    public override string Types => "float32, float16, float64, bfloat16, int8-64, uint8-64";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        foreach (string name in new[] { "keepdims", "select_last_index" })
        {
            long v = node.GetInt(name, name == "keepdims" ? 1 : 0);
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

        int rank = x.Rank;
        int axis = ctx.Axis(ctx.Int("axis", 0), rank);
        bool keep = ctx.Int("keepdims", 1) != 0, last = ctx.Int("select_last_index", 0) != 0;
        if (rank > 0 && x.Dims[axis] == 0)
        {
            throw ctx.Fail($"cannot take the arg-{(Largest ? "max" : "min")} over an empty axis {axis} of shape {Dimension.Format(x.Dims)}");
        }

        AxisSplit s = AxisSplit.At(x.Dims, axis);
        long[] outDims = rank == 0 ? [] : keep ? x.Dims.Select((d, i) => i == axis ? 1L : d).ToArray() : x.Dims.Where((_, i) => i != axis).ToArray();
        var r = new long[s.Outer * s.Inner];
        int sign = Largest ? 1 : -1;
        if (x.IsFloat)
        {
            double[] v = x.ToDoubles();
            for (int o = 0; o < s.Outer; o++)
            {
                for (int i = 0; i < s.Inner; i++)
                {
                    int baseIdx = o * s.Length * s.Inner + i, best = 0;
                    double bv = v[baseIdx];
                    for (int k = 1; k < s.Length && !double.IsNaN(bv); k++)
                    {
                        double c = v[baseIdx + k * s.Inner];
                        if (double.IsNaN(c) || sign * c > sign * bv || (last && c == bv))
                        {
                            best = k;
                            bv = c;
                        }
                    }

                    r[o * s.Inner + i] = best;
                }
            }
        }
        else
        {
            long[] v = x.ToLongs();
            bool u64 = x.Type == TensorElementType.UInt64;
            for (int o = 0; o < s.Outer; o++)
            {
                for (int i = 0; i < s.Inner; i++)
                {
                    int baseIdx = o * s.Length * s.Inner + i, best = 0;
                    long bv = v[baseIdx];
                    for (int k = 1; k < s.Length; k++)
                    {
                        long c = v[baseIdx + k * s.Inner];
                        int cmp = u64 ? unchecked((ulong)c).CompareTo(unchecked((ulong)bv)) : c.CompareTo(bv);
                        if (sign * cmp > 0 || (last && cmp == 0))
                        {
                            best = k;
                            bv = c;
                        }
                    }

                    r[o * s.Inner + i] = best;
                }
            }
        }

        ctx.Set(0, OpTensor.FromLongs(outDims, r));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>The shared part of CumSum and CumProd: the axis input, exclusive and reverse; floats in double, integers wrapping.</summary>
internal abstract class Cumulative : OperatorDef
{
    /// <summary>True for CumProd, false for CumSum.</summary>
    protected abstract bool Product { get; }

    public override string Types => "float32, float16, float64, bfloat16, int32, int64, uint32, uint64";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        foreach (string name in new[] { "exclusive", "reverse" })
        {
            long v = node.GetInt(name, 0);
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

        long[] axisValues = ctx.OptionalInts(1) ?? throw ctx.Fail("the axis input is required");
        if (axisValues.Length != 1)
        {
            throw ctx.Fail($"axis must be a single value, got {axisValues.Length}");
        }

        if (x.Rank == 0)
        {
            throw ctx.Fail("the input must have rank 1 or more");
        }

        int axis = ctx.Axis(axisValues[0], x.Rank);
        bool exclusive = ctx.Int("exclusive", 0) != 0, reverse = ctx.Int("reverse", 0) != 0;
        AxisSplit s = AxisSplit.At(x.Dims, axis);
        if (x.IsFloat)
        {
            double[] v = x.ToDoubles();
            var r = new double[v.Length];
            Scan(s, exclusive, reverse, (i, acc) => r[i] = acc, (acc, i) => Product ? acc * v[i] : acc + v[i], Product ? 1.0 : 0.0);
            ctx.Set(0, OpTensor.FromDoubles(x.Type, x.Dims, r));
        }
        else
        {
            long[] v = x.ToLongs();
            var r = new long[v.Length];
            Scan(s, exclusive, reverse, (i, acc) => r[i] = acc, (acc, i) => unchecked(Product ? acc * v[i] : acc + v[i]), Product ? 1L : 0L);
            ctx.Set(0, OpTensor.FromLongs(x.Type, x.Dims, r));
        }
    }

    private static void Scan<T>(AxisSplit s, bool exclusive, bool reverse, Action<int, T> store, Func<T, int, T> step, T identity)
    {
        for (int o = 0; o < s.Outer; o++)
        {
            for (int i = 0; i < s.Inner; i++)
            {
                T acc = identity;
                for (int j = 0; j < s.Length; j++)
                {
                    int k = reverse ? s.Length - 1 - j : j;
                    int idx = ((o * s.Length) + k) * s.Inner + i;
                    if (exclusive)
                    {
                        store(idx, acc);
                        acc = step(acc, idx);
                    }
                    else
                    {
                        acc = step(acc, idx);
                        store(idx, acc);
                    }
                }
            }
        }
    }
}

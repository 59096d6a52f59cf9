using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>
/// The shared part of Softmax, LogSoftmax and Hardmax: before opset 13 the input is coerced to 2-D at the axis
/// (default 1) and the function runs over each row; from opset 13 it runs along one axis (default -1).
/// </summary>
internal abstract class SoftmaxFamily : OperatorDef
{
    /// <summary>Computes one row: elements start + k * stride of <paramref name="v"/> into the same places of <paramref name="r"/>.</summary>
    protected abstract void Row(double[] v, double[] r, int start, int length, int stride);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Unsupported($"element type {x.Type} is not supported");
        }

        bool coerce = ctx.Opset < 13;
        int rank = x.Rank;
        if (rank == 0)
        {
            throw ctx.Fail("the input must have rank 1 or more");
        }

        int axis = ctx.Axis(ctx.Int("axis", coerce ? 1 : -1), rank);
        AxisSplit s = coerce ? AxisSplit.Coerced(x.Dims, axis) : AxisSplit.At(x.Dims, axis);
        double[] v = x.ToDoubles();
        var r = new double[v.Length];
        for (int o = 0; o < s.Outer; o++)
        {
            for (int i = 0; i < s.Inner; i++)
            {
                Row(v, r, (o * s.Length * s.Inner) + i, s.Length, s.Inner);
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, x.Dims, r));
    }

    /// <summary>The largest element of a row (-inf for an empty row; NaN when any is NaN).</summary>
    protected static double RowMax(double[] v, int start, int length, int stride)
    {
        double m = double.NegativeInfinity;
        for (int k = 0; k < length; k++)
        {
            double c = v[start + (k * stride)];
            if (c > m || double.IsNaN(c))
            {
                m = c;
                if (double.IsNaN(c))
                {
                    break;
                }
            }
        }

        return m;
    }
}

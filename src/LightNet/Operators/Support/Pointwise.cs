using LightNet.Onnx;

namespace LightNet.Operators.Support;

/// <summary>
/// The one driver for element-wise operators: floating-point types compute in double and round once to the
/// output type; signed integers compute in long and wrap; unsigned integers compute in ulong.
/// </summary>
internal static class Pointwise
{
    /// <summary>y = f(x) with the result in x's type (floats only unless integer functions are given).</summary>
    public static OpTensor Unary(OpContext ctx, OpTensor x, Func<double, double> f, Func<long, long>? fi = null, Func<ulong, ulong>? fu = null)
    {
        int n = x.Length;
        if (x.Type == TensorElementType.Float)
        {
            // float32 in and out without intermediate double arrays (each value still computes in double).
            float[] a = (float[])x.Data;
            var y = new float[n];
            for (int i = 0; i < n; i++) y[i] = (float)f(a[i]);
            return new OpTensor(x.Type, x.Dims, y);
        }

        if (x.IsFloat)
        {
            double[] a = x.ToDoubles();
            var y = new double[n];
            for (int i = 0; i < n; i++) y[i] = f(a[i]);
            return OpTensor.FromDoubles(x.Type, x.Dims, y);
        }

        if (x.IsUnsigned && fu is not null)
        {
            var y = new long[n];
            for (int i = 0; i < n; i++) y[i] = unchecked((long)fu(unchecked((ulong)x.GetLong(i))));
            return OpTensor.FromLongs(x.Type, x.Dims, y);
        }

        if ((x.IsSignedInteger || x.IsUnsigned) && fi is not null)
        {
            var y = new long[n];
            for (int i = 0; i < n; i++) y[i] = fi(x.GetLong(i));
            return OpTensor.FromLongs(x.Type, x.Dims, y);
        }

        throw ctx.Unsupported($"element type {x.Type} is not supported");
    }

    /// <summary>y = f(a, b) with broadcasting, the result in a's type.</summary>
    public static OpTensor Binary(OpContext ctx, OpTensor a, OpTensor b, Func<double, double, double> f,
        Func<long, long, long>? fi = null, Func<ulong, ulong, ulong>? fu = null)
    {
        (long[] dims, int[]? oa, int[]? ob) = Prepare(ctx, a, b);
        int n = OpTensor.Count(dims);
        if (a.Type == TensorElementType.Float)
        {
            float[] x = (float[])a.Data, z = (float[])b.Data;
            var y = new float[n];
            if (oa is null && ob is null)
            {
                for (int i = 0; i < n; i++) y[i] = (float)f(x[i], z[i]);
            }
            else
            {
                for (int i = 0; i < n; i++) y[i] = (float)f(x[oa?[i] ?? i], z[ob?[i] ?? i]);
            }

            return new OpTensor(a.Type, dims, y);
        }

        if (a.IsFloat)
        {
            double[] x = a.ToDoubles(), z = b.ToDoubles();
            var y = new double[n];
            for (int i = 0; i < n; i++) y[i] = f(x[oa?[i] ?? i], z[ob?[i] ?? i]);
            return OpTensor.FromDoubles(a.Type, dims, y);
        }

        if (a.IsUnsigned && fu is not null)
        {
            var y = new long[n];
            for (int i = 0; i < n; i++) y[i] = unchecked((long)fu(unchecked((ulong)a.GetLong(oa?[i] ?? i)), unchecked((ulong)b.GetLong(ob?[i] ?? i))));
            return OpTensor.FromLongs(a.Type, dims, y);
        }

        if ((a.IsSignedInteger || a.IsUnsigned) && fi is not null)
        {
            long[] x = a.ToLongs(), z = b.ToLongs();
            var y = new long[n];
            for (int i = 0; i < n; i++) y[i] = fi(x[oa?[i] ?? i], z[ob?[i] ?? i]);
            return OpTensor.FromLongs(a.Type, dims, y);
        }

        throw ctx.Unsupported($"element type {a.Type} is not supported");
    }

    /// <summary>A comparison with broadcasting: bool output; integers compare exactly.</summary>
    public static OpTensor Compare(OpContext ctx, OpTensor a, OpTensor b, Func<double, double, bool> f, Func<long, long, bool> fi, Func<ulong, ulong, bool> fu)
    {
        (long[] dims, int[]? oa, int[]? ob) = Prepare(ctx, a, b);
        int n = OpTensor.Count(dims);
        var y = new bool[n];
        if (a.IsFloat)
        {
            double[] x = a.ToDoubles(), z = b.ToDoubles();
            for (int i = 0; i < n; i++) y[i] = f(x[oa?[i] ?? i], z[ob?[i] ?? i]);
        }
        else if (a.Type == TensorElementType.String)
        {
            string[] x = a.Get<string>(), z = b.Get<string>();
            for (int i = 0; i < n; i++) y[i] = f(string.CompareOrdinal(x[oa?[i] ?? i], z[ob?[i] ?? i]), 0);
        }
        else if (a.Type == TensorElementType.UInt64)
        {
            for (int i = 0; i < n; i++) y[i] = fu(unchecked((ulong)a.GetLong(oa?[i] ?? i)), unchecked((ulong)b.GetLong(ob?[i] ?? i)));
        }
        else
        {
            long[] x = a.ToLongs(), z = b.ToLongs();
            for (int i = 0; i < n; i++) y[i] = fi(x[oa?[i] ?? i], z[ob?[i] ?? i]);
        }

        return new OpTensor(TensorElementType.Bool, dims, y);
    }

    /// <summary>A logical operator on bool tensors with broadcasting.</summary>
    public static OpTensor Logical(OpContext ctx, OpTensor a, OpTensor b, Func<bool, bool, bool> f)
    {
        (long[] dims, int[]? oa, int[]? ob) = Prepare(ctx, a, b);
        bool[] x = a.ToBools(), z = b.ToBools();
        var y = new bool[OpTensor.Count(dims)];
        for (int i = 0; i < y.Length; i++) y[i] = f(x[oa?[i] ?? i], z[ob?[i] ?? i]);
        return new OpTensor(TensorElementType.Bool, dims, y);
    }

    private static (long[] Dims, int[]? A, int[]? B) Prepare(OpContext ctx, OpTensor a, OpTensor b)
    {
        if (a.Type != b.Type)
        {
            throw ctx.Fail($"inputs have different element types ({a.Type} and {b.Type})");
        }

        long[] dims = Broadcasting.Shape(ctx, a.Dims, b.Dims);
        return (dims, Broadcasting.Offsets(a.Dims, dims), Broadcasting.Offsets(b.Dims, dims));
    }

    /// <summary>Folds n inputs pairwise left to right (Sum, Max, Min, Mean).</summary>
    public static OpTensor Variadic(OpContext ctx, Func<OpTensor, OpTensor, OpTensor> pair)
    {
        OpTensor acc = ctx.Input(0);
        for (int i = 1; i < ctx.InputCount; i++)
        {
            acc = pair(acc, ctx.Input(i));
        }

        return acc;
    }
}

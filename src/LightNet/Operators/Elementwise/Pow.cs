using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>a to the power b with broadcasting; the exponent may have another numeric type; the result has the base's type.</summary>
internal sealed class Pow : OperatorDef
{
    public override string OpType => "Pow";

    public override string Types => "float32, float16, float64, int32, int64 (base and exponent of any numeric type)";

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), b = ctx.Input(1);
        long[] dims = Broadcasting.Shape(ctx, a.Dims, b.Dims);
        int[]? oa = Broadcasting.Offsets(a.Dims, dims), ob = Broadcasting.Offsets(b.Dims, dims);
        double[] x = a.ToDoubles(), e = b.ToDoubles();
        var y = new double[OpTensor.Count(dims)];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Math.Pow(x[oa?[i] ?? i], e[ob?[i] ?? i]);
        }

        ctx.Set(0, OpTensor.FromDoubles(a.Type, dims, y));
    }
}

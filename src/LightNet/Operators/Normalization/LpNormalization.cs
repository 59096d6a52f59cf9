using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Divides by the L1 or L2 norm along one axis (a zero norm gives zeros).</summary>
internal sealed class LpNormalization : OperatorDef
{
    public override string OpType => "LpNormalization";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long p = node.GetInt("p", 2);
        if (p is not (1 or 2))
        {
            problems.Add($"attribute 'p' = {p} must be 1 or 2");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        int axis = ctx.Axis(ctx.Int("axis", -1), xt.Rank);
        long p = ctx.Int("p", 2);
        if (p is not (1 or 2))
        {
            throw ctx.Fail($"attribute 'p' = {p} must be 1 or 2");
        }

        double[] x = NormCommon.Floats(ctx, xt, "input");
        int outer = NormCommon.Product(xt.Dims, 0, axis), len = xt.Rank == 0 ? 1 : (int)xt.Dims[axis], inner = NormCommon.Product(xt.Dims, axis + 1, xt.Rank);
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * len * inner + i;
                double s = 0;
                for (int k = 0; k < len; k++)
                {
                    double v = x[b + k * inner];
                    s += p == 1 ? Math.Abs(v) : v * v;
                }

                double norm = p == 1 ? s : Math.Sqrt(s);
                for (int k = 0; k < len; k++)
                {
                    y[b + k * inner] = norm == 0 ? 0 : x[b + k * inner] / norm;
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}

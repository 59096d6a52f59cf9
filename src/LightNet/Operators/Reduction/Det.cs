using LightNet.Onnx;

namespace LightNet.Operators.Reduction;

/// <summary>The determinant of each square matrix in the last two dimensions (LU with partial pivoting, in double).</summary>
internal sealed class Det : OperatorDef
{
    public override string OpType => "Det";

    public override int SinceVersion => 11;

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (!x.IsFloat)
        {
            throw ctx.Unsupported($"element type {x.Type} is not supported");
        }

        if (x.Rank < 2 || x.Dims[^1] != x.Dims[^2])
        {
            throw ctx.Fail($"the input must be [*, M, M], got {Dimension.Format(x.Dims)}");
        }

        int n = (int)x.Dims[^1];
        long[] outDims = x.Dims[..^2];
        int batches = OpTensor.Count(outDims);
        double[] v = x.ToDoubles();
        var r = new double[batches];
        var lu = new double[n * n];
        for (int t = 0; t < batches; t++)
        {
            Array.Copy(v, t * n * n, lu, 0, n * n);
            r[t] = Determinant(lu, n);
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, r));
    }

    private static double Determinant(double[] a, int n)
    {
        double det = 1;
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++)
            {
                if (Math.Abs(a[(r * n) + c]) > Math.Abs(a[(pivot * n) + c]))
                {
                    pivot = r;
                }
            }

            double p = a[(pivot * n) + c];
            if (p == 0)
            {
                return 0;
            }

            if (pivot != c)
            {
                for (int j = 0; j < n; j++)
                {
                    (a[(c * n) + j], a[(pivot * n) + j]) = (a[(pivot * n) + j], a[(c * n) + j]);
                }

                det = -det;
            }

            det *= p;
            for (int r = c + 1; r < n; r++)
            {
                double f = a[(r * n) + c] / p;
                if (f == 0)
                {
                    continue;
                }

                for (int j = c + 1; j < n; j++)
                {
                    a[(r * n) + j] -= f * a[(c * n) + j];
                }
            }
        }

        return det;
    }
}

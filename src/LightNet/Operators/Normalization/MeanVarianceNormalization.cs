using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>(X - mean) / (std + 1e-9) with mean and variance over the given axes (default N and spatial of NCHW).</summary>
internal sealed class MeanVarianceNormalization : OperatorDef
{
    public override string OpType => "MeanVarianceNormalization";

    public override int SinceVersion => 9;

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        long[] axesAttr = ctx.Ints("axes") ?? [0, 2, 3];
        var reduce = new bool[xt.Rank];
        foreach (long a in axesAttr)
        {
            int ax = ctx.Axis(a, xt.Rank, "axes entry");
            if (reduce[ax])
            {
                throw ctx.Fail($"attribute 'axes' repeats axis {a}");
            }

            reduce[ax] = true;
        }

        double[] x = NormCommon.Floats(ctx, xt, "input");
        int n = x.Length;
        long[] keptDims = new long[xt.Rank];
        for (int i = 0; i < xt.Rank; i++) keptDims[i] = reduce[i] ? 1 : xt.Dims[i];
        int groups = NormCommon.Product(keptDims, 0, keptDims.Length);
        long[] strides = Support.Broadcasting.Strides(keptDims);

        // Map each element to its statistics slot (the index with the reduced axes dropped).
        var slot = new int[n];
        var idx = new long[xt.Rank];
        for (int e = 0; e < n; e++)
        {
            long s = 0;
            for (int d = 0; d < xt.Rank; d++)
            {
                if (!reduce[d]) s += idx[d] * strides[d];
            }

            slot[e] = (int)s;
            for (int d = xt.Rank - 1; d >= 0; d--)
            {
                if (++idx[d] < xt.Dims[d]) break;
                idx[d] = 0;
            }
        }

        var sum = new double[groups];
        var cnt = new long[groups];
        for (int e = 0; e < n; e++)
        {
            sum[slot[e]] += x[e];
            cnt[slot[e]]++;
        }

        for (int gI = 0; gI < groups; gI++) sum[gI] /= Math.Max(cnt[gI], 1);
        var sq = new double[groups];
        for (int e = 0; e < n; e++)
        {
            double d = x[e] - sum[slot[e]];
            sq[slot[e]] += d * d;
        }

        var y = new double[n];
        for (int e = 0; e < n; e++)
        {
            int s = slot[e];
            y[e] = (x[e] - sum[s]) / (Math.Sqrt(sq[s] / Math.Max(cnt[s], 1)) + 1e-9);
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}

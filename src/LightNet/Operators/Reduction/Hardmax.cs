namespace LightNet.Operators.Reduction;

/// <summary>1 at the first largest element along an axis, 0 elsewhere (2-D coerced before opset 13).</summary>
internal sealed class Hardmax : SoftmaxFamily
{
    public override string OpType => "Hardmax";

    protected override void Row(double[] v, double[] r, int start, int length, int stride)
    {
        int best = -1;
        double bv = double.NegativeInfinity;
        for (int k = 0; k < length; k++)
        {
            double c = v[start + (k * stride)];
            if (best < 0 || c > bv)
            {
                best = k;
                bv = c;
            }
        }

        if (best >= 0)
        {
            r[start + (best * stride)] = 1;
        }
    }
}

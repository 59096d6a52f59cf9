namespace LightNet.Operators.Reduction;

/// <summary>exp(x - max) / sum(exp(x - max)) along an axis (2-D coerced before opset 13).</summary>
internal sealed class Softmax : SoftmaxFamily
{
    public override string OpType => "Softmax";

    protected override void Row(double[] v, double[] r, int start, int length, int stride)
    {
        double m = RowMax(v, start, length, stride);
        double shift = double.IsInfinity(m) ? 0 : m, sum = 0;
        for (int k = 0; k < length; k++)
        {
            int i = start + (k * stride);
            r[i] = Math.Exp(v[i] - shift);
            sum += r[i];
        }

        for (int k = 0; k < length; k++)
        {
            r[start + (k * stride)] /= sum;
        }
    }
}

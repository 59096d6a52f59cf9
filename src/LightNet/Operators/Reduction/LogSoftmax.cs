namespace LightNet.Operators.Reduction;

/// <summary>x - max - log(sum(exp(x - max))) along an axis (2-D coerced before opset 13).</summary>
internal sealed class LogSoftmax : SoftmaxFamily
{
    public override string OpType => "LogSoftmax";

    protected override void Row(double[] v, double[] r, int start, int length, int stride)
    {
        double m = RowMax(v, start, length, stride);
        double shift = double.IsInfinity(m) ? 0 : m, sum = 0;
        for (int k = 0; k < length; k++)
        {
            sum += Math.Exp(v[start + (k * stride)] - shift);
        }

        double log = Math.Log(sum) + shift;
        for (int k = 0; k < length; k++)
        {
            int i = start + (k * stride);
            r[i] = v[i] - log;
        }
    }
}

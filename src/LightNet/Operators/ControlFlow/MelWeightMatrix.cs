using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>The [dft_length/2+1, num_mel_bins] matrix of triangular mel-scale filters that maps a spectrogram to mel bins.</summary>
internal sealed class MelWeightMatrix : OperatorDef
{
    public override string OpType => "MelWeightMatrix";

    public override int SinceVersion => 17;

    public override string Types => "output: float32, float16, float64, integers";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long type = node.GetInt("output_datatype", 1);
        if (!OpTensor.IsSupported((TensorElementType)type) || type == (long)TensorElementType.String)
        {
            problems.Add($"attribute 'output_datatype' = {type} is not a supported numeric type");
        }
    }

    public override void Execute(OpContext ctx)
    {
        long melBins = Scalar(ctx, 0), dftLength = Scalar(ctx, 1), sampleRate = Scalar(ctx, 2);
        double lower = ScalarDouble(ctx, 3), upper = ScalarDouble(ctx, 4);
        if (melBins < 1 || dftLength < 1 || sampleRate < 1)
        {
            throw ctx.Fail($"num_mel_bins {melBins}, dft_length {dftLength} and sample_rate {sampleRate} must be positive");
        }

        long spectrogramBins = (dftLength / 2) + 1;
        long[] dims = [spectrogramBins, melBins];
        var output = new double[OpTensor.Count(dims)];
        OpTensor.Count([melBins + 2]);
        double lowMel = 2595 * Math.Log10(1 + (lower / 700));
        double highMel = 2595 * Math.Log10(1 + (upper / 700));
        double step = (highMel - lowMel) / (melBins + 2);
        var bins = new long[melBins + 2];
        for (long i = 0; i < bins.Length; i++)
        {
            double hz = 700 * (Math.Pow(10, ((i * step) + lowMel) / 2595) - 1);
            double b = Math.Floor((dftLength + 1) * hz / sampleRate);
            if (!(b >= 0 && b < spectrogramBins))
            {
                throw ctx.Fail($"the edge frequencies {lower} to {upper} Hz fall outside the {spectrogramBins} spectrogram bins at sample rate {sampleRate}");
            }

            bins[i] = (long)b;
        }

        for (long i = 0; i < melBins; i++)
        {
            long left = bins[i], center = bins[i + 1], right = bins[i + 2];
            long lowToCenter = center - left;
            if (lowToCenter == 0)
            {
                output[(center * melBins) + i] = 1;
            }
            else
            {
                for (long j = left; j <= center; j++)
                {
                    output[(j * melBins) + i] = (double)(j - left) / lowToCenter;
                }
            }

            long centerToHigh = right - center;
            if (centerToHigh > 0)
            {
                for (long j = center; j < right; j++)
                {
                    output[(j * melBins) + i] = (double)(right - j) / centerToHigh;
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles((TensorElementType)ctx.Int("output_datatype", 1), dims, output));
    }

    private static long Scalar(OpContext ctx, int i) =>
        ctx.OptionalInts(i) is { Length: 1 } v ? v[0] : throw ctx.Fail($"input {i} must be an integer scalar");

    private static double ScalarDouble(OpContext ctx, int i) =>
        ctx.Input(i) is { Length: 1 } t ? t.GetDouble(0) : throw ctx.Fail($"input {i} must be a scalar");
}

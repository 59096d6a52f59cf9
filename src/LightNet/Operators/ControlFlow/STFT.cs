using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>The short-time Fourier transform: windowed DFTs of frames of [batch, length, 1 or 2] signals; output [batch, frames, bins, 2].</summary>
internal sealed class STFT : OperatorDef
{
    public override string OpType => "STFT";

    public override int SinceVersion => 17;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long v = node.GetInt("onesided", 1);
        if (v is not 0 and not 1)
        {
            problems.Add($"attribute 'onesided' = {v} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank != 3 || x.Dims[2] is not 1 and not 2)
        {
            throw ctx.Fail($"the signal {x} must be [batch, length, 1 or 2]");
        }

        long step = ctx.OptionalInts(1) is { Length: 1 } s ? s[0] : throw ctx.Fail("frame_step must be an integer scalar");
        OpTensor? window = ctx.Optional(2);
        long? frameLength = ctx.OptionalInts(3) is { } fl ? (fl.Length == 1 ? fl[0] : throw ctx.Fail("frame_length must be a scalar")) : null;
        if (window is not null && window.Rank != 1)
        {
            throw ctx.Fail($"the window {window} must be 1-D");
        }

        long n = frameLength ?? window?.Dims[0] ?? throw ctx.Fail("either a window or frame_length is required");
        if (window is not null && window.Dims[0] != n)
        {
            throw ctx.Fail($"the window length {window.Dims[0]} differs from frame_length {n}");
        }

        long batch = x.Dims[0], length = x.Dims[1];
        if (step < 1 || n < 1 || n > length)
        {
            throw ctx.Fail($"frame_step {step} and frame length {n} must be positive, the frame no longer than the signal ({length})");
        }

        bool complex = x.Dims[2] == 2;
        bool onesided = ctx.Int("onesided", 1) != 0;
        long frames = ((length - n) / step) + 1;
        long bins = onesided ? (n / 2) + 1 : n;
        long[] outDims = [batch, frames, bins, 2];
        var dst = new double[OpTensor.Count(outDims)];
        double[] src = x.ToDoubles();
        double[]? w = window?.ToDoubles();
        var re = new double[n];
        var im = new double[n];
        for (long b = 0; b < batch; b++)
        {
            for (long f = 0; f < frames; f++)
            {
                for (long j = 0; j < n; j++)
                {
                    long e = (b * length) + (f * step) + j;
                    double wj = w?[j] ?? 1;
                    re[j] = src[complex ? 2 * e : e] * wj;
                    im[j] = complex ? src[(2 * e) + 1] * wj : 0;
                }

                Fourier.Transform(re, im, inverse: false);
                for (long k = 0; k < bins; k++)
                {
                    long e = (((b * frames) + f) * bins) + k;
                    dst[2 * e] = re[k];
                    dst[(2 * e) + 1] = im[k];
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, dst));
    }
}

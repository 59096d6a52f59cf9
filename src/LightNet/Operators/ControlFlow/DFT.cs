using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>The discrete Fourier transform (or its inverse) of real or complex signals along one axis; output [..., n or n/2+1, ..., 2].</summary>
internal sealed class DFT : OperatorDef
{
    public override string OpType => "DFT";

    public override int SinceVersion => 17;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        foreach (string a in new[] { "inverse", "onesided" })
        {
            long v = node.GetInt(a, 0);
            if (v is not 0 and not 1)
            {
                problems.Add($"attribute '{a}' = {v} must be 0 or 1");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        int rank = x.Rank;
        if (rank < 2 || x.Dims[^1] is not 1 and not 2)
        {
            throw ctx.Fail($"the input {x} must have rank 2 or more and a last dimension of 1 (real) or 2 (complex)");
        }

        long axisValue;
        if (ctx.Opset >= 20)
        {
            axisValue = ctx.OptionalInts(2) is { } ax ? (ax.Length == 1 ? ax[0] : throw ctx.Fail("axis must be a scalar")) : -2;
        }
        else
        {
            axisValue = ctx.Int("axis", 1);
        }

        int axis = ctx.Axis(axisValue, rank);
        if (axis == rank - 1)
        {
            throw ctx.Fail($"axis {axisValue} is the last (real/imaginary) dimension");
        }

        bool inverse = ctx.Int("inverse", 0) != 0;
        bool onesided = ctx.Int("onesided", 0) != 0;

        // An inverse one-sided transform reads a half spectrum (Hermitian symmetry) and writes a real signal.
        bool halfInput = inverse && onesided;
        long inLen = x.Dims[axis];
        long n = halfInput ? 2 * (inLen - 1) : inLen;
        if (ctx.OptionalInts(1) is { } len)
        {
            n = len.Length == 1 ? len[0] : throw ctx.Fail("dft_length must be a scalar");
            if (n < 1)
            {
                throw ctx.Fail($"dft_length {n} must be positive");
            }
        }

        if (n < 1)
        {
            throw ctx.Fail($"the transform length {n} must be positive");
        }

        long outLen = onesided && !halfInput ? (n / 2) + 1 : n;
        int parts = halfInput ? 1 : 2;
        long[] outDims = (long[])x.Dims.Clone();
        outDims[axis] = outLen;
        outDims[^1] = parts;
        int outCount = OpTensor.Count(outDims);
        OpTensor.Count([n, 2]);
        double[] src = x.ToDoubles();
        var dst = new double[outCount];
        bool complex = x.Dims[^1] == 2;
        long inner = TensorParts.Product(x.Dims, axis + 1, rank - 1);
        long outer = TensorParts.Product(x.Dims, 0, axis);
        var re = new double[n];
        var im = new double[n];
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < inner; i++)
            {
                Array.Clear(re);
                Array.Clear(im);
                long m = Math.Min(n, inLen);
                for (long j = 0; j < m; j++)
                {
                    long e = (((o * inLen) + j) * inner) + i;
                    re[j] = src[complex ? 2 * e : e];
                    im[j] = complex ? src[(2 * e) + 1] : 0;
                }

                if (halfInput)
                {
                    for (long j = (n / 2) + 1; j < n; j++)
                    {
                        re[j] = n - j < inLen ? re[n - j] : 0;
                        im[j] = n - j < inLen ? -im[n - j] : 0;
                    }
                }

                Fourier.Transform(re, im, inverse);
                double scale = inverse ? 1.0 / n : 1.0;
                for (long j = 0; j < outLen; j++)
                {
                    long e = (((o * outLen) + j) * inner) + i;
                    if (halfInput)
                    {
                        dst[e] = re[j] * scale;
                        continue;
                    }

                    dst[2 * e] = re[j] * scale;
                    dst[(2 * e) + 1] = im[j] * scale;
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, dst));
    }
}

using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.NeuralNet;

/// <summary>N-D transposed convolution (groups, strides, dilations, pads, output_padding, output_shape, auto_pad, bias).</summary>
internal sealed class ConvTranspose : OperatorDef
{
    public override string OpType => "ConvTranspose";

    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        Engine.CompiledLimits.AutoPad(n, problem);
        Engine.CompiledLimits.TwoDimensional(n, "convolution", problem);
    }

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.TransposedConvolution(MacCount.At(inputs, 0), MacCount.At(inputs, 1));

    public override void ValidateSpecification(Node node, long opset, List<string> problems) => SpatialGeometry.ValidateWindow(node, problems, convolution: true);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), w = ctx.Input(1);
        OpTensor? b = ctx.Optional(2);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank < 3 || w.Rank != x.Rank)
        {
            throw ctx.Fail($"X {x} and W {w} must have the same rank, at least 3");
        }

        int r = x.Rank - 2;
        long group = ctx.Int("group", 1);
        long n = x.Dims[0], c = x.Dims[1];
        if (group < 1 || c % group != 0 || w.Dims[0] != c)
        {
            throw ctx.Fail($"X {x} and W {w} do not fit group = {group}");
        }

        long mg = w.Dims[1], m = checked(mg * group);
        long[] kernel = ctx.Ints("kernel_shape") ?? w.Dims[2..];
        if (kernel.Length != r || !kernel.SequenceEqual(w.Dims[2..]))
        {
            throw ctx.Fail($"attribute 'kernel_shape' = {Dimension.Format(kernel)} does not match W {w}");
        }

        if (b is not null && (b.Rank != 1 || b.Dims[0] != m))
        {
            throw ctx.Fail($"bias {b} must have {m} elements");
        }

        long[] strides = SpatialGeometry.Attr(ctx, "strides", r, 1);
        long[] dilations = SpatialGeometry.Attr(ctx, "dilations", r, 1);
        long[] outPad = SpatialGeometry.Attr(ctx, "output_padding", r, 0);
        long[] pads = ctx.Ints("pads") ?? new long[2 * r];
        if (pads.Length != 2 * r)
        {
            throw ctx.Fail($"attribute 'pads' has {pads.Length} values, expected {2 * r}");
        }

        long[]? outputShape = ctx.Ints("output_shape");
        if (outputShape is not null && outputShape.Length == r + 2)
        {
            outputShape = outputShape[2..];
        }

        if (outputShape is not null && outputShape.Length != r)
        {
            throw ctx.Fail($"attribute 'output_shape' = {Dimension.Format(outputShape)} must have {r} values");
        }

        string autoPad = ctx.String("auto_pad", "NOTSET");
        long[] inSp = x.Dims[2..];
        var head = new long[r];
        var tail = new long[r];
        var outSp = new long[r];
        for (int d = 0; d < r; d++)
        {
            if (strides[d] <= 0 || dilations[d] <= 0 || kernel[d] <= 0 || outPad[d] < 0)
            {
                throw ctx.Fail("kernel, strides and dilations must be positive and output_padding not negative");
            }

            if (strides[d] > OpTensor.MaxElements || dilations[d] > OpTensor.MaxElements || kernel[d] > OpTensor.MaxElements
                || outPad[d] > OpTensor.MaxElements || Math.Abs(pads[d]) > OpTensor.MaxElements || Math.Abs(pads[d + r]) > OpTensor.MaxElements)
            {
                throw ctx.Fail("kernel, strides, dilations, pads or output_padding are out of range");
            }

            long dk = checked(((kernel[d] - 1) * dilations[d]) + 1);
            long natural = checked(((inSp[d] - 1) * strides[d]) + outPad[d] + dk);
            if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                long target = outputShape is not null ? outputShape[d] : checked(inSp[d] * strides[d]);
                long total = Math.Max(0, natural - target);
                head[d] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                tail[d] = total - head[d];

                // As ONNX Runtime: an explicit output_shape is kept; SAME keeps in * stride unless that needs negative pads.
                outSp[d] = outputShape is not null ? target : natural - head[d] - tail[d];
            }
            else
            {
                if (autoPad != "VALID")
                {
                    head[d] = pads[d];
                    tail[d] = pads[d + r];
                }

                outSp[d] = natural - head[d] - tail[d];
            }

            if (outSp[d] < 0)
            {
                throw ctx.Fail($"the output spatial shape {Dimension.Format(outSp)} would be negative");
            }
        }

        // The scatter is the adjoint of a convolution whose input is this output and whose output is this input.
        var g = new SpatialGeometry(outSp, kernel, strides, dilations, head, tail, inSp);
        long[] outDims = [n, m, .. outSp];
        int total2 = OpTensor.Count(outDims);
        int inCount = g.OutputCount, outCount = g.InputCount, kCount = g.KernelCount;
        int cg = (int)(c / group), mgi = (int)mg;
        double[] xd = x.ToDoubles(), wd = w.ToDoubles();
        var y = new double[total2];
        if (b is not null)
        {
            double[] bd = b.ToDoubles();
            for (int i = 0; i < total2; i++)
            {
                y[i] = bd[(i / Math.Max(outCount, 1)) % m];
            }
        }

        if (total2 == 0 || inCount == 0)
        {
            ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
            return;
        }

        int[] map = g.GatherMap();
        var col = new double[OpTensor.Count([mg, kCount, inCount])];
        var wt = new double[OpTensor.Count([mg, kCount, cg])];
        for (int gi = 0; gi < group; gi++)
        {
            int rows = mgi * kCount;
            for (int ci = 0; ci < cg; ci++)
            {
                int src = ((gi * cg) + ci) * rows;
                for (int row = 0; row < rows; row++)
                {
                    wt[(row * cg) + ci] = wd[src + row];
                }
            }

            for (int bi = 0; bi < n; bi++)
            {
                int xOff = checked((int)(((bi * c) + (gi * cg)) * inCount));
                int yOff = checked((int)(((bi * m) + (gi * mg)) * outCount));
                Array.Clear(col);
                ConvMath.Gemm(wt, 0, rows, cg, xd, xOff, inCount, col, 0);
                ConvMath.Col2Im(col, 0, mgi, map, kCount, inCount, y, yOff, outCount);
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }
}

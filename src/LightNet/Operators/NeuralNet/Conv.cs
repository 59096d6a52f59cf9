using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.NeuralNet;

/// <summary>N-D convolution (groups, strides, dilations, pads or auto_pad, optional bias) as im2col and a blocked GEMM.</summary>
internal sealed class Conv : OperatorDef
{
    public override string OpType => "Conv";

    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        Engine.CompiledLimits.AutoPad(n, problem);
        Engine.CompiledLimits.TwoDimensional(n, "convolution", problem);
    }

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.Convolution(MacCount.At(inputs, 1), MacCount.At(outputs, 0));

    public override void ValidateSpecification(Node node, long opset, List<string> problems) => SpatialGeometry.ValidateWindow(node, problems, convolution: true);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), w = ctx.Input(1);
        OpTensor? b = ctx.Optional(2);
        ConvMath.RequireFloat(ctx, x, "X");
        ctx.Set(0, Run(ctx, x, w, b));
    }

    /// <summary>The convolution of X by W (plus bias), reading the node's attributes.</summary>
    public static OpTensor Run(OpContext ctx, OpTensor x, OpTensor w, OpTensor? b)
    {
        if (x.Rank < 3 || w.Rank != x.Rank)
        {
            throw ctx.Fail($"X {x} and W {w} must have the same rank, at least 3");
        }

        int r = x.Rank - 2;
        long group = ctx.Int("group", 1);
        long n = x.Dims[0], c = x.Dims[1], m = w.Dims[0];
        if (group < 1 || c % group != 0 || m % group != 0 || w.Dims[1] * group != c)
        {
            throw ctx.Fail($"X {x} and W {w} do not fit group = {group}");
        }

        long[] kernel = ctx.Ints("kernel_shape") ?? w.Dims[2..];
        if (kernel.Length != r || !kernel.SequenceEqual(w.Dims[2..]))
        {
            throw ctx.Fail($"attribute 'kernel_shape' = {Dimension.Format(kernel)} does not match W {w}");
        }

        if (b is not null && (b.Rank != 1 || b.Dims[0] != m))
        {
            throw ctx.Fail($"bias {b} must have {m} elements");
        }

        SpatialGeometry g = SpatialGeometry.Create(ctx, x.Dims[2..], kernel, pooling: false, ceilMode: false);
        long[] outDims = [n, m, .. g.Output];
        int total = OpTensor.Count(outDims);
        int inCount = g.InputCount, outCount = g.OutputCount, kCount = g.KernelCount;
        int cg = (int)(c / group), mg = (int)(m / group);
        double[] xd = x.ToDoubles(), wd = w.ToDoubles();
        var y = new double[total];
        if (b is not null)
        {
            double[] bd = b.ToDoubles();
            for (int i = 0; i < total; i++)
            {
                y[i] = bd[(i / Math.Max(outCount, 1)) % m];
            }
        }

        if (total == 0)
        {
            return OpTensor.FromDoubles(x.Type, outDims, y);
        }

        bool direct = kCount == 1 && outCount == inCount && g.Strides.All(s => s == 1) && g.PadBegin.All(p => p == 0);
        int[]? map = direct ? null : g.GatherMap();
        double[]? col = direct ? null : new double[OpTensor.Count([cg, kCount, outCount])];
        for (int bi = 0; bi < n; bi++)
        {
            for (int gi = 0; gi < group; gi++)
            {
                int xOff = checked((int)(((bi * c) + (gi * cg)) * inCount));
                int yOff = checked((int)(((bi * m) + (gi * mg)) * outCount));
                int wOff = gi * mg * cg * kCount;
                if (direct)
                {
                    ConvMath.Gemm(wd, wOff, mg, cg * kCount, xd, xOff, outCount, y, yOff);
                }
                else
                {
                    ConvMath.Im2Col(xd, xOff, cg, inCount, map!, kCount, outCount, col!);
                    ConvMath.Gemm(wd, wOff, mg, cg * kCount, col!, 0, outCount, y, yOff);
                }
            }
        }

        return OpTensor.FromDoubles(x.Type, outDims, y);
    }
}

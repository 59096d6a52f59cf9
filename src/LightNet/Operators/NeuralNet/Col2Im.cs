using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>Rearranges column blocks [N, C * prod(block), L] into an image [N, C, image...], summing overlaps.</summary>
internal sealed class Col2Im : OperatorDef
{
    public override string OpType => "Col2Im";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        ConvMath.RequireFloat(ctx, x, "input");
        long[] image = ctx.OptionalInts(1) ?? throw ctx.Fail("image_shape is required");
        long[] block = ctx.OptionalInts(2) ?? throw ctx.Fail("block_shape is required");
        int r = image.Length;
        if (r == 0 || block.Length != r || x.Rank != 3)
        {
            throw ctx.Fail($"input {x} must be [N, C * prod(block_shape), L] with image_shape {Dimension.Format(image)} and block_shape {Dimension.Format(block)} of one length");
        }

        if (image.Any(v => v <= 0) || block.Any(v => v <= 0))
        {
            throw ctx.Fail($"image_shape {Dimension.Format(image)} and block_shape {Dimension.Format(block)} must be positive");
        }

        SpatialGeometry g = SpatialGeometry.Create(ctx, image, block, pooling: false, ceilMode: false);
        int kCount = g.KernelCount, l = g.OutputCount, imgCount = g.InputCount;
        if (x.Dims[1] % kCount != 0 || x.Dims[2] != l)
        {
            throw ctx.Fail($"input {x} does not fit block_shape {Dimension.Format(block)} ({kCount} values) and {l} blocks");
        }

        long n = x.Dims[0], c = x.Dims[1] / kCount;
        long[] outDims = [n, c, .. image];
        var y = new double[OpTensor.Count(outDims)];
        if (y.Length > 0 && l > 0)
        {
            int[] map = g.GatherMap();
            double[] xd = x.ToDoubles();
            for (int b = 0; b < n; b++)
            {
                ConvMath.Col2Im(xd, (int)(b * c * kCount * l), (int)c, map, kCount, l, y, (int)(b * c * imgCount), imgCount);
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Moves blocks of space into channels (the inverse of DepthToSpace in DCR order).</summary>
internal sealed class SpaceToDepth : OperatorDef
{
    public override string OpType => "SpaceToDepth";

    public override string Types => "all";

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        if (node.GetInt("blocksize", 0) is <= 0 or > NeuralNet.SpatialGeometry.MaxWindowValue)
        {
            problems.Add($"attribute 'blocksize' = {node.GetInt("blocksize", 0)} must be from 1 to {NeuralNet.SpatialGeometry.MaxWindowValue}");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long b = ctx.Int("blocksize", 1);
        if (x.Rank != 4 || x.Dims[2] % b != 0 || x.Dims[3] % b != 0)
        {
            throw ctx.Fail($"input {x} must be 4-D with height and width divisible by blocksize {b}");
        }

        long n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3];
        long[] dims = [n, c * b * b, h / b, w / b];
        var offsets = new int[OpTensor.Count(dims)];
        int i = 0;
        for (long ni = 0; ni < n; ni++)
        for (long oc = 0; oc < c * b * b; oc++)
        for (long y = 0; y < h / b; y++)
        for (long xx = 0; xx < w / b; xx++)
        {
            long ci = oc % c, blk = oc / c, by = blk / b, bx = blk % b;
            offsets[i++] = (int)((((ni * c) + ci) * h + (y * b) + by) * w + (xx * b) + bx);
        }

        ctx.Set(0, x.Gather(dims, offsets));
    }
}

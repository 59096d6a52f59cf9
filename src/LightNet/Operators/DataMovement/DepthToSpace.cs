using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Moves blocks of channels into space (DCR or CRD order).</summary>
internal sealed class DepthToSpace : OperatorDef
{
    public override string OpType => "DepthToSpace";

    public override string Types => "all";

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        if (node.GetInt("blocksize", 0) is <= 0 or > NeuralNet.SpatialGeometry.MaxWindowValue)
        {
            problems.Add($"attribute 'blocksize' = {node.GetInt("blocksize", 0)} must be from 1 to {NeuralNet.SpatialGeometry.MaxWindowValue}");
        }

        if (node.GetString("mode", "DCR") is not ("DCR" or "CRD"))
        {
            problems.Add($"attribute 'mode' = '{node.GetString("mode", "")}' is not DCR or CRD");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long b = ctx.Int("blocksize", 1);
        if (x.Rank != 4 || x.Dims[1] % (b * b) != 0)
        {
            throw ctx.Fail($"input {x} must be 4-D with channels divisible by blocksize² = {b * b}");
        }

        long n = x.Dims[0], c = x.Dims[1], h = x.Dims[2], w = x.Dims[3], oc = c / (b * b);
        bool crd = ctx.String("mode", "DCR") == "CRD";
        long[] dims = [n, oc, h * b, w * b];
        var offsets = new int[OpTensor.Count(dims)];
        int i = 0;
        for (long ni = 0; ni < n; ni++)
        for (long ci = 0; ci < oc; ci++)
        for (long y = 0; y < h * b; y++)
        for (long xx = 0; xx < w * b; xx++)
        {
            long by = y % b, bx = xx % b;
            long src = crd ? (ci * b * b) + (by * b) + bx : (((by * b) + bx) * oc) + ci;
            offsets[i++] = (int)((((ni * c) + src) * h + (y / b)) * w + (xx / b));
        }

        ctx.Set(0, x.Gather(dims, offsets));
    }
}

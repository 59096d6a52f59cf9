using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Splits along an axis: sizes from the split attribute (before opset 13) or input, equal parts, or num_outputs (opset 18, last part smaller).</summary>
internal sealed class Split : OperatorDef
{
    public override string OpType => "Split";

    public override bool Compiled => true;

    public override string Types => "all";

    public override void ValidateSpecification(Node node, long opset, List<string> problems)
    {
        if (node.GetInts("split") is { } split && split.Any(v => v < 0))
        {
            problems.Add($"attribute 'split' = {Dimension.Format(split)} must not hold negative sizes");
        }

        if (node.Attributes.ContainsKey("num_outputs") && node.GetInt("num_outputs", 1) < 1)
        {
            problems.Add($"attribute 'num_outputs' = {node.GetInt("num_outputs", 1)} must be at least 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        long dim = x.Dims[axis];
        int parts = ctx.OutputCount;
        long[]? split = ctx.Opset < 13 ? ctx.Ints("split") : ctx.OptionalInts(1);
        if (split is null)
        {
            if (ctx.Opset >= 18 && ctx.HasAttribute("num_outputs"))
            {
                long num = ctx.Int("num_outputs", parts);
                if (num != parts)
                {
                    throw ctx.Fail($"num_outputs = {num} but the node has {parts} outputs");
                }

                long size = (dim + num - 1) / num;
                split = Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(size, dim - (i * size)))).ToArray();
            }
            else
            {
                if (dim % parts != 0)
                {
                    throw ctx.Fail($"dimension {axis} of {x} ({dim}) does not split into {parts} equal parts");
                }

                split = Enumerable.Repeat(dim / parts, parts).ToArray();
            }
        }

        if (split.Length != parts || split.Any(s => s < 0) || split.Sum() != dim)
        {
            throw ctx.Fail($"split sizes {Dimension.Format(split)} do not divide dimension {axis} of {x} into {parts} outputs");
        }

        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.Dims[d];
        long inner = 1;
        for (int d = axis + 1; d < x.Rank; d++) inner *= x.Dims[d];
        long start = 0;
        for (int p = 0; p < parts; p++)
        {
            long[] dims = (long[])x.Dims.Clone();
            dims[axis] = split[p];
            Array y = OpTensor.Allocate(x.Type, OpTensor.Count(dims));
            long run = split[p] * inner;
            for (long o = 0; o < outer && run > 0; o++)
            {
                Array.Copy(x.Data, (o * dim * inner) + (start * inner), y, o * run, run);
            }

            start += split[p];
            ctx.Set(p, new OpTensor(x.Type, dims, y));
        }
    }
}

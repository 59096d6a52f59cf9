namespace LightNet.Operators.ControlFlow;

/// <summary>Splits a tensor along 'axis' into a sequence: parts of size 1 (squeezed unless keepdims), of one given size, or of the listed sizes.</summary>
internal sealed class SplitToSequence : OperatorDef
{
    public override string OpType => "SplitToSequence";

    public override int SinceVersion => 11;

    public override string Types => "all";

    public override void Validate(Onnx.Node node, long opset, List<string> problems)
    {
        long keep = node.GetInt("keepdims", 1);
        if (keep is not 0 and not 1)
        {
            problems.Add($"attribute 'keepdims' = {keep} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank == 0)
        {
            throw ctx.Fail("a scalar cannot be split");
        }

        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        long dim = x.Dims[axis];
        var items = new List<OpTensor>();
        OpTensor? split = ctx.Optional(1);
        if (split is null)
        {
            bool keep = ctx.Int("keepdims", 1) != 0;
            for (long i = 0; i < dim; i++)
            {
                items.Add(keep ? TensorParts.Range(x, axis, i, 1) : TensorParts.Slice(x, axis, i));
            }
        }
        else
        {
            long[] sizes = ctx.OptionalInts(1)!;
            if (split.Rank == 0)
            {
                long size = sizes[0];
                if (size <= 0)
                {
                    throw ctx.Fail($"split size {size} must be positive");
                }

                for (long start = 0; start < dim; start += size)
                {
                    items.Add(TensorParts.Range(x, axis, start, Math.Min(size, dim - start)));
                }
            }
            else
            {
                if (sizes.Any(s => s < 0) || sizes.Sum() != dim)
                {
                    throw ctx.Fail($"split sizes [{string.Join(", ", sizes)}] must be non-negative and add up to the dimension {dim} of axis {axis}");
                }

                long start = 0;
                foreach (long s in sizes)
                {
                    items.Add(TensorParts.Range(x, axis, start, s));
                    start += s;
                }
            }
        }

        ctx.Set(0, new OpSequence(x.Type, items));
    }
}

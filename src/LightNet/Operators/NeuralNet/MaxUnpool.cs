using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>The partial inverse of MaxPool: scatters X to the flat positions given by I in a zero tensor.</summary>
internal sealed class MaxUnpool : OperatorDef
{
    public override string OpType => "MaxUnpool";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetInts("kernel_shape") is null)
        {
            problems.Add("attribute 'kernel_shape' is required");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), ind = ctx.Input(1);
        ConvMath.RequireFloat(ctx, x, "X");
        if (x.Rank < 3 || !ind.Dims.SequenceEqual(x.Dims))
        {
            throw ctx.Fail($"X {x} must have rank 3 or more and I {ind} the same shape");
        }

        int r = x.Rank - 2;
        long[] kernel = ctx.Ints("kernel_shape") ?? throw ctx.Fail("attribute 'kernel_shape' is required");
        if (kernel.Length != r)
        {
            throw ctx.Fail($"attribute 'kernel_shape' = {Dimension.Format(kernel)} does not fit X {x}");
        }

        long[] strides = SpatialGeometry.Attr(ctx, "strides", r, 1);
        long[] pads = ctx.Ints("pads") ?? new long[2 * r];
        if (pads.Length != 2 * r)
        {
            throw ctx.Fail($"attribute 'pads' has {pads.Length} values, expected {2 * r}");
        }

        var inferred = new long[x.Rank];
        inferred[0] = x.Dims[0];
        inferred[1] = x.Dims[1];
        for (int d = 0; d < r; d++)
        {
            inferred[d + 2] = checked(((x.Dims[d + 2] - 1) * strides[d]) + kernel[d] - pads[d] - pads[d + r]);
        }

        long[] outDims = inferred;
        long[]? shape = ctx.OptionalInts(2);
        if (shape is not null)
        {
            if (shape.Length != x.Rank || shape[0] != x.Dims[0] || shape[1] != x.Dims[1])
            {
                throw ctx.Fail($"output_shape {Dimension.Format(shape)} does not fit X {x}");
            }

            outDims = shape;
        }

        int total = OpTensor.Count(outDims);
        int inferredTotal = OpTensor.Count(inferred);
        bool remap = !outDims.SequenceEqual(inferred);
        var pos = new long[x.Rank];
        double[] xd = x.ToDoubles();
        long[] id = ind.ToLongs();
        var y = new double[total];
        for (int i = 0; i < xd.Length; i++)
        {
            long t = id[i];
            if (t < 0 || t >= (remap ? inferredTotal : total))
            {
                throw ctx.Fail($"index {t} in I is outside the output of shape {Dimension.Format(remap ? inferred : outDims)}");
            }

            if (remap)
            {
                // Indices address the default output shape: place each element at the same coordinates in the given one.
                SpatialGeometry.Unflatten(t, inferred, pos);
                t = 0;
                for (int d = 0; d < pos.Length; d++)
                {
                    if (pos[d] >= outDims[d])
                    {
                        throw ctx.Fail($"index {id[i]} in I falls outside output_shape {Dimension.Format(outDims)}");
                    }

                    t = (t * outDims[d]) + pos[d];
                }
            }

            y[t] = xd[i];
        }

        ctx.Set(0, OpTensor.FromDoubles(x.Type, outDims, y));
    }
}

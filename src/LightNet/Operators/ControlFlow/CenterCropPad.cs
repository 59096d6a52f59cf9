namespace LightNet.Operators.ControlFlow;

/// <summary>Center-crops or zero-pads the input to the given 'shape' along 'axes' (all axes by default).</summary>
internal sealed class CenterCropPad : OperatorDef
{
    public override string OpType => "CenterCropPad";

    public override int SinceVersion => 18;

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        long[] shape = ctx.OptionalInts(1) ?? throw ctx.Fail("input 1 (shape) is required");
        int rank = x.Rank;
        long[] axesAttr = ctx.Ints("axes") ?? Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        if (axesAttr.Length != shape.Length)
        {
            throw ctx.Fail($"shape has {shape.Length} values for {axesAttr.Length} axes");
        }

        long[] outDims = (long[])x.Dims.Clone();
        var srcStart = new long[rank];
        var dstStart = new long[rank];
        var seen = new bool[rank];
        for (int i = 0; i < axesAttr.Length; i++)
        {
            int a = ctx.Axis(axesAttr[i], rank, "axes entry");
            if (seen[a])
            {
                throw ctx.Fail($"axis {axesAttr[i]} appears twice");
            }

            seen[a] = true;
            long want = shape[i], dim = x.Dims[a];
            if (want < 0)
            {
                throw ctx.Fail($"shape value {want} must not be negative");
            }

            outDims[a] = want;
            if (want < dim)
            {
                srcStart[a] = (dim - want) / 2;
            }
            else
            {
                dstStart[a] = (want - dim) / 2;
            }
        }

        OpTensor y = OpTensor.Zeros(x.Type, outDims);
        if (x.Type == Onnx.TensorElementType.String)
        {
            Array.Fill(y.Get<string>(), string.Empty);
        }

        // The copied block: per axis, min(dim, out) elements, from srcStart in the input to dstStart in the output.
        var len = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            len[d] = Math.Min(x.Dims[d], outDims[d]);
        }

        if (len.Any(l => l == 0) || y.Length == 0)
        {
            ctx.Set(0, y);
            return;
        }

        if (rank == 0)
        {
            Array.Copy(x.Data, y.Data, 1);
            ctx.Set(0, y);
            return;
        }

        long[] inStrides = Strides(x.Dims), outStrides = Strides(outDims);
        var idx = new long[rank - 1];
        long inner = len[rank - 1];
        while (true)
        {
            long src = srcStart[rank - 1], dst = dstStart[rank - 1];
            for (int d = 0; d < rank - 1; d++)
            {
                src += (srcStart[d] + idx[d]) * inStrides[d];
                dst += (dstStart[d] + idx[d]) * outStrides[d];
            }

            Array.Copy(x.Data, src, y.Data, dst, inner);
            int k = rank - 2;
            while (k >= 0 && ++idx[k] == len[k])
            {
                idx[k] = 0;
                k--;
            }

            if (k < 0)
            {
                break;
            }
        }

        ctx.Set(0, y);
    }

    private static long[] Strides(long[] dims)
    {
        var s = new long[dims.Length];
        long p = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            s[d] = p;
            p *= dims[d];
        }

        return s;
    }
}

using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>The coordinates of the non-zero elements, as a [rank, count] int64 tensor in row-major order.</summary>
internal sealed class NonZero : OperatorDef
{
    public override string OpType => "NonZero";

    public override bool ShapeDependsOnValues => true;

    public override string Types => "all numeric and bool";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        bool[] nz = x.ToBools();
        int count = nz.Count(b => b);
        int rank = Math.Max(x.Rank, x.Rank == 0 ? 1 : 0);
        var y = new long[rank * count];
        var coords = new long[x.Rank];
        for (int i = 0, k = 0; i < nz.Length; i++)
        {
            if (!nz[i]) continue;
            Indexing.Unravel(i, x.Dims, coords);
            for (int d = 0; d < x.Rank; d++) y[(d * count) + k] = coords[d];
            k++;
        }

        ctx.Set(0, new OpTensor(TensorElementType.Int64, [x.Rank == 0 ? 0 : x.Rank, count], x.Rank == 0 ? new long[0] : y));
    }
}

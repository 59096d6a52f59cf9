namespace LightNet.Operators.DataMovement;

/// <summary>The upper (default) or lower triangle of the last two dimensions, shifted by k; the rest zero.</summary>
internal sealed class Trilu : OperatorDef
{
    public override string OpType => "Trilu";

    public override string Types => "all numeric and bool";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Rank < 2)
        {
            throw ctx.Fail($"input {x} must have rank 2 or more");
        }

        long k = ctx.Optional(1) is { } kt ? (kt.Length == 1 && !kt.IsFloat ? kt.GetLong(0) : throw ctx.Fail($"k must be an integer scalar, not {kt}")) : 0;
        bool upper = ctx.Int("upper", 1) != 0;
        long rows = x.Dims[^2], cols = x.Dims[^1];
        Array y = (Array)x.Data.Clone();
        Array zero = OpTensor.Allocate(x.Type, 1);
        for (long i = 0; i < x.Length; i++)
        {
            long c = i % cols, r = i / cols % rows;
            bool keep = upper ? c - r >= k : c - r <= k;
            if (!keep) Array.Copy(zero, 0, y, i, 1);
        }

        ctx.Set(0, new OpTensor(x.Type, x.Dims, y));
    }
}

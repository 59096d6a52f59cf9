using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Permutes the dimensions (reversed when perm is absent).</summary>
internal sealed class Transpose : OperatorDef
{
    public override string OpType => "Transpose";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        int rank = x.Rank;
        long[] perm = ctx.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank || perm.Distinct().Count() != rank || perm.Any(p => p < 0 || p >= rank))
        {
            throw ctx.Fail($"perm {Dimension.Format(perm)} is not a permutation of {rank} axes");
        }

        long[] strides = Indexing.Strides(x.Dims);
        long[] outDims = perm.Select(p => x.Dims[p]).ToArray();
        long[] src = perm.Select(p => strides[p]).ToArray();
        ctx.Set(0, x.Gather(outDims, Indexing.StridedOffsets(outDims, src, 0)));
    }
}

namespace LightNet.Operators.Reduction;

/// <summary>The Reduction operator group: one file per operator in this folder.</summary>
internal static class ReductionOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new ReduceSum(), new ReduceMean(), new ReduceMax(), new ReduceMin(), new ReduceProd(),
        new ReduceL1(), new ReduceL2(), new ReduceLogSum(), new ReduceLogSumExp(), new ReduceSumSquare(),
        new ArgMax(), new ArgMin(), new CumSum(), new CumProd(), new TopK(),
        new Hardmax(), new Softmax(), new LogSoftmax(),
        new MatMul(), new Gemm(), new Einsum(), new Det(),
        new SoftmaxCrossEntropyLoss(), new NegativeLogLikelihoodLoss(),
    ];
}

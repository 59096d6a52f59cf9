namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the sum of squares.</summary>
internal sealed class ReduceSumSquare : ReduceOperator
{
    public override string OpType => "ReduceSumSquare";

    protected override ReduceKind Kind => ReduceKind.SumSquare;
}

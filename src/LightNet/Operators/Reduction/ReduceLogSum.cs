namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the natural log of the sum.</summary>
internal sealed class ReduceLogSum : ReduceOperator
{
    public override string OpType => "ReduceLogSum";

    protected override ReduceKind Kind => ReduceKind.LogSum;
}

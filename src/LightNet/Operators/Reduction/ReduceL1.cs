namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the sum of absolute values.</summary>
internal sealed class ReduceL1 : ReduceOperator
{
    public override string OpType => "ReduceL1";

    protected override ReduceKind Kind => ReduceKind.L1;
}

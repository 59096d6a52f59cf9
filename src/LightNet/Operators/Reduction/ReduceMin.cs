namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the minimum (NaN propagates; bool: all).</summary>
internal sealed class ReduceMin : ReduceOperator
{
    public override string OpType => "ReduceMin";

    protected override ReduceKind Kind => ReduceKind.Min;
}

namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the maximum (NaN propagates; bool: any).</summary>
internal sealed class ReduceMax : ReduceOperator
{
    public override string OpType => "ReduceMax";

    protected override ReduceKind Kind => ReduceKind.Max;
}

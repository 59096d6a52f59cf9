namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the arithmetic mean.</summary>
internal sealed class ReduceMean : ReduceOperator
{
    public override string OpType => "ReduceMean";

    protected override ReduceKind Kind => ReduceKind.Mean;
}

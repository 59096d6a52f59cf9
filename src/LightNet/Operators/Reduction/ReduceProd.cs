namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the product.</summary>
internal sealed class ReduceProd : ReduceOperator
{
    public override string OpType => "ReduceProd";

    protected override ReduceKind Kind => ReduceKind.Prod;
}

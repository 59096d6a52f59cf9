namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the Euclidean norm.</summary>
internal sealed class ReduceL2 : ReduceOperator
{
    public override string OpType => "ReduceL2";

    protected override ReduceKind Kind => ReduceKind.L2;
}

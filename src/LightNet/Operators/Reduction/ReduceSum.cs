namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to the sum.</summary>
internal sealed class ReduceSum : ReduceOperator
{
    public override string OpType => "ReduceSum";

    protected override ReduceKind Kind => ReduceKind.Sum;

    protected override int AxesInputSince => 13;
}

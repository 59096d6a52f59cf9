namespace LightNet.Operators.Reduction;

/// <summary>Reduces over the given axes (all by default) to log(sum(exp(x))), computed stably.</summary>
internal sealed class ReduceLogSumExp : ReduceOperator
{
    public override string OpType => "ReduceLogSumExp";

    protected override ReduceKind Kind => ReduceKind.LogSumExp;
}

namespace LightNet.Operators.Reduction;

/// <summary>Running sums along an axis (optionally exclusive and/or reversed).</summary>
internal sealed class CumSum : Cumulative
{
    public override string OpType => "CumSum";

    public override int SinceVersion => 11;

    protected override bool Product => false;
}

namespace LightNet.Operators.Reduction;

/// <summary>Running products along an axis (optionally exclusive and/or reversed).</summary>
internal sealed class CumProd : Cumulative
{
    public override string OpType => "CumProd";

    public override int SinceVersion => 26;

    protected override bool Product => true;
}

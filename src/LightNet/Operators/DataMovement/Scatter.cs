namespace LightNet.Operators.DataMovement;

/// <summary>The deprecated name of ScatterElements (opsets 9 to 10).</summary>
internal sealed class Scatter : ScatterElements
{
    public override string OpType => "Scatter";
}

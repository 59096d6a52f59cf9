using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Round down.</summary>
internal sealed class Floor : UnaryOperator
{
    public override string OpType => "Floor";

    protected override Func<double, double> Function(OpContext ctx) => Math.Floor;
}

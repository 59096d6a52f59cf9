using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Arctangent.</summary>
internal sealed class Atan : UnaryOperator
{
    public override string OpType => "Atan";

    protected override Func<double, double> Function(OpContext ctx) => Math.Atan;
}

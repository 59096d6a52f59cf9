using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>e to the power x.</summary>
internal sealed class Exp : UnaryOperator
{
    public override string OpType => "Exp";

    protected override Func<double, double> Function(OpContext ctx) => Math.Exp;
}

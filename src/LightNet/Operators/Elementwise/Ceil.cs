using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Round up.</summary>
internal sealed class Ceil : UnaryOperator
{
    public override string OpType => "Ceil";

    protected override Func<double, double> Function(OpContext ctx) => Math.Ceiling;
}

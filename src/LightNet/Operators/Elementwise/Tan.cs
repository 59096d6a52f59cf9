using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Tangent.</summary>
internal sealed class Tan : UnaryOperator
{
    public override string OpType => "Tan";

    protected override Func<double, double> Function(OpContext ctx) => Math.Tan;
}

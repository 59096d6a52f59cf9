using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Arccosine.</summary>
internal sealed class Acos : UnaryOperator
{
    public override string OpType => "Acos";

    protected override Func<double, double> Function(OpContext ctx) => Math.Acos;
}

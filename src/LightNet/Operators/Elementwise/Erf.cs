using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>The error function.</summary>
internal sealed class Erf : UnaryOperator
{
    public override string OpType => "Erf";

    protected override Func<double, double> Function(OpContext ctx) => SpecialFunctions.Erf;
}

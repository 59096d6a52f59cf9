using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>log(1 + e^x).</summary>
internal sealed class Softplus : UnaryOperator
{
    public override string OpType => "Softplus";

    protected override Func<double, double> Function(OpContext ctx) => x => x > 30 ? x : Math.Log(1 + Math.Exp(x));
}

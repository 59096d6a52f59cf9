using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Logistic sigmoid.</summary>
internal sealed class Sigmoid : UnaryOperator
{
    public override string OpType => "Sigmoid";

    protected override Func<double, double> Function(OpContext ctx) => x => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}

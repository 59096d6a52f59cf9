using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x * tanh(softplus(x)).</summary>
internal sealed class Mish : UnaryOperator
{
    public override string OpType => "Mish";

    protected override Func<double, double> Function(OpContext ctx) => x => x * Math.Tanh(x > 30 ? x : Math.Log(1 + Math.Exp(x)));
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Sine.</summary>
internal sealed class Sin : UnaryOperator
{
    public override string OpType => "Sin";

    protected override Func<double, double> Function(OpContext ctx) => Math.Sin;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Natural logarithm.</summary>
internal sealed class Log : UnaryOperator
{
    public override string OpType => "Log";

    protected override Func<double, double> Function(OpContext ctx) => Math.Log;
}

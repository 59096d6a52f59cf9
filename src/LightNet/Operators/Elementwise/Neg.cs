using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Negation.</summary>
internal sealed class Neg : UnaryOperator
{
    public override string OpType => "Neg";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double> Function(OpContext ctx) => x => -x;

    protected override Func<long, long>? IntegerFunction(OpContext ctx) => x => unchecked(-x);
}

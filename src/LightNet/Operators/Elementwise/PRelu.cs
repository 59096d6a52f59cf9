using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>x for x ≥ 0, slope·x below; the slope broadcasts to x (unidirectionally).</summary>
internal sealed class PRelu : BinaryOperator
{
    public override string OpType => "PRelu";

    public override string Types => "float32, float16, float64, int32, int64";

    protected override Func<double, double, double> Function(OpContext ctx) => (x, s) => x >= 0 ? x : x * s;

    protected override Func<long, long, long>? IntegerFunction(OpContext ctx) => (x, s) => x >= 0 ? x : x * s;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Absolute value.</summary>
internal sealed class Abs : UnaryOperator
{
    public override string OpType => "Abs";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double> Function(OpContext ctx) => Math.Abs;

    protected override Func<long, long>? IntegerFunction(OpContext ctx) => x => x == long.MinValue ? x : Math.Abs(x);

    protected override Func<ulong, ulong>? UnsignedFunction(OpContext ctx) => x => x;
}

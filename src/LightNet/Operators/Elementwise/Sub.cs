using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>a - b with broadcasting.</summary>
internal sealed class Sub : BinaryOperator
{
    public override string OpType => "Sub";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double, double> Function(OpContext ctx) => (a, b) => a - b;

    protected override Func<long, long, long>? IntegerFunction(OpContext ctx) => (a, b) => unchecked(a - b);

    protected override Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx) => (a, b) => unchecked(a - b);
}

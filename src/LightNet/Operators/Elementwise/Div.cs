using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>a / b with broadcasting (integers truncate toward zero).</summary>
internal sealed class Div : BinaryOperator
{
    public override string OpType => "Div";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double, double> Function(OpContext ctx) => (a, b) => a / b;

    protected override Func<long, long, long>? IntegerFunction(OpContext ctx) => (a, b) => b == 0 ? throw ctx.Fail("integer division by zero") : a / b;

    protected override Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx) => (a, b) => b == 0 ? throw ctx.Fail("integer division by zero") : a / b;
}

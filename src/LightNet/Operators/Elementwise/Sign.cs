using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Sign (-1, 0, 1).</summary>
internal sealed class Sign : UnaryOperator
{
    public override string OpType => "Sign";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double> Function(OpContext ctx) => x => double.IsNaN(x) ? x : Math.Sign(x);

    protected override Func<long, long>? IntegerFunction(OpContext ctx) => x => Math.Sign(x);

    protected override Func<ulong, ulong>? UnsignedFunction(OpContext ctx) => x => x == 0 ? 0UL : 1UL;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>max(0, x).</summary>
internal sealed class Relu : UnaryOperator
{
    public override string OpType => "Relu";

    public override string Types => "float32, float16, float64, integers";

    protected override Func<double, double> Function(OpContext ctx) => x => x > 0 ? x : 0;

    protected override Func<long, long>? IntegerFunction(OpContext ctx) => x => x > 0 ? x : 0;

    protected override Func<ulong, ulong>? UnsignedFunction(OpContext ctx) => x => x;
}

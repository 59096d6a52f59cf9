using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Bitwise complement of integers.</summary>
internal sealed class BitwiseNot : UnaryOperator
{
    public override string OpType => "BitwiseNot";

    public override string Types => "integers";

    protected override Func<double, double> Function(OpContext ctx) => _ => throw ctx.Unsupported("floating-point inputs are not defined for this operator");

    protected override Func<long, long>? IntegerFunction(OpContext ctx) => x => ~x;

    protected override Func<ulong, ulong>? UnsignedFunction(OpContext ctx) => x => ~x;
}

using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Bitwise xor.</summary>
internal sealed class BitwiseXor : BinaryOperator
{
    public override string OpType => "BitwiseXor";

    public override string Types => "integers";

    protected override Func<double, double, double> Function(OpContext ctx) => (_, _) => throw ctx.Unsupported("floating-point inputs are not defined for this operator");

    protected override Func<long, long, long>? IntegerFunction(OpContext ctx) => (a, b) => a ^ b;

    protected override Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx) => (a, b) => a ^ b;
}

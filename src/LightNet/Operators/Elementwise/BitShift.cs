using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Logical shift of unsigned integers, LEFT or RIGHT by the amounts in the second input.</summary>
internal sealed class BitShift : BinaryOperator
{
    public override string OpType => "BitShift";

    public override string Types => "uint8, uint16, uint32, uint64";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetString("direction", "") is not ("LEFT" or "RIGHT"))
        {
            problems.Add($"attribute 'direction' = '{node.GetString("direction", "")}' must be LEFT or RIGHT");
        }
    }

    protected override Func<double, double, double> Function(OpContext ctx) => (_, _) => throw ctx.Unsupported("BitShift is defined for unsigned integers only");

    protected override Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx)
    {
        bool left = ctx.String("direction", "") == "LEFT";
        int bits = ctx.Input(0).Type switch { TensorElementType.UInt8 => 8, TensorElementType.UInt16 => 16, TensorElementType.UInt32 => 32, _ => 64 };
        return (a, s) => s >= (ulong)bits ? 0 : left ? a << (int)s : a >> (int)s;
    }
}

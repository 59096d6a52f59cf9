using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Remainder: with fmod=0 (integers) the sign follows the divisor, as in Python; with fmod=1 it follows the dividend, as C's fmod.</summary>
internal sealed class Mod : BinaryOperator
{
    public override string OpType => "Mod";

    public override string Types => "float32, float16, float64 (fmod=1), integers";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetInt("fmod", 0) is not (0 or 1))
        {
            problems.Add($"attribute 'fmod' = {node.GetInt("fmod", 0)} must be 0 or 1");
        }
    }

    protected override Func<double, double, double> Function(OpContext ctx) => ctx.Int("fmod", 0) == 1
        ? (a, b) => a % b
        : (a, b) => throw ctx.Fail("floating-point Mod needs fmod=1");

    protected override Func<long, long, long>? IntegerFunction(OpContext ctx) => ctx.Int("fmod", 0) == 1
        ? (a, b) => b == 0 ? throw ctx.Fail("integer modulo by zero") : a % b
        : (a, b) =>
        {
            if (b == 0) throw ctx.Fail("integer modulo by zero");
            long r = a % b;
            return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
        };

    protected override Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx) => (a, b) => b == 0 ? throw ctx.Fail("integer modulo by zero") : a % b;
}


using System.Runtime.InteropServices;
using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>Reinterprets the bits of every element as the same-sized type of attribute 'to' (opset 26).</summary>
internal sealed class BitCast : OperatorDef
{
    public override string OpType => "BitCast";

    public override int SinceVersion => 26;

    public override string Types => "numeric types and bool of equal bit width";

    public override string Limitations => "strings, float8, 4-bit and 2-bit types are refused; a bool result reads any non-zero byte as true";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (opset < 26)
        {
            problems.Add($"BitCast is defined from opset 26, not opset {opset}");
        }

        long code = node.GetInt("to", 0);
        if (ElementConversion.Refusal(code) is { } why)
        {
            problems.Add($"attribute 'to' = {ElementConversion.TypeName(code)}: {why}");
        }
        else if (code == (long)TensorElementType.String)
        {
            problems.Add("attribute 'to' = STRING: strings have no bit representation");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        var to = (TensorElementType)ctx.Int("to", 0);
        if (ElementConversion.Refusal((long)to) is { } why)
        {
            throw ctx.Unsupported($"attribute 'to' = {ElementConversion.TypeName((long)to)}: {why}");
        }

        if (x.Type == TensorElementType.String || to == TensorElementType.String)
        {
            throw ctx.Fail("strings have no bit representation");
        }

        if (x.Type.SizeInBits() != to.SizeInBits())
        {
            throw ctx.Fail($"cannot reinterpret {x.Type} ({x.Type.SizeInBits()} bits) as {to} ({to.SizeInBits()} bits)");
        }

        if (x.Type == to)
        {
            ctx.Set(0, x);
            return;
        }

        byte[] bytes = x.Data is bool[] b ? b.Select(v => v ? (byte)1 : (byte)0).ToArray() : MemoryMarshal.AsBytes(OpTensor.BytesOf(x.Data)).ToArray();
        Array y = OpTensor.Allocate(to, x.Length);
        if (y is bool[] yb)
        {
            for (int i = 0; i < yb.Length; i++) yb[i] = bytes[i] != 0;
        }
        else
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(OpTensor.BytesOf(y)));
        }

        ctx.Set(0, new OpTensor(to, x.Dims, y));
    }
}

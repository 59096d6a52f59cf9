using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.ControlFlow;

/// <summary>Element-wise concatenation of two string tensors, with numpy-style broadcasting.</summary>
internal sealed class StringConcat : OperatorDef
{
    public override string OpType => "StringConcat";

    public override int SinceVersion => 20;

    public override string Types => "string";

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), b = ctx.Input(1);
        if (a.Type != TensorElementType.String || b.Type != TensorElementType.String)
        {
            throw ctx.Fail($"both inputs must be strings, not {a.Type} and {b.Type}");
        }

        long[] dims = Broadcasting.Shape(ctx, a.Dims, b.Dims);
        int[]? oa = Broadcasting.Offsets(a.Dims, dims), ob = Broadcasting.Offsets(b.Dims, dims);
        string[] sa = a.Get<string>(), sb = b.Get<string>();
        var result = new string[OpTensor.Count(dims)];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = string.Concat(sa[oa?[i] ?? i], sb[ob?[i] ?? i]);
        }

        ctx.Set(0, new OpTensor(TensorElementType.String, dims, result));
    }
}

using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>X where the condition holds, else Y, with three-way broadcasting; any element type.</summary>
internal sealed class Where : OperatorDef
{
    public override string OpType => "Where";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor c = ctx.Input(0), x = ctx.Input(1), y = ctx.Input(2);
        if (x.Type != y.Type)
        {
            throw ctx.Fail($"X is {x.Type} but Y is {y.Type}");
        }

        long[] dims = Broadcasting.Shape(ctx, c.Dims, x.Dims, y.Dims);
        int n = OpTensor.Count(dims);
        int[] oc = Broadcasting.OffsetsOrIdentity(c.Dims, dims), ox = Broadcasting.OffsetsOrIdentity(x.Dims, dims),
            oy = Broadcasting.OffsetsOrIdentity(y.Dims, dims);
        bool[] cond = c.ToBools();

        // One gather from X followed by Y: each output element picks its offset in X, or Y's shifted past X.
        Array source = OpTensor.Allocate(x.Type, x.Length + y.Length);
        Array.Copy(x.Data, source, x.Length);
        Array.Copy(y.Data, 0, source, x.Length, y.Length);
        var pick = new int[n];
        for (int i = 0; i < n; i++)
        {
            pick[i] = cond[oc[i]] ? ox[i] : x.Length + oy[i];
        }

        Array result = OpTensor.Allocate(x.Type, n);
        OpTensor.GatherInto(source, result, pick);
        ctx.Set(0, new OpTensor(x.Type, dims, result));
    }
}

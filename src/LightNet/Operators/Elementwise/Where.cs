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
        int[] oc = Broadcasting.Offsets(c.Dims, dims) ?? Identity(n), ox = Broadcasting.Offsets(x.Dims, dims) ?? Identity(n),
            oy = Broadcasting.Offsets(y.Dims, dims) ?? Identity(n);
        bool[] cond = c.ToBools();
        var pick = new int[n];
        Array both = OpTensor.Allocate(x.Type, n);
        OpTensor.GatherInto(x.Data, both, ox);
        Array fromY = OpTensor.Allocate(x.Type, n);
        OpTensor.GatherInto(y.Data, fromY, oy);
        for (int i = 0; i < n; i++)
        {
            if (!cond[oc[i]])
            {
                Array.Copy(fromY, i, both, i, 1);
            }
        }

        _ = pick;
        ctx.Set(0, new OpTensor(x.Type, dims, both));
    }

    internal static int[] Identity(int n)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}

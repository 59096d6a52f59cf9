using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Joins tensors along an axis (empty inputs allowed).</summary>
internal sealed class Concat : OperatorDef
{
    public override string OpType => "Concat";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        OpTensor[] xs = Enumerable.Range(0, ctx.InputCount).Where(ctx.Has).Select(ctx.Input).ToArray();
        if (xs.Length == 0)
        {
            throw ctx.Fail("there are no inputs");
        }

        OpTensor first = xs[0];
        int rank = first.Rank;
        int axis = ctx.Axis(ctx.Int("axis", ctx.Opset < 4 ? 1 : 0), rank);
        long total = 0;
        foreach (OpTensor x in xs)
        {
            if (x.Rank != rank || x.Type != first.Type || Enumerable.Range(0, rank).Any(d => d != axis && x.Dims[d] != first.Dims[d]))
            {
                throw ctx.Fail($"inputs {string.Join(", ", xs.Select(t => t.ToString()))} cannot be joined along axis {axis}");
            }

            total += x.Dims[axis];
        }

        long[] dims = (long[])first.Dims.Clone();
        dims[axis] = total;
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= dims[d];
        long inner = 1;
        for (int d = axis + 1; d < rank; d++) inner *= dims[d];
        Array y = OpTensor.Allocate(first.Type, OpTensor.Count(dims));
        long rowOut = total * inner;
        long offset = 0;
        foreach (OpTensor x in xs)
        {
            long run = x.Dims[axis] * inner;
            for (long o = 0; o < outer && run > 0; o++)
            {
                Array.Copy(x.Data, o * run, y, (o * rowOut) + offset, run);
            }

            offset += run;
        }

        ctx.Set(0, new OpTensor(first.Type, dims, y));
    }
}

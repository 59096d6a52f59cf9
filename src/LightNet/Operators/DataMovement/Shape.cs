using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>The input's dimensions as int64, optionally the slice [start, end) (opset 15).</summary>
internal sealed class Shape : OperatorDef
{
    public override string OpType => "Shape";

    public override string Types => "all";

    public override void Execute(OpContext ctx)
    {
        long[] dims = ctx.Input(0).Dims;
        int rank = dims.Length;
        long start = ctx.Int("start", 0), end = ctx.Int("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] slice = end > start ? dims[(int)start..(int)end] : [];
        ctx.Set(0, new OpTensor(TensorElementType.Int64, [slice.Length], slice.ToArray()));
    }
}

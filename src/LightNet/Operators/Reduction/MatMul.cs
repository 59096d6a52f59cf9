using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Reduction;

/// <summary>Numpy matrix product: 1-D operands promoted and their dimension removed, batch dimensions broadcast (float32 in single precision, like ONNX Runtime).</summary>
internal sealed class MatMul : OperatorDef
{
    public override string OpType => "MatMul";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.MatrixProduct(MacCount.At(inputs, 0), MacCount.At(outputs, 0));

    public override string Types => "float32, float16, float64, bfloat16, int32, int64, uint32, uint64";

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), b = ctx.Input(1);
        if (a.Type != b.Type)
        {
            throw ctx.Fail($"A is {a.Type} but B is {b.Type}");
        }

        if (a.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"element type {a.Type} is not supported");
        }

        if (a.Rank == 0 || b.Rank == 0)
        {
            throw ctx.Fail($"MatMul needs operands of rank 1 or more, got {Dimension.Format(a.Dims)} and {Dimension.Format(b.Dims)}");
        }

        long[] ad = a.Rank == 1 ? [1, a.Dims[0]] : a.Dims, bd = b.Rank == 1 ? [b.Dims[0], 1] : b.Dims;
        long m = ad[^2], k = ad[^1], n = bd[^1];
        if (bd[^2] != k)
        {
            throw ctx.Fail($"shapes {Dimension.Format(a.Dims)} and {Dimension.Format(b.Dims)} do not chain (inner dimensions {k} and {bd[^2]})");
        }

        long[] aBatch = ad[..^2], bBatch = bd[..^2];
        long[] batch = Broadcasting.Shape(ctx, aBatch, bBatch);
        var outList = new List<long>(batch);
        if (a.Rank > 1)
        {
            outList.Add(m);
        }

        if (b.Rank > 1)
        {
            outList.Add(n);
        }

        long[] outDims = outList.ToArray();
        int count = OpTensor.Count(outDims);
        int batches = OpTensor.Count(batch);
        int[]? aMap = Broadcasting.Offsets(aBatch, batch), bMap = Broadcasting.Offsets(bBatch, batch);
        int mi = (int)m, ki = (int)k, ni = (int)n;
        if (a.Type == TensorElementType.Float)
        {
            float[] x = a.Get<float>(), y = b.Get<float>();
            var c = new float[count];
            for (int t = 0; t < batches; t++)
            {
                MatrixKernels.MultiplyAdd(x, (aMap?[t] ?? t) * mi * ki, y, (bMap?[t] ?? t) * ki * ni, c, t * mi * ni, mi, ki, ni);
            }

            ctx.Set(0, new OpTensor(a.Type, outDims, c));
        }
        else if (a.IsFloat)
        {
            double[] x = a.ToDoubles(), y = b.ToDoubles();
            var c = new double[count];
            for (int t = 0; t < batches; t++)
            {
                MatrixKernels.MultiplyAdd(x, (aMap?[t] ?? t) * mi * ki, y, (bMap?[t] ?? t) * ki * ni, c, t * mi * ni, mi, ki, ni);
            }

            ctx.Set(0, OpTensor.FromDoubles(a.Type, outDims, c));
        }
        else
        {
            long[] x = a.ToLongs(), y = b.ToLongs();
            var c = new long[count];
            for (int t = 0; t < batches; t++)
            {
                MatrixKernels.MultiplyAdd(x, (aMap?[t] ?? t) * mi * ki, y, (bMap?[t] ?? t) * ki * ni, c, t * mi * ni, mi, ki, ni);
            }

            ctx.Set(0, OpTensor.FromLongs(a.Type, outDims, c));
        }
    }
}

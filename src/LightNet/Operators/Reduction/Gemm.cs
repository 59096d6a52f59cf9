using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Reduction;

/// <summary>alpha * A' * B' + beta * C for 2-D A and B (optionally transposed) and C broadcast to the result (optional from opset 11; unused when beta is 0).</summary>
internal sealed class Gemm : OperatorDef
{
    public override string OpType => "Gemm";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs)
    {
        long[]? a = MacCount.At(inputs, 0), y = MacCount.At(outputs, 0);
        return a is not { Length: 2 } || y is null ? 0 : checked(Shapes.ElementCount(y) * (node.GetInt("transA", 0) != 0 ? a[0] : a[1]));
    }

    public override string Types => "float32, float16, float64, bfloat16, int32, int64, uint32, uint64";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        foreach (string name in new[] { "transA", "transB" })
        {
            long v = node.GetInt(name, 0);
            if (v is not (0 or 1))
            {
                problems.Add($"attribute '{name}' = {v} must be 0 or 1");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor a = ctx.Input(0), b = ctx.Input(1);
        double alpha = ctx.Float("alpha", 1f), beta = ctx.Float("beta", 1f);
        OpTensor? c = beta == 0 ? null : ctx.Optional(2);
        if (a.Type != b.Type || (c is not null && c.Type != a.Type))
        {
            throw ctx.Fail($"A, B and C must share one element type (got {a.Type}, {b.Type}{(c is null ? "" : ", " + c.Type)})");
        }

        if (a.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"element type {a.Type} is not supported");
        }

        if (a.Rank != 2 || b.Rank != 2)
        {
            throw ctx.Fail($"A and B must be 2-D, got {Dimension.Format(a.Dims)} and {Dimension.Format(b.Dims)}");
        }

        bool ta = ctx.Int("transA", 0) != 0, tb = ctx.Int("transB", 0) != 0;
        int m = (int)(ta ? a.Dims[1] : a.Dims[0]), k = (int)(ta ? a.Dims[0] : a.Dims[1]);
        int kb = (int)(tb ? b.Dims[1] : b.Dims[0]), n = (int)(tb ? b.Dims[0] : b.Dims[1]);
        if (k != kb)
        {
            throw ctx.Fail($"A {Dimension.Format(a.Dims)} (transA={(ta ? 1 : 0)}) and B {Dimension.Format(b.Dims)} (transB={(tb ? 1 : 0)}) do not chain");
        }

        long[] outDims = [m, n];
        int count = OpTensor.Count(outDims);
        int[]? cMap = null;
        if (c is not null)
        {
            long[] shape = Broadcasting.Shape(ctx, c.Dims, outDims);
            if (!shape.AsSpan().SequenceEqual(outDims))
            {
                throw ctx.Fail($"C {Dimension.Format(c.Dims)} cannot be broadcast to the result {Dimension.Format(outDims)}");
            }

            cMap = Broadcasting.Offsets(c.Dims, outDims);
        }

        bool integral = !a.IsFloat && alpha == Math.Round(alpha) && beta == Math.Round(beta);
        if (integral)
        {
            long[] x = a.ToLongs(), y = b.ToLongs();
            x = ta ? MatrixKernels.Transpose(x, k, m) : x;
            y = tb ? MatrixKernels.Transpose(y, n, k) : y;
            var r = new long[count];
            MatrixKernels.MultiplyAdd(x, 0, y, 0, r, 0, m, k, n);
            long la = (long)alpha, lb = (long)beta;
            long[]? cv = c?.ToLongs();
            unchecked
            {
                for (int i = 0; i < count; i++)
                {
                    r[i] = (la * r[i]) + (cv is null ? 0 : lb * cv[cMap?[i] ?? i]);
                }
            }

            ctx.Set(0, OpTensor.FromLongs(a.Type, outDims, r));
        }
        else if (a.Type == TensorElementType.Float)
        {
            float[] x = a.Get<float>(), y = b.Get<float>();
            x = ta ? MatrixKernels.Transpose(x, k, m) : x;
            y = tb ? MatrixKernels.Transpose(y, n, k) : y;
            var r = new float[count];
            MatrixKernels.MultiplyAdd(x, 0, y, 0, r, 0, m, k, n);
            float[]? cv = c?.Get<float>();
            float fa = (float)alpha, fb = (float)beta;
            for (int i = 0; i < count; i++)
            {
                r[i] = (fa * r[i]) + (cv is null ? 0 : fb * cv[cMap?[i] ?? i]);
            }

            ctx.Set(0, new OpTensor(a.Type, outDims, r));
        }
        else
        {
            double[] x = a.ToDoubles(), y = b.ToDoubles();
            x = ta ? MatrixKernels.Transpose(x, k, m) : x;
            y = tb ? MatrixKernels.Transpose(y, n, k) : y;
            var r = new double[count];
            MatrixKernels.MultiplyAdd(x, 0, y, 0, r, 0, m, k, n);
            double[]? cv = c?.ToDoubles();
            for (int i = 0; i < count; i++)
            {
                r[i] = (alpha * r[i]) + (cv is null ? 0 : beta * cv[cMap?[i] ?? i]);
            }

            ctx.Set(0, OpTensor.FromDoubles(a.Type, outDims, r));
        }
    }
}

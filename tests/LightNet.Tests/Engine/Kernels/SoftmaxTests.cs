using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class SoftmaxTests
{
    // Groups of indices normalised together: opset ≥ 13 along one axis, opset < 13 over the flattened tail.
    private static float[] Reference(float[] x, int[] dims, int axis, bool log, bool flatten)
    {
        int a = axis < 0 ? axis + dims.Length : axis;
        int outer = dims[..a].Aggregate(1, (p, d) => p * d);
        int n = flatten ? dims[a..].Aggregate(1, (p, d) => p * d) : dims[a];
        int inner = flatten ? 1 : dims[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < inner; j++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < n; k++)
                {
                    max = Math.Max(max, x[(((o * n) + k) * inner) + j]);
                }

                for (int k = 0; k < n; k++)
                {
                    sum += Math.Exp(x[(((o * n) + k) * inner) + j] - max);
                }

                for (int k = 0; k < n; k++)
                {
                    int i = (((o * n) + k) * inner) + j;
                    y[i] = (float)(log ? x[i] - max - Math.Log(sum) : Math.Exp(x[i] - max) / sum);
                }
            }
        }

        return y;
    }

    [Theory]
    [InlineData(new[] { 2, 1000 }, -1)]
    [InlineData(new[] { 2, 5, 3, 7 }, 1)]
    [InlineData(new[] { 2, 5, 3, 7 }, 0)]
    [InlineData(new[] { 3, 4, 600 }, 1)]
    [InlineData(new[] { 2, 5, 3, 7 }, -1)]
    [InlineData(new[] { 1, 2001 }, 1)]
    public void MatchesReferenceInEveryMode(int[] dims, int axis)
    {
        float[] x = OpTest.Random(new Random(dims.Sum() + axis), OpTest.Count(dims), 20f);
        x[0] = 90f; // exp would overflow without subtracting the max
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(x.Length);
        using var pool = new WorkerPool(2);
        foreach (bool log in new[] { false, true })
        {
            foreach (bool flatten in new[] { false, true })
            {
                var kernel = SoftmaxKernel.Create(dims, axis, log, flatten);
                float[] expected = Reference(x, dims, axis, log, flatten);
                kernel.Run(px.Pointer, py.Pointer, pool);
                OpTest.Close(expected, py.Span, 2e-5f, 1e-6f, $"log={log} flatten={flatten}");

                using var inPlace = new OpBuffer(x);
                kernel.Run(inPlace.Pointer, inPlace.Pointer, null);
                OpTest.Close(py.Span, inPlace.Span, 0, 0, "in place");
            }
        }
    }

    [Theory]
    [InlineData("Softmax", 11, 1)]
    [InlineData("Softmax", 11, 2)]
    [InlineData("LogSoftmax", 11, 1)]
    [InlineData("Softmax", 13, 1)]
    [InlineData("LogSoftmax", 13, 2)]
    [InlineData("Softmax", 13, -1)]
    public void AgreesWithOnnxRuntimeAcrossOpsets(string op, int opset, int axis)
    {
        int[] dims = [2, 3, 4, 5];
        float[] x = OpTest.Random(new Random(opset + axis), OpTest.Count(dims), 5f);
        float[] expected = OpTest.Ort(op, x, dims, opset, null, null, LightNet.Onnx.NodeAttribute.Int("axis", axis));
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(x.Length);
        SoftmaxKernel.Create(dims, axis, op == "LogSoftmax", flattenTo2D: opset < 13).Run(px.Pointer, py.Pointer, null);
        OpTest.Close(expected, py.Span, 1e-5f, 1e-6f, $"{op} opset {opset} axis {axis}");
    }
}

using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class ReduceTests
{
    [Theory]
    [InlineData(new long[] { 2, 3 }, true)]
    [InlineData(new long[] { 2, 3 }, false)]
    [InlineData(new long[] { 1 }, true)]
    [InlineData(new long[] { 0, 2 }, false)]
    [InlineData(new long[] { -1, 1 }, true)]
    [InlineData(new long[] { }, false)]
    [InlineData(new long[] { }, true)]
    [InlineData(new long[] { 0 }, false)]
    public void MatchesReferenceAndOrt(long[] axes, bool keepDims)
    {
        int[] dims = [2, 3, 5, 7];
        float[] x = OpTest.Random(new Random(axes.Length), OpTest.Count(dims));
        var reduced = new bool[4];
        foreach (long a in axes)
        {
            reduced[a < 0 ? a + 4 : a] = true;
        }

        if (axes.Length == 0)
        {
            Array.Fill(reduced, true);
        }

        int[] outKeep = dims.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        int[] outDims = keepDims ? outKeep : dims.Where((d, i) => !reduced[i]).ToArray();
        var sums = new double[OpTest.Count(outKeep)];
        int count = dims.Where((d, i) => reduced[i]).Aggregate(1, (p, d) => p * d);
        for (int i = 0; i < x.Length; i++)
        {
            int[] idx = OpReference.Unravel(i, dims);
            sums[OpReference.Ravel(idx.Select((v, d) => reduced[d] ? 0 : v).ToArray(), outKeep)] += x[i];
        }

        foreach (ReduceKind kind in Enum.GetValues<ReduceKind>())
        {
            var kernel = ReduceKernel.Create(dims, axes, keepDims, kind);
            Assert.Equal(outDims, kernel.OutputDims);
            using var px = new OpBuffer(x);
            using var py = new OpBuffer(sums.Length);
            kernel.Run(px.Pointer, py.Pointer);
            OpTest.Close(sums.Select(v => (float)(kind == ReduceKind.Mean ? v / count : v)).ToArray(), py.Span, 1e-5f, 1e-5f, kind.ToString());
            if (kind == ReduceKind.Mean)
            {
                OpTest.Close(OpTest.Ort("ReduceMean", x, dims, 13, null, null,
                    axes.Length == 0 ? [NodeAttribute.Int("keepdims", keepDims ? 1 : 0)] : [NodeAttribute.Ints("axes", axes), NodeAttribute.Int("keepdims", keepDims ? 1 : 0)]),
                    py.Span, 1e-5f, 1e-6f, "vs ORT");
            }
        }
    }

    [Fact]
    public void RejectsRepeatedAxes() =>
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReduceKernel.Create([2, 3], [1, -1], true)).Code);
}

using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class BroadcastTests
{
    private static float[] Reference(BinaryOp op, float[] a, int[] aDims, float[] b, int[] bDims, int[] outDims)
    {
        var y = new float[OpTest.Count(outDims)];
        for (int i = 0; i < y.Length; i++)
        {
            int[] idx = OpReference.Unravel(i, outDims);
            y[i] = BroadcastBinaryKernel.Scalar(op, a[Source(idx, aDims)], b[Source(idx, bDims)]);
        }

        return y;
    }

    private static int Source(int[] outIdx, int[] dims)
    {
        int off = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            int i = outIdx[outIdx.Length - dims.Length + d];
            off = (off * dims[d]) + (dims[d] == 1 ? 0 : i);
        }

        return off;
    }

    public static TheoryData<int[], int[], string> Shapes() => new()
    {
        { [2, 3, 5, 7], [2, 3, 5, 7], "same-shape" },
        { [2, 3, 5, 7], [1], "scalar" },
        { [], [3, 4], "scalar" },
        { [2, 6, 5, 7], [6, 1, 1], "row-scalar" },
        { [2, 6, 5, 7], [2, 6, 1, 1], "row-scalar" },
        { [1, 6, 1, 1], [2, 6, 5, 3], "row-scalar" },
        { [3, 5, 7], [7], "row-vector" },
        { [3, 1, 7], [1, 5, 7], "row-vector" },
        { [4, 1], [1, 9], "row-scalar" },
        { [5, 1, 3, 1], [1, 4, 1, 6], "row-scalar" },
        { [1], [1], "same-shape" },
        { [3, 1], [3, 1], "same-shape" },
        { [200, 300], [300], "row-vector" },
        { [70000], [70000], "same-shape" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesScalarReference(int[] aDims, int[] bDims, string path)
    {
        var rng = new Random(aDims.Length * 7 + bDims.Length);
        int[] outDims = BroadcastBinaryKernel.BroadcastDims(aDims, bDims);
        float[] a = OpTest.Random(rng, OpTest.Count(aDims));
        float[] b = OpTest.Random(rng, OpTest.Count(bDims)).Select(v => v + (v >= 0 ? 0.5f : -0.5f)).ToArray();
        using var pa = new OpBuffer(a);
        using var pb = new OpBuffer(b);
        using var py = new OpBuffer(OpTest.Count(outDims));
        using var pool = new WorkerPool(2);
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
        {
            var kernel = BroadcastBinaryKernel.Create(op, aDims, bDims);
            Assert.Equal(outDims, kernel.OutputDims);
            Assert.Equal(path, kernel.Path);
            kernel.Run(pa.Pointer, pb.Pointer, py.Pointer, pool);
            OpTest.Close(Reference(op, a, aDims, b, bDims, outDims), py.Span, 1e-6f, 0, $"{op} {path}");
        }

        var relu = BroadcastBinaryKernel.Create(BinaryOp.Add, aDims, bDims, Activation.Relu);
        relu.Run(pa.Pointer, pb.Pointer, py.Pointer, null);
        OpTest.Close(Reference(BinaryOp.Add, a, aDims, b, bDims, outDims).Select(v => Math.Max(v, 0)).ToArray(), py.Span, 1e-6f, 0, "add+relu");
    }

    [Fact]
    public void InPlaceAndRejectsIncompatibleShapes()
    {
        float[] a = OpTest.Random(new Random(1), 2 * 3 * 4);
        float[] b = [1, 2, 3];
        using var pa = new OpBuffer(a);
        using var pb = new OpBuffer(b);
        var kernel = BroadcastBinaryKernel.Create(BinaryOp.Mul, [2, 3, 4], [3, 1]);
        kernel.Run(pa.Pointer, pb.Pointer, pa.Pointer, null);
        OpTest.Close(Reference(BinaryOp.Mul, a, [2, 3, 4], b, [3, 1], [2, 3, 4]), pa.Span, 0, 0);
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => BroadcastBinaryKernel.Create(BinaryOp.Add, [2, 3], [4])).Code);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("PRelu")]
    public void AgreesWithOnnxRuntime(string op)
    {
        var rng = new Random(op.Length);
        int[] dims = [2, 4, 3, 5];
        int[] bDims = op == "PRelu" ? [4, 1, 1] : [1, 4, 1, 5];
        float[] x = OpTest.Random(rng, OpTest.Count(dims));
        float[] b = OpTest.Random(rng, OpTest.Count(bDims)).Select(v => v + 3).ToArray();
        float[] expected = OpTest.Ort(op, x, dims, 17, m => m.AddInitializer(TensorData.FromFloats("b", OpTest.Long(bDims), b)), ["b"]);
        using var px = new OpBuffer(x);
        using var pb = new OpBuffer(b);
        using var py = new OpBuffer(x.Length);
        BroadcastBinaryKernel.Create(Enum.Parse<BinaryOp>(op), dims, bDims).Run(px.Pointer, pb.Pointer, py.Pointer, null);
        OpTest.Close(expected, py.Span, 1e-6f, 1e-7f, op);
    }

    [Fact]
    public void SumAddsBroadcastInputsLeftToRight()
    {
        var rng = new Random(9);
        int[][] dims = [[3, 1, 5], [4, 1], [3, 4, 5], [5]];
        float[][] inputs = dims.Select(d => OpTest.Random(rng, OpTest.Count(d))).ToArray();
        var kernel = SumKernel.Create(dims);
        Assert.Equal([3, 4, 5], kernel.OutputDims);
        var expected = new float[60];
        for (int i = 0; i < 60; i++)
        {
            int[] idx = OpReference.Unravel(i, [3, 4, 5]);
            float s = 0;
            for (int k = 0; k < dims.Length; k++)
            {
                s += inputs[k][Source(idx, dims[k])];
            }

            expected[i] = s;
        }

        var buffers = inputs.Select(v => new OpBuffer(v)).ToArray();
        try
        {
            using var y = new OpBuffer(60);
            nint[] pointers = buffers.Select(p => (nint)p.Pointer).ToArray();
            kernel.Run(pointers, y.Pointer, null);
            OpTest.Close(expected, y.Span, 1e-6f, 1e-6f, "sum");
            var single = SumKernel.Create([[2, 3]]);
            single.Run([(nint)buffers[2].Pointer], y.Pointer, null);
            OpTest.Close(inputs[2].AsSpan(0, 6), y.Span[..6], 0, 0, "sum of one");
        }
        finally
        {
            foreach (var p in buffers)
            {
                p.Dispose();
            }
        }
    }
}

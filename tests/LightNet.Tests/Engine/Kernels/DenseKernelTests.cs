using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

[Trait("Category", "SimdKernels")]
public sealed unsafe class DenseKernelTests
{
    public static TheoryData<string> IsaCases() => KernelReference.IsaData();

    [Theory]
    [MemberData(nameof(IsaCases))]
    public void DenseMatchesReferenceForGemvAndGemm(string isaName)
    {
        var isa = Enum.Parse<Isa>(isaName);
        var rng = new Random(41);
        foreach (var (rows, outF, inF, threads) in new[] { (1, 37, 300, 3), (1, 3, 7, 1), (1, 1000, 64, 2), (3, 21, 17, 2), (5, 40, 260, 3) })
        {
            float[] x = OpTest.Random(rng, rows * inF), w = OpTest.Random(rng, outF * inF, 0.3f), bias = OpTest.Random(rng, outF);
            float[] residual = OpTest.Random(rng, rows * outF);
            var act = new Activation(ActivationKind.LeakyRelu, 0.1f);
            var expected = new float[rows * outF];
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < outF; o++)
                {
                    double s = bias[o] + residual[(r * outF) + o];
                    for (int i = 0; i < inF; i++)
                    {
                        s += (double)x[(r * inF) + i] * w[(o * inF) + i];
                    }

                    expected[(r * outF) + o] = act.Apply((float)s);
                }
            }

            using var kernel = DenseKernel.Create(w, outF, inF, bias, act, true, isa, threads);
            Assert.Equal((long)rows * outF * inF, kernel.Macs(rows));
            Assert.StartsWith(rows == 1 ? "gemv" : "gemm", kernel.Algorithm(rows));
            using var px = new OpBuffer(x);
            using var py = new OpBuffer(residual);
            using var scratch = new ScratchBuffer(kernel.ScratchBytes(rows));
            using var pool = new WorkerPool(threads);
            kernel.Run(px.Pointer, rows, py.Pointer, py.Pointer, scratch.Pointer, pool);
            KernelReference.Close(expected, py.ToArray(), $"{isa} dense {rows}x{outF}x{inF}");
        }
    }

    [Fact]
    public void CreateRejectsMismatchedWeights()
    {
        var ex = Assert.Throws<LightNetException>(() => DenseKernel.Create(new float[5], 2, 3, [], Activation.None, false, Isa.Scalar, 1));
        Assert.Equal(ErrorCode.InvalidShape, ex.Code);
    }

    [Fact]
    public void RunAllocatesNothingAfterWarmUp()
    {
        var rng = new Random(2);
        using var kernel = DenseKernel.Create(OpTest.Random(rng, 100 * 64), 100, 64, OpTest.Random(rng, 100), Activation.Relu, false, IsaSupport.Best, 2);
        using var px = new OpBuffer(OpTest.Random(rng, 4 * 64));
        using var py = new OpBuffer(4 * 100);
        using var scratch = new ScratchBuffer(kernel.ScratchBytes(4));
        using var pool = new WorkerPool(2);
        foreach (int rows in new[] { 1, 4 })
        {
            for (int i = 0; i < 3; i++)
            {
                kernel.Run(px.Pointer, rows, py.Pointer, null, scratch.Pointer, pool);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                kernel.Run(px.Pointer, rows, py.Pointer, null, scratch.Pointer, pool);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 256, $"rows {rows}: {allocated} bytes allocated in 10 runs");
        }
    }
}

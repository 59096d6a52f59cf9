using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class DataMovementTests
{
    private static float[] Iota(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    [Fact]
    public void ConcatAndSplitAreInverseOnEveryAxis()
    {
        int[][] parts = [[2, 3, 4, 5], [2, 1, 4, 5], [2, 2, 4, 5]];
        for (int axis = -4; axis < 4; axis++)
        {
            int a = axis < 0 ? axis + 4 : axis;
            int[][] dims = parts.Select(p => p.Select((d, i) => i == a ? d : parts[0][i]).ToArray()).ToArray();
            if (a != 1)
            {
                dims = dims.Select((d, k) => d.Select((v, i) => i == a ? k + 1 : (i == 1 ? 3 : v)).ToArray()).ToArray();
            }

            var rng = new Random(a);
            float[][] inputs = dims.Select(d => OpTest.Random(rng, OpTest.Count(d))).ToArray();
            var concat = ConcatKernel.Create(dims, axis);
            int[] outDims = concat.OutputDims;
            var expected = new float[OpTest.Count(outDims)];
            for (int i = 0; i < expected.Length; i++)
            {
                int[] idx = OpReference.Unravel(i, outDims);
                int k = 0;
                while (idx[a] >= dims[k][a])
                {
                    idx[a] -= dims[k][a];
                    k++;
                }

                expected[i] = inputs[k][OpReference.Ravel(idx, dims[k])];
            }

            var buffers = inputs.Select(v => new OpBuffer(v)).ToArray();
            var outs = dims.Select(d => new OpBuffer(OpTest.Count(d))).ToArray();
            try
            {
                using var y = new OpBuffer(expected.Length);
                concat.Run(buffers.Select(p => (nint)p.Pointer).ToArray(), y.Pointer);
                OpTest.Close(expected, y.Span, 0, 0, $"concat axis {axis}");
                var split = SplitKernel.Create(outDims, axis, dims.Select(d => (long)d[a]).ToArray(), dims.Length);
                Assert.Equal(dims, split.OutputDims);
                split.Run(y.Pointer, outs.Select(p => (nint)p.Pointer).ToArray());
                for (int k = 0; k < dims.Length; k++)
                {
                    OpTest.Close(inputs[k], outs[k].Span, 0, 0, $"split axis {axis} part {k}");
                }
            }
            finally
            {
                foreach (var p in buffers.Concat(outs))
                {
                    p.Dispose();
                }
            }
        }

        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => ConcatKernel.Create([[1, 2], [2, 2]], 1)).Code);
    }

    [Fact]
    public void ConcatAndSplitShareLargeCopiesBetweenThreads()
    {
        // Pieces of PartsCopy.PieceFloats floats cross part and outer-step boundaries (and skip an empty part):
        // every thread count gives the serial result.
        int[][] dims = [[2, 5, 61, 97], [2, 0, 61, 97], [2, 3, 61, 97], [2, 1, 61, 97]];
        var rng = new Random(3);
        float[][] inputs = dims.Select(d => OpTest.Random(rng, OpTest.Count(d))).ToArray();
        var concat = ConcatKernel.Create(dims, 1);
        var split = SplitKernel.Create(concat.OutputDims, 1, dims.Select(d => (long)d[1]).ToArray(), dims.Length);
        var buffers = inputs.Select(v => new OpBuffer(v)).ToArray();
        float[]? serial = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var pool = new WorkerPool(threads);
                using var y = new OpBuffer(OpTest.Count(concat.OutputDims));
                concat.Run(buffers.Select(p => (nint)p.Pointer).ToArray(), y.Pointer, pool);
                float[] got = y.Span.ToArray();
                serial ??= got;
                Assert.Equal(serial, got);
                var outs = dims.Select(d => new OpBuffer(OpTest.Count(d))).ToArray();
                try
                {
                    split.Run(y.Pointer, outs.Select(p => (nint)p.Pointer).ToArray(), pool);
                    for (int k = 0; k < dims.Length; k++)
                    {
                        Assert.Equal(inputs[k], outs[k].Span.ToArray());
                    }
                }
                finally
                {
                    foreach (var o in outs)
                    {
                        o.Dispose();
                    }
                }
            }
        }
        finally
        {
            foreach (var b in buffers)
            {
                b.Dispose();
            }
        }
    }

    [Fact]
    public void SplitIntoEqualPartsAndAgreesWithOrt()
    {
        int[] dims = [1, 7, 3];
        var split = SplitKernel.Create(dims, 1, [], 3);
        Assert.Equal([[1, 3, 3], [1, 3, 3], [1, 1, 3]], split.OutputDims);
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => SplitKernel.Create(dims, 1, [3, 3], 2)).Code);
    }

    public static TheoryData<int[], long[], long[], long[], long[]> Slices() => new()
    {
        { [5, 7, 6], [1, -5], [4, long.MaxValue], [0, 2], [] },
        { [5, 7, 6], [-1, 5, 0], [long.MinValue, 0, 6], [1, 2, 0], [-1, -2, 2] },
        { [4, 9], [8, 0], [-10, 4], [-1, 0], [-3, 1] },
        { [6, 5], [10, 2], [20, 2], [0, 1], [1, 1] },
        { [6, 5], [-100], [100], [], [2] },
        { [3, 4, 5, 6], [0, 1], [3, 3], [1, 3], [] },
        { [3, 8], [7], [-100], [1], [-1] },
    };

    [Theory]
    [MemberData(nameof(Slices))]
    public void SliceMatchesReferenceAndOrt(int[] dims, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        float[] x = Iota(OpTest.Count(dims));
        var kernel = SliceKernel.Create(dims, starts, ends, axes, steps);

        // Reference: per axis, the list of indices read, by stepping through the clamped range.
        var picks = dims.Select(d => Enumerable.Range(0, d).ToList()).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            int a = (int)(axes.Length == 0 ? i : axes[i] < 0 ? axes[i] + dims.Length : axes[i]);
            long step = steps.Length == 0 ? 1 : steps[i], n = dims[a];
            long s = starts[i] < 0 ? starts[i] + n : starts[i], e = ends[i] < 0 ? ends[i] + n : ends[i];
            var list = new List<int>();
            if (step > 0)
            {
                for (long k = Math.Max(s, 0); k < Math.Min(e, n); k += step)
                {
                    list.Add((int)k);
                }
            }
            else
            {
                for (long k = Math.Min(s, n - 1); k > Math.Max(e, -1); k += step)
                {
                    list.Add((int)k);
                }
            }

            picks[a] = list;
        }

        int[] outDims = picks.Select(p => p.Count).ToArray();
        Assert.Equal(outDims, kernel.OutputDims);
        var expected = new float[OpTest.Count(outDims)];
        for (int i = 0; i < expected.Length; i++)
        {
            int[] idx = OpReference.Unravel(i, outDims);
            expected[i] = x[OpReference.Ravel(idx.Select((v, d) => picks[d][v]).ToArray(), dims)];
        }

        using var px = new OpBuffer(x);
        using var py = new OpBuffer(expected.Length);
        kernel.Run(px.Pointer, py.Pointer, null);
        OpTest.Close(expected, py.Span, 0, 0, "slice");

        float[] ort = OpTest.Ort("Slice", x, dims, 13, b =>
        {
            b.AddInitializer(TensorData.FromInt64s("starts", [starts.Length], starts));
            b.AddInitializer(TensorData.FromInt64s("ends", [ends.Length], ends));
            b.AddInitializer(TensorData.FromInt64s("axes", [starts.Length], axes.Length == 0 ? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray() : axes));
            b.AddInitializer(TensorData.FromInt64s("steps", [starts.Length], steps.Length == 0 ? Enumerable.Repeat(1L, starts.Length).ToArray() : steps));
        }, ["starts", "ends", "axes", "steps"]);
        OpTest.Close(ort, py.Span, 0, 0, "slice vs ORT");
    }

    [Fact]
    public void TransposeAnyPermutationAndChannelShuffleFastPath()
    {
        int[] dims = [2, 3, 4, 5];
        float[] x = Iota(OpTest.Count(dims));
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(x.Length);
        int[][] perms = [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 3, 2], [2, 0, 3, 1], [0, 3, 1, 2]];
        foreach (int[] perm in perms)
        {
            var kernel = TransposeKernel.Create(dims, perm.Select(p => (long)p).ToArray());
            int[] outDims = perm.Select(p => dims[p]).ToArray();
            Assert.Equal(outDims, kernel.OutputDims);
            var expected = new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                int[] o = OpReference.Unravel(i, outDims);
                var src = new int[4];
                for (int d = 0; d < 4; d++)
                {
                    src[perm[d]] = o[d];
                }

                expected[i] = x[OpReference.Ravel(src, dims)];
            }

            kernel.Run(px.Pointer, py.Pointer, null);
            OpTest.Close(expected, py.Span, 0, 0, $"perm {string.Join(",", perm)}");
        }

        // Default perm reverses; channel shuffle copies H·W blocks and agrees with ORT.
        Assert.Equal([5, 4, 3, 2], TransposeKernel.Create(dims, []).OutputDims);
        int[] shuffle = [1, 2, 4, 3, 5];
        float[] s = OpTest.Random(new Random(2), OpTest.Count(shuffle));
        var k = TransposeKernel.Create(shuffle, [0, 2, 1, 3, 4]);
        Assert.True(k.IsBlockCopy);
        using var ps = new OpBuffer(s);
        using var pt = new OpBuffer(s.Length);
        using var pool = new WorkerPool(2);
        k.Run(ps.Pointer, pt.Pointer, pool);
        OpTest.Close(OpTest.Ort("Transpose", s, shuffle, 17, null, null, NodeAttribute.Ints("perm", 0, 2, 1, 3, 4)), pt.Span, 0, 0, "shuffle");
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => TransposeKernel.Create(dims, [0, 1, 1, 2])).Code);
    }

    [Theory]
    [InlineData("constant", new long[] { 0, 1, 2, 3, 0, 2, 1, 0 })]
    [InlineData("constant", new long[] { 1, -1, 0, 2, 0, 1, -2, -1 })]
    [InlineData("reflect", new long[] { 0, 0, 2, 3, 0, 0, 3, 1 })]
    [InlineData("edge", new long[] { 1, 2, 4, 1, 0, 1, 3, 5 })]
    [InlineData("edge", new long[] { 0, 0, -1, 2, 0, 0, 1, -2 })]
    [InlineData("reflect", new long[] { 0, 1, -1, 2, 0, 1, 1, -1 })]
    public void PadMatchesReferenceAndOrt(string mode, long[] pads)
    {
        int[] dims = [2, 3, 5, 6];
        float[] x = OpTest.Random(new Random(pads.Length), OpTest.Count(dims));
        var padMode = mode switch { "reflect" => PadMode.Reflect, "edge" => PadMode.Edge, _ => PadMode.Constant };
        var kernel = PadKernel.Create(dims, pads, padMode, 1.5f);
        int[] outDims = dims.Select((d, i) => (int)(d + pads[i] + pads[i + 4])).ToArray();
        Assert.Equal(outDims, kernel.OutputDims);
        var expected = new float[OpTest.Count(outDims)];
        for (int i = 0; i < expected.Length; i++)
        {
            int[] o = OpReference.Unravel(i, outDims);
            var src = new int[4];
            bool outside = false;
            for (int d = 0; d < 4; d++)
            {
                int v = o[d] - (int)pads[d], n = dims[d];
                if (v < 0 || v >= n)
                {
                    if (padMode == PadMode.Constant)
                    {
                        outside = true;
                    }
                    else if (padMode == PadMode.Edge)
                    {
                        v = Math.Clamp(v, 0, n - 1);
                    }
                    else
                    {
                        while (v < 0 || v >= n)
                        {
                            v = v < 0 ? -v : (2 * (n - 1)) - v;
                        }
                    }
                }

                src[d] = v;
            }

            expected[i] = outside ? 1.5f : x[OpReference.Ravel(src, dims)];
        }

        using var px = new OpBuffer(x);
        using var py = new OpBuffer(expected.Length);
        kernel.Run(px.Pointer, py.Pointer);
        OpTest.Close(expected, py.Span, 0, 0, "pad");

        float[] ort = OpTest.Ort("Pad", x, dims, 13, b =>
        {
            b.AddInitializer(TensorData.FromInt64s("pads", [8], pads));
            b.AddInitializer(TensorData.FromFloats("value", [], [1.5f]));
        }, ["pads", "value"], NodeAttribute.String("mode", mode));
        OpTest.Close(ort, py.Span, 0, 0, "pad vs ORT");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(2)]
    public void GatherMatchesReferenceAndOrt(int axis)
    {
        int[] dims = [3, 4, 5];
        float[] x = OpTest.Random(new Random(axis + 5), OpTest.Count(dims));
        int a = axis < 0 ? axis + 3 : axis;
        int n = dims[a];
        long[] indices = [0, n - 1, -1, 1, -n, 2];
        int[] iDims = [2, 3];
        var kernel = GatherKernel.Create(dims, axis, indices, iDims);
        int[] outDims = [.. dims[..a], .. iDims, .. dims[(a + 1)..]];
        Assert.Equal(outDims, kernel.OutputDims);
        var expected = new float[OpTest.Count(outDims)];
        for (int i = 0; i < expected.Length; i++)
        {
            int[] o = OpReference.Unravel(i, outDims);
            long idx = indices[(o[a] * 3) + o[a + 1]];
            int[] src = [.. o[..a], (int)(idx < 0 ? idx + n : idx), .. o[(a + 2)..]];
            expected[i] = x[OpReference.Ravel(src, dims)];
        }

        using var px = new OpBuffer(x);
        using var py = new OpBuffer(expected.Length);
        kernel.Run(px.Pointer, py.Pointer);
        OpTest.Close(expected, py.Span, 0, 0, "gather");
        OpTest.Close(OpTest.Ort("Gather", x, dims, 13, b => b.AddInitializer(TensorData.FromInt64s("i", [2, 3], indices)), ["i"], NodeAttribute.Int("axis", axis)),
            py.Span, 0, 0, "gather vs ORT");
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => GatherKernel.Create(dims, axis, [n], [1])).Code);
    }
}

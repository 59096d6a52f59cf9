using LightNet.Backends;
using LightNet.Onnx;
using Xunit;
using static LightNet.Tests.Operators.OperatorOracle;

namespace LightNet.Tests.Operators;

/// <summary>The data-movement operators of the interpreter against ONNX Runtime, with random shapes, axes and indices.</summary>
public class DataMovementTests
{
    private const TensorElementType F = TensorElementType.Float;
    private const TensorElementType I64 = TensorElementType.Int64;

    private static long[] RandomDims(Random r, int minRank = 1, int maxRank = 4) =>
        Enumerable.Range(0, r.Next(minRank, maxRank + 1)).Select(_ => (long)r.Next(1, 5)).ToArray();

    private static Dictionary<string, TensorBuffer> X(Random r, long[] dims) => new() { ["x"] = Random(r, F, dims, -3, 3) };

    [Fact]
    public void TransposeWithRandomPermutations()
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            var r = new Random(seed);
            long[] dims = RandomDims(r, 2, 5);
            long[] perm = Enumerable.Range(0, dims.Length).Select(i => (long)i).OrderBy(_ => r.Next()).ToArray();
            Model m = OneNode("Transpose", 17, [("x", F, dims)], [("y", F)], NodeAttribute.Ints("perm", perm));
            AssertMatchesOrt(m, X(r, dims), context: $"Transpose {Dimension.Format(dims)} perm {Dimension.Format(perm)}");
        }
    }

    [Fact]
    public void SliceWithRandomStartsEndsAndNegativeSteps()
    {
        for (int seed = 1; seed <= 6; seed++)
        {
            var r = new Random(seed);
            long[] dims = RandomDims(r, 1, 3).Select(d => d + 3).ToArray();
            int axis = r.Next(dims.Length);
            long step = r.Next(2) == 0 ? -1 - r.Next(2) : 1 + r.Next(2);
            long start = r.Next(-6, 6), end = step > 0 ? r.Next(-2, 9) : r.Next(-9, 2);
            TensorData[] init =
            [
                TensorData.FromInt64s("starts", [1], [start]), TensorData.FromInt64s("ends", [1], [end]),
                TensorData.FromInt64s("axes", [1], [axis]), TensorData.FromInt64s("steps", [1], [step]),
            ];
            Model m = OneNode("Slice", 13, [("x", F, dims)], init, [("y", F)]);
            AssertMatchesOrt(m, X(r, dims), context: $"Slice {Dimension.Format(dims)} axis {axis} [{start}:{end}:{step}]");
        }
    }

    [Fact]
    public void GatherAndGatherElementsWithNegativeIndices()
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            var r = new Random(seed);
            long[] dims = RandomDims(r, 1, 3).Select(d => d + 1).ToArray();
            int axis = r.Next(dims.Length);
            long[] idx = Enumerable.Range(0, 5).Select(_ => (long)r.Next((int)-dims[axis], (int)dims[axis])).ToArray();
            Model gather = OneNode("Gather", 13, [("x", F, dims)], [TensorData.FromInt64s("i", [5], idx)], [("y", F)], NodeAttribute.Int("axis", axis));
            AssertMatchesOrt(gather, X(r, dims), context: $"Gather {Dimension.Format(dims)} axis {axis}");
            long[] idxDims = dims.Select(d => (long)r.Next(1, (int)d + 1)).ToArray();
            long count = idxDims.Aggregate(1L, (a, b) => a * b);
            long[] values = Enumerable.Range(0, (int)count).Select(_ => (long)r.Next((int)-dims[axis], (int)dims[axis])).ToArray();
            Model ge = OneNode("GatherElements", 13, [("x", F, dims)], [TensorData.FromInt64s("i", idxDims, values)], [("y", F)], NodeAttribute.Int("axis", axis));
            AssertMatchesOrt(ge, X(r, dims), context: $"GatherElements {Dimension.Format(dims)} axis {axis}");
        }
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    [InlineData("wrap")]
    public void PadInEveryMode(string mode)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            var r = new Random(seed);
            long[] dims = RandomDims(r, 2, 3).Select(d => d + 2).ToArray();
            long[] pads = Enumerable.Range(0, 2 * dims.Length).Select(i => (long)r.Next(mode == "constant" ? -1 : 0, 3)).ToArray();
            Model m = OneNode("Pad", 19, [("x", F, dims)], [TensorData.FromInt64s("pads", [pads.Length], pads)], [("y", F)], NodeAttribute.String("mode", mode));
            AssertMatchesOrt(m, X(r, dims), context: $"Pad {mode} {Dimension.Format(dims)} {Dimension.Format(pads)}");
        }
    }

    [Fact]
    public void ConcatSplitTileExpandAndReshape()
    {
        var r = new Random(7);
        Model concat = OneNode("Concat", 13, [("a", F, [2, 3, 4]), ("b", F, [2, 1, 4]), ("c", F, [2, 0, 4])], [("y", F)], NodeAttribute.Int("axis", -2));
        AssertMatchesOrt(concat, new Dictionary<string, TensorBuffer> { ["a"] = Random(r, F, [2, 3, 4]), ["b"] = Random(r, F, [2, 1, 4]), ["c"] = Random(r, F, [2, 0, 4]) });
        Model split = OneNode("Split", 18, [("x", F, [3, 7])], [("y1", F), ("y2", F), ("y3", F)], NodeAttribute.Int("axis", 1), NodeAttribute.Int("num_outputs", 3));
        AssertMatchesOrt(split, X(r, [3, 7]));
        Model tile = OneNode("Tile", 13, [("x", F, [2, 3])], [TensorData.FromInt64s("r", [2], [3, 2])], [("y", F)]);
        AssertMatchesOrt(tile, X(r, [2, 3]));
        Model expand = OneNode("Expand", 13, [("x", F, [3, 1])], [TensorData.FromInt64s("s", [3], [2, 1, 4])], [("y", F)]);
        AssertMatchesOrt(expand, X(r, [3, 1]));
        Model reshape = OneNode("Reshape", 14, [("x", F, [2, 3, 4])], [TensorData.FromInt64s("s", [3], [0, -1, 2])], [("y", F)]);
        AssertMatchesOrt(reshape, X(r, [2, 3, 4]));
    }

    [Fact]
    public void ScatterNdAndScatterElementsWithReductions()
    {
        var r = new Random(9);
        foreach (string reduction in new[] { "none", "add", "mul", "max", "min" })
        {
            Model nd = OneNode("ScatterND", 18, [("x", F, [4, 3]), ("i", I64, [2, 1]), ("u", F, [2, 3])], [("y", F)], NodeAttribute.String("reduction", reduction));
            AssertMatchesOrt(nd, new Dictionary<string, TensorBuffer> { ["x"] = Random(r, F, [4, 3]), ["i"] = Longs([2, 1], 2, 0), ["u"] = Random(r, F, [2, 3]) },
                context: "ScatterND " + reduction);
            Model el = OneNode("ScatterElements", 18, [("x", F, [3, 3]), ("i", I64, [2, 3]), ("u", F, [2, 3])], [("y", F)],
                NodeAttribute.Int("axis", 0), NodeAttribute.String("reduction", reduction));
            AssertMatchesOrt(el, new Dictionary<string, TensorBuffer> { ["x"] = Random(r, F, [3, 3]), ["i"] = Longs([2, 3], 1, 0, 2, 0, 2, 1), ["u"] = Random(r, F, [2, 3]) },
                context: "ScatterElements " + reduction);
        }
    }

    private static TensorBuffer Longs(long[] dims, params long[] values)
    {
        TensorBuffer t = TensorBuffer.Allocate(I64, dims);
        values.CopyTo(t.AsSpan<long>());
        return t;
    }

    [Fact]
    public void IndexOutOfRangeIsACleanErrorNamingTheNode()
    {
        Model m = OneNode("Gather", 13, [("x", F, [3])], [TensorData.FromInt64s("i", [1], [7])], [("y", F)]);
        using IInferenceSession s = Backend.Parse("cpu-simd").CreateSession(m);
        var e = Assert.Throws<LightNetException>(() => s.Run(X(new Random(1), [3])));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("Gather node 'node'", e.Message);
        Assert.Contains("index 7", e.Message);
    }
}

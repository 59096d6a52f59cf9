using LightNet.Backends;
using LightNet.Onnx;
using Xunit;
using static LightNet.Tests.Operators.OperatorOracle;

namespace LightNet.Tests.Operators;

/// <summary>The element-wise operators of the interpreter against ONNX Runtime, on random broadcast shapes and several seeds.</summary>
public class ElementwiseTests
{
    private const TensorElementType F = TensorElementType.Float;

    /// <summary>Two shapes that broadcast: b drops leading dims and sets some dims to 1.</summary>
    private static (long[] A, long[] B) BroadcastShapes(Random r)
    {
        int rank = r.Next(1, 5);
        long[] a = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 5)).ToArray();
        int drop = r.Next(0, rank);
        long[] b = a.Skip(drop).Select(d => r.Next(3) == 0 ? 1L : d).ToArray();
        return r.Next(2) == 0 ? (a, b) : (b, a);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("Pow")]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("PRelu")]
    public void BinaryFloatMatchesOrt(string op)
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            var r = new Random(seed);
            (long[] a, long[] b) = BroadcastShapes(r);
            if (op == "PRelu") b = a.Skip(Math.Min(a.Length - 1, 1)).ToArray();
            Model m = OneNode(op, 17, [("a", F, a), ("b", F, b)], [("y", F)]);
            double lo = op == "Pow" ? 0.1 : -2;
            AssertMatchesOrt(m, new Dictionary<string, TensorBuffer> { ["a"] = Random(r, F, a, lo, 2), ["b"] = Random(r, F, b, op == "Div" ? 0.5 : -2, 2) },
                context: $"{op} {Dimension.Format(a)} × {Dimension.Format(b)} seed {seed}");
        }
    }

    [Theory]
    [InlineData("Add", TensorElementType.Int64)]
    [InlineData("Sub", TensorElementType.Int32)]
    [InlineData("Mul", TensorElementType.Int64)]
    [InlineData("Div", TensorElementType.Int32)]
    [InlineData("Equal", TensorElementType.Int64)]
    [InlineData("Less", TensorElementType.Float)]
    [InlineData("GreaterOrEqual", TensorElementType.Int32)]
    [InlineData("And", TensorElementType.Bool)]
    [InlineData("Xor", TensorElementType.Bool)]
    public void BinaryTypedMatchesOrt(string op, TensorElementType type)
    {
        bool compare = op is "Equal" or "Less" or "GreaterOrEqual" or "And" or "Xor";
        for (int seed = 1; seed <= 3; seed++)
        {
            var r = new Random(seed);
            (long[] a, long[] b) = BroadcastShapes(r);
            Model m = OneNode(op, 17, [("a", type, a), ("b", type, b)], [("y", compare ? TensorElementType.Bool : type)]);
            AssertMatchesOrt(m, new Dictionary<string, TensorBuffer> { ["a"] = Random(r, type, a, -5, 5), ["b"] = Random(r, type, b, 1, 5) },
                context: $"{op} {type} seed {seed}");
        }
    }

    [Theory]
    [InlineData("Sqrt")]
    [InlineData("Exp")]
    [InlineData("Log")]
    [InlineData("Erf")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Softplus")]
    [InlineData("HardSwish")]
    [InlineData("Round")]
    [InlineData("Sign")]
    [InlineData("Mish")]
    [InlineData("Atan")]
    public void UnaryMatchesOrt(string op)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            var r = new Random(seed);
            long[] dims = Enumerable.Range(0, r.Next(1, 4)).Select(_ => (long)r.Next(1, 6)).ToArray();
            Model m = OneNode(op, 18, [("x", F, dims)], [("y", F)]);
            bool positive = op is "Sqrt" or "Log";
            AssertMatchesOrt(m, new Dictionary<string, TensorBuffer> { ["x"] = Random(r, F, dims, positive ? 0.01 : -4, 4) }, context: $"{op} seed {seed}");
        }
    }

    [Theory]
    [InlineData("LeakyRelu", "alpha", 0.2f)]
    [InlineData("Elu", "alpha", 0.7f)]
    [InlineData("Celu", "alpha", 1.5f)]
    [InlineData("ThresholdedRelu", "alpha", 0.3f)]
    [InlineData("Selu", "gamma", 1.1f)]
    public void ActivationAttributesMatchOrt(string op, string attribute, float value)
    {
        var r = new Random(3);
        Model m = OneNode(op, 17, [("x", F, [2, 3, 4])], [("y", F)], NodeAttribute.Float(attribute, value));
        AssertMatchesOrt(m, new Dictionary<string, TensorBuffer> { ["x"] = Random(r, F, [2, 3, 4], -3, 3) });
    }

    [Fact]
    public void WhereAndClipMatchOrtWithBroadcasting()
    {
        var r = new Random(5);
        Model where = OneNode("Where", 17, [("c", TensorElementType.Bool, [3, 1]), ("x", TensorElementType.Int64, [1, 4]), ("y", TensorElementType.Int64, [3, 4])],
            [("z", TensorElementType.Int64)]);
        AssertMatchesOrt(where, new Dictionary<string, TensorBuffer>
        {
            ["c"] = Random(r, TensorElementType.Bool, [3, 1]), ["x"] = Random(r, TensorElementType.Int64, [1, 4], -9, 9), ["y"] = Random(r, TensorElementType.Int64, [3, 4], -9, 9),
        });
        Model clip = OneNode("Clip", 13, [("x", TensorElementType.Int32, [5, 2]), ("lo", TensorElementType.Int32, []), ("hi", TensorElementType.Int32, [])],
            [("y", TensorElementType.Int32)]);
        AssertMatchesOrt(clip, new Dictionary<string, TensorBuffer>
        {
            ["x"] = Random(r, TensorElementType.Int32, [5, 2], -20, 20), ["lo"] = Random(r, TensorElementType.Int32, [], -3, -3), ["hi"] = Random(r, TensorElementType.Int32, [], 4, 4),
        });
    }

    [Fact]
    public void IntegerDivisionByZeroIsACleanError()
    {
        Model m = OneNode("Div", 17, [("a", TensorElementType.Int32, [2]), ("b", TensorElementType.Int32, [2])], [("y", TensorElementType.Int32)]);
        using IInferenceSession s = Backend.Parse("cpu-simd").CreateSession(m);
        var e = Assert.Throws<LightNetException>(() => s.Run(new Dictionary<string, TensorBuffer>
        {
            ["a"] = TensorBuffer.Allocate(TensorElementType.Int32, [2]), ["b"] = TensorBuffer.Allocate(TensorElementType.Int32, [2]),
        }));
        Assert.Contains("Div node 'node'", e.Message);
    }
}

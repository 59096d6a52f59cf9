using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Tests.Engine;
using Xunit;

namespace LightNet.Tests.Analysis;

/// <summary>Shape-inference rules that once disagreed with the ONNX specification: Flatten's negative axis, Slice's huge steps.</summary>
public class ShapeInferenceRegressionTests
{
    private static long[] InferredOutput(Model m) => m.Info.Outputs.Single().Shape!.Select(d => d.Value!.Value).ToArray();

    private static Model Flatten(long axis)
    {
        var b = new ModelBuilder($"flatten_{axis}", 13);
        b.AddInput("x", TensorElementType.Float, 2, 3, 4, 5);
        b.AddNode("Flatten", ["x"], ["f"], "flatten", NodeAttribute.Int("axis", axis));
        b.AddNode("Relu", ["f"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Theory]
    [InlineData(-1, 24, 5)]
    [InlineData(-2, 6, 20)]
    [InlineData(-4, 1, 120)]
    [InlineData(0, 1, 120)]
    [InlineData(4, 120, 1)]
    public void FlattenNegativeAxisCountsFromTheRankLikeOnnxRuntime(long axis, long rows, long columns)
    {
        Model m = Flatten(axis);
        Assert.Equal([rows, columns], InferredOutput(m));

        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(m);
        IReadOnlyDictionary<string, TensorBuffer> result = ort.Run(EngineTestSupport.RandomInputs(ort, 3));
        Assert.Equal(result["y"].Shape, InferredOutput(m));
        EngineTestSupport.AssertMatchesOrt(m);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(5)]
    public void FlattenAxisOutsideMinusRankToRankIsAnError(long axis)
    {
        var e = Assert.Throws<LightNetException>(() => Flatten(axis).Info);
        Assert.Contains("axis", e.Message);
        Assert.Contains("flatten", e.Message);
    }

    private static Model Slice(long start, long end, long step, long axis = 2)
    {
        var b = new ModelBuilder("slice", 13);
        b.AddInput("x", TensorElementType.Float, 1, 4, 8, 8);
        b.AddInitializer(TensorData.FromInt64s("starts", [1], [start]));
        b.AddInitializer(TensorData.FromInt64s("ends", [1], [end]));
        b.AddInitializer(TensorData.FromInt64s("axes", [1], [axis]));
        b.AddInitializer(TensorData.FromInt64s("steps", [1], [step]));
        b.AddNode("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], "slice");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Theory]
    [InlineData(0, long.MaxValue, long.MaxValue, 1)]
    [InlineData(3, long.MaxValue, long.MaxValue, 1)]
    [InlineData(long.MinValue, long.MaxValue, long.MaxValue, 1)]
    [InlineData(-1, long.MinValue, long.MinValue, 1)]
    [InlineData(long.MaxValue, long.MinValue, long.MinValue, 1)]
    [InlineData(7, -9, long.MinValue + 1, 1)]
    [InlineData(8, long.MaxValue, long.MaxValue, 0)]
    [InlineData(0, long.MinValue, long.MinValue, 1)]
    [InlineData(0, 0, long.MinValue, 0)]
    [InlineData(long.MaxValue, long.MinValue, -3, 3)]
    [InlineData(long.MinValue, long.MaxValue, 3, 3)]
    public void SliceWithHugeStartsEndsAndStepsDoesNotOverflow(long start, long end, long step, long length)
    {
        Model m = Slice(start, end, step);
        Assert.Equal([1L, 4, length, 8], InferredOutput(m));
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(m);
        Assert.Equal([1L, 4, length, 8], ort.Run(EngineTestSupport.RandomInputs(ort, 3))["y"].Shape);
        if (length > 0)
        {
            EngineTestSupport.AssertMatchesOrt(m);
        }
    }
}

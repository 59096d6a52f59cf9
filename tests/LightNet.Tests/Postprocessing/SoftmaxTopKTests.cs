using LightNet.Postprocessing;
using Xunit;

namespace LightNet.Tests.Postprocessing;

public class SoftmaxTopKTests
{
    [Fact]
    public void SoftmaxIsExactStableAndInPlace()
    {
        float[] p = Softmax.Compute([1f, 2f, 3f]);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(Math.Exp(1) / z, p[0], 6);
        Assert.Equal(Math.Exp(3) / z, p[2], 6);
        Assert.Equal(1.0, p.Sum(), 6);

        // Large logits do not overflow: softmax is shift-invariant.
        float[] big = Softmax.Compute([1000f, 1001f, 1002f]);
        Assert.Equal(p, big);

        // In place, over a length that exercises the vector loop and its tail.
        float[] logits = Enumerable.Range(0, 1003).Select(i => (i % 17) / 4f).ToArray();
        float[] copy = Softmax.Compute(logits);
        Softmax.Compute(logits, logits);
        Assert.Equal(copy, logits);
        Assert.True(Softmax.IsDistribution(logits));
        Assert.False(Softmax.IsDistribution([0.5f, 0.6f]));
        Assert.False(Softmax.IsDistribution([2f, -1f]));
        Assert.False(Softmax.IsDistribution([]));

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Softmax.Compute([])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Softmax.Compute([1f, float.NaN])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Softmax.Compute([1f, 2f], new float[1])).Code);
    }

    [Fact]
    public void TopKIsSortedStableAndSkipsNaN()
    {
        float[] scores = [0.1f, 0.5f, float.NaN, 0.5f, 0.9f, -1f];
        IReadOnlyList<(int Index, float Score)> top = TopK.Select(scores, 3);
        Assert.Equal([(4, 0.9f), (1, 0.5f), (3, 0.5f)], top);
        Assert.Equal(5, TopK.Select(scores, 10).Count); // capped; NaN never selected
        Assert.Equal((5, -1f), TopK.Select(scores, 10)[^1]);

        // Against a full sort on random data.
        var random = new Random(4);
        float[] many = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble()).ToArray();
        int[] expected = many.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(7).Select(p => p.i).ToArray();
        Assert.Equal(expected, TopK.Select(many, 7).Select(p => p.Index));

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => TopK.Select(scores, 0)).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => TopK.Select([], 1)).Code);
    }

    [Fact]
    public void ClassifyAttachesLabels()
    {
        var p = new float[1000];
        p[281] = 0.7f;
        p[504] = 0.2f;
        IReadOnlyList<Classification> top = TopK.Classify(p, 2);
        Assert.Equal(new Classification(281, "tabby", 0.7f), top[0]);
        Assert.Equal(new Classification(504, "coffee mug", 0.2f), top[1]);
        Assert.Equal("tabby (281): 70.0%", top[0].ToString());

        // 1001 classes: TensorFlow's background class first.
        var tf = new float[1001];
        tf[282] = 1f;
        Assert.Equal("tabby", TopK.Classify(tf, 1)[0].Label);
        tf[0] = 2f;
        Assert.Equal("background", TopK.Classify(tf, 1)[0].Label);

        Assert.Equal("class 2", TopK.Classify([0f, 0f, 1f], 1)[0].Label);
        Assert.Equal("b", TopK.Classify([0f, 0f, 1f], 1, ["r", "g", "b"])[0].Label);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => TopK.Classify([0f, 1f], 1, ["a"])).Code);
    }
}

using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class ElementwiseTests
{
    public static TheoryData<string, float, float> Activations() => new()
    {
        { "None", 0, 0 },
        { "Relu", 0, 0 },
        { "Clip", 0, 6 },
        { "Clip", -0.5f, 0.25f },
        { "LeakyRelu", 0.1f, 0 },
        { "LeakyRelu", -1.5f, 0 },
        { "Sigmoid", 0, 0 },
        { "HardSigmoid", 0.2f, 0.5f },
        { "HardSwish", 0, 0 },
        { "Tanh", 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void MatchesScalarApplyOnOddLengths(string name, float alpha, float beta)
    {
        var kind = Enum.Parse<ActivationKind>(name);
        var act = new Activation(kind, alpha, beta);
        var rng = new Random((int)kind);
        foreach (int n in new[] { 1, 7, 8, 13, 33, 1000, 40_001 })
        {
            float[] x = OpTest.Random(rng, n, 8f);
            float[] expected = x.Select(act.Apply).ToArray();
            using var input = new OpBuffer(x);
            using var output = new OpBuffer(n);
            Elementwise.Apply(act, input.Pointer, output.Pointer, n);
            OpTest.Close(expected, output.Span, 2e-6f, 2e-7f, $"{kind} n={n}");

            // Prepared and parallel, in place.
            using var pool = new WorkerPool(2);
            ActivationKernel.Create(act, n).Run(input.Pointer, input.Pointer, pool);
            OpTest.Close(output.Span, input.Span, 0, 0, $"{kind} in place n={n}");
        }
    }

    [Theory]
    [InlineData("Relu", "Relu", 0f, 0f)]
    [InlineData("LeakyRelu", "LeakyRelu", 0.01f, 0f)]
    [InlineData("Sigmoid", "Sigmoid", 0f, 0f)]
    [InlineData("HardSigmoid", "HardSigmoid", 0.2f, 0.5f)]
    [InlineData("HardSwish", "HardSwish", 0f, 0f)]
    [InlineData("Tanh", "Tanh", 0f, 0f)]
    public void AgreesWithOnnxRuntime(string op, string name, float alpha, float beta)
    {
        var kind = Enum.Parse<ActivationKind>(name);
        int[] dims = [1, 3, 5, 7];
        float[] x = OpTest.Random(new Random(5), OpTest.Count(dims), 6f);
        NodeAttribute[] attrs = kind switch
        {
            ActivationKind.LeakyRelu => [NodeAttribute.Float("alpha", alpha)],
            ActivationKind.HardSigmoid => [NodeAttribute.Float("alpha", alpha), NodeAttribute.Float("beta", beta)],
            _ => [],
        };
        float[] expected = OpTest.Ort(op, x, dims, 17, null, null, attrs);
        using var input = new OpBuffer(x);
        Elementwise.Apply(new Activation(kind, alpha, beta), input.Pointer, input.Pointer, x.Length);
        OpTest.Close(expected, input.Span, 1e-5f, 1e-6f, op);
    }

    [Fact]
    public void ChannelAffineMatchesReferenceAndBatchNorm()
    {
        var rng = new Random(11);
        int n = 2, c = 5, s = 37;
        float[] x = OpTest.Random(rng, n * c * s);
        float[] gamma = OpTest.Random(rng, c), beta = OpTest.Random(rng, c), mean = OpTest.Random(rng, c);
        float[] variance = OpTest.Random(rng, c).Select(v => MathF.Abs(v) + 0.1f).ToArray();
        foreach (var act in new[] { Activation.None, Activation.Relu, Activation.Clip(0, 6), new Activation(ActivationKind.HardSwish) })
        {
            var kernel = ChannelAffineKernel.FromBatchNorm(n, c, s, gamma, beta, mean, variance, 1e-5f, act);
            var expected = new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                int ch = i / s % c;
                expected[i] = act.Apply((float)((gamma[ch] * (x[i] - mean[ch]) / Math.Sqrt(variance[ch] + 1e-5)) + beta[ch]));
            }

            using var input = new OpBuffer(x);
            using var output = new OpBuffer(x.Length);
            using var pool = new WorkerPool(2);
            kernel.Run(input.Pointer, output.Pointer, pool);
            OpTest.Close(expected, output.Span, 1e-5f, 1e-5f, act.Kind.ToString());
            kernel.Run(input.Pointer, input.Pointer, null);
            OpTest.Close(output.Span, input.Span, 0, 0, "in place");
        }

        int[] dims = [n, c, s, 1];
        float[] ort = OpTest.Ort("BatchNormalization", x, dims, 15, b =>
        {
            b.AddInitializer(TensorData.FromFloats("g", [c], gamma));
            b.AddInitializer(TensorData.FromFloats("b", [c], beta));
            b.AddInitializer(TensorData.FromFloats("m", [c], mean));
            b.AddInitializer(TensorData.FromFloats("v", [c], variance));
        }, ["g", "b", "m", "v"]);
        using var again = new OpBuffer(x);
        ChannelAffineKernel.FromBatchNorm(n, c, s, gamma, beta, mean, variance, 1e-5f, Activation.None).Run(again.Pointer, again.Pointer, null);
        OpTest.Close(ort, again.Span, 1e-5f, 1e-5f, "BatchNormalization vs ORT");
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => ChannelAffineKernel.Create(1, 3, 4, [1f], [1f, 2f, 3f], default)).Code);
    }
}

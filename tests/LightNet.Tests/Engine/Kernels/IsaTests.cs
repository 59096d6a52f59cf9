using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

[Trait("Category", "SimdKernels")]
public sealed class IsaTests
{
    /// <summary>Set by <see cref="IsaChildProcessTests"/> in the child process it starts.</summary>
    internal const string ExpectedIsaVariable = "LIGHTNET_TEST_EXPECTED_ISA";

    [Fact]
    public void BestIsTheWidestSupportedLevel()
    {
        var best = IsaSupport.Best;
        Assert.True(IsaSupport.IsSupported(best));
        Assert.True(IsaSupport.IsSupported(Isa.Scalar));
        foreach (var isa in Enum.GetValues<Isa>().Where(i => i > best))
        {
            Assert.False(IsaSupport.IsSupported(isa));
        }

        // In a child process started with a DOTNET_Enable* switch off, the parent says which level must win.
        if (Environment.GetEnvironmentVariable(ExpectedIsaVariable) is { Length: > 0 } expected)
        {
            Assert.Equal(expected, IsaSupport.Name(best));
        }
    }

    [Fact]
    public void ResolveReturnsBestForNullAndRejectsUnsupportedLevels()
    {
        Assert.Equal(IsaSupport.Best, IsaSupport.Resolve(null));
        foreach (var isa in Enum.GetValues<Isa>())
        {
            if (IsaSupport.IsSupported(isa))
            {
                Assert.Equal(isa, IsaSupport.Resolve(isa));
            }
            else
            {
                var ex = Assert.Throws<LightNetException>(() => IsaSupport.Resolve(isa));
                Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
                Assert.Contains(IsaSupport.Name(isa), ex.Message);
            }
        }
    }

    [Fact]
    public void ScalarActivationsFollowTheOnnxDefinitions()
    {
        Assert.Equal(0f, Activation.Relu.Apply(-2f));
        Assert.Equal(3f, Activation.Relu.Apply(3f));
        Assert.Equal(6f, Activation.Clip(0f, 6f).Apply(7f));
        Assert.Equal(-0.2f, new Activation(ActivationKind.LeakyRelu, 0.1f).Apply(-2f), 6);
        Assert.Equal(0.5f, new Activation(ActivationKind.Sigmoid).Apply(0f));
        Assert.Equal(0.9f, new Activation(ActivationKind.HardSigmoid, 0.2f, 0.5f).Apply(2f), 6);
        Assert.Equal(0f, new Activation(ActivationKind.HardSwish).Apply(-3f));
        Assert.Equal(4f, new Activation(ActivationKind.HardSwish).Apply(4f));
        Assert.Equal(2f / 3f, new Activation(ActivationKind.HardSwish).Apply(1f), 6);
        Assert.Equal(MathF.Tanh(0.3f), new Activation(ActivationKind.Tanh).Apply(0.3f));
        Assert.Equal(-5f, Activation.None.Apply(-5f));
    }
}

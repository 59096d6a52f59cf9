using LightNet.Backends;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>cpu-simd against ONNX Runtime CPU on every zoo model, four at full size and the real ResNet-18.</summary>
public class CpuSimdModelTests
{
    /// <summary>Smallest convenient resolution per network (VGG's 7×7 pooling needs a final map of 1 or 7).</summary>
    private static int SmallResolution(string name) => name switch
    {
        "vgg16" => 32,
        "inception_v3" => 96,
        _ => 64,
    };

    /// <summary>Every zoo network but the two with 100-million-weight classifiers (<see cref="CpuSimdLargeModelTests"/>).</summary>
    public static TheoryData<string> SmallNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in ModelZoo.Names.Except(CpuSimdLargeModelTests.Names))
        {
            data.Add(name);
        }

        return data;
    }

    internal static int Resolution(string name) => SmallResolution(name);

    [Theory]
    [MemberData(nameof(SmallNames))]
    public void ZooModelMatchesOnnxRuntimeAtSmallResolution(string name)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = SmallResolution(name), BatchSize = 2, Classes = 10 });

        // ResNet-50, 53 convolutions deep, on AVX2 with 16 registers (planar plans, the first stage's 3×3 layers on
        // Winograd F(4×4, 3×3)): 2.2e-4 from ONNX Runtime on an output of 0.07 on Zen 3, 3.2e-3 relative.
        EngineTestSupport.AssertMatchesOrt(model, rtol: name == "resnet50" ? 4e-3 : EngineTestSupport.RelativeTolerance);
    }

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("resnet18")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x1_0")]
    public void ZooModelMatchesOnnxRuntimeAtFullSize(string name)
    {
        EngineTestSupport.AssertMatchesOrt(ModelZoo.Create(name), threads: 2);
    }

    [Fact]
    public void RealResNet18MatchesOnnxRuntime()
    {
        Model model = Model.Load(TestModels.RealResNet18Path);
        EngineTestSupport.AssertMatchesOrt(model);
    }

    [Fact]
    public void OneThreadAndScalarIsaMatchOnnxRuntime()
    {
        Model model = ModelZoo.Create("mobilenet_v3_small", new ZooOptions { Resolution = 64, Classes = 10 });
        EngineTestSupport.AssertMatchesOrt(model, "cpu-simd:isa=scalar", threads: 1);
        EngineTestSupport.AssertMatchesOrt(model, "cpu-simd:isa=vector128", threads: 2);
    }

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("mobilenet_v3_large")]
    [InlineData("squeezenet1_1")]
    [InlineData("shufflenet_v2_x1_0")]
    [InlineData("resnet18")]
    public void ZooModelMatchesOnnxRuntimeOnTheVector128Level(string name)
    {
        // The Vector128 level (Arm64, WebAssembly) keeps its 1×1, depthwise, pooling and gating chains in 4-lane blocks.
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = 96, Classes = 20 });
        EngineTestSupport.AssertMatchesOrt(model, "cpu-simd:isa=vector128", threads: 2);
    }

    [Fact]
    public void OldOpsetModelMatchesOnnxRuntime()
    {
        // Opset 13: HardSwish is emitted as x · HardSigmoid(x), Clip takes min/max inputs, Split takes its sizes as an input.
        Model model = ModelZoo.Create("mobilenet_v3_small", new ZooOptions { Resolution = 64, Classes = 10, Opset = 13 });
        EngineTestSupport.AssertMatchesOrt(model);
    }
}

/// <summary>
/// VGG-16 and AlexNet: their fully connected layers hold about 100 million weights whatever the resolution, so they
/// sit in their own class, which xunit runs in parallel with the others.
/// </summary>
public class CpuSimdLargeModelTests
{
    internal static readonly string[] Names = ["vgg16", "alexnet"];

    [Theory]
    [InlineData("vgg16")]
    [InlineData("alexnet")]
    public void LargeZooModelMatchesOnnxRuntimeAtSmallResolution(string name)
    {
        Assert.Contains(name, Names);
        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = CpuSimdModelTests.Resolution(name), BatchSize = 2, Classes = 10 });
        EngineTestSupport.AssertMatchesOrt(model);
    }
}

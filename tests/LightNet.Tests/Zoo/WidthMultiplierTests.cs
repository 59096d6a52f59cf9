using LightNet.Analysis;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Zoo;

/// <summary>Parameter counts of the width-multiplied zoo networks against their reference implementations.</summary>
public class WidthMultiplierTests
{
    [Theory]
    // torchvision's published num_params of shufflenet_v2_x0_5 / x1_0 / x1_5 / x2_0.
    [InlineData("shufflenet_v2_x1_0", 0.5, 1_366_792)]
    [InlineData("shufflenet_v2_x1_0", 1.0, 2_278_604)]
    [InlineData("shufflenet_v2_x1_0", 1.5, 3_503_624)]
    [InlineData("shufflenet_v2_x1_0", 2.0, 7_393_996)]
    // keras.applications.MobileNet trainable parameters (total minus the BN moving statistics: 475,544 / 1,342,536 /
    // 2,601,976 / 4,253,864 in all), as imgclsmob also lists them.
    [InlineData("mobilenet_v1", 0.25, 470_072)]
    [InlineData("mobilenet_v1", 0.5, 1_331_592)]
    [InlineData("mobilenet_v1", 0.75, 2_585_560)]
    [InlineData("mobilenet_v1", 1.0, 4_231_976)]
    // torchvision's MobileNetV2(width_mult=...): only 1.0 is published; the others follow from its code
    // (_make_divisible(c * width, 8), last channel 1280 * max(1, width)) and agree with timm's rounded 1.97 M and 6.11 M.
    [InlineData("mobilenet_v2", 0.5, 1_968_680)]
    [InlineData("mobilenet_v2", 0.75, 2_636_424)]
    [InlineData("mobilenet_v2", 1.0, 3_504_872)]
    [InlineData("mobilenet_v2", 1.4, 6_108_776)]
    public void ParametersMatchReference(string name, double width, long parameters)
    {
        Model model = ModelZoo.Create(name, new ZooOptions { WidthMultiplier = width });

        Assert.Equal(parameters, model.Info.Parameters);
        Assert.Equal([1L, 1000L], model.Info.Outputs.Single().Shape!.Select(d => d.Value!.Value));
        Assert.Equal(width.ToString(System.Globalization.CultureInfo.InvariantCulture), model.Metadata["lightnet.width_multiplier"]);
    }

    [Theory]
    // torchvision's _ops (GFLOPS, counted as MACs) of shufflenet_v2_x1_5 and x2_0.
    [InlineData("shufflenet_v2_x1_0", 1.5, 296_000_000)]
    [InlineData("shufflenet_v2_x1_0", 2.0, 583_000_000)]
    public void MacsWithinThreePercentOfReference(string name, double width, long macs)
    {
        ModelInfo info = ModelZoo.Create(name, new ZooOptions { WidthMultiplier = width }).Info;

        double ratio = info.Macs / (double)macs;
        Assert.True(Math.Abs(ratio - 1) <= 0.03, $"{name} at {width}: {info.Macs:N0} MACs vs reference {macs:N0} (ratio {ratio:F4})");
    }

    [Fact]
    public void NarrowerNetworksHaveFewerMacs()
    {
        long[] macs = new[] { 0.25, 0.5, 0.75, 1.0 }
            .Select(w => ModelZoo.Create("mobilenet_v1", new ZooOptions { WidthMultiplier = w }).Info.Macs)
            .ToArray();

        Assert.Equal(macs.Order(), macs);
        Assert.Equal(macs.Length, macs.Distinct().Count());
    }

    [Theory]
    [InlineData("mobilenet_v1", 1.4)]
    [InlineData("mobilenet_v1", 0.35)]
    [InlineData("mobilenet_v2", 0.25)]
    [InlineData("mobilenet_v3_small", 0.75)]
    [InlineData("mobilenet_v3_large", 0.5)]
    [InlineData("shufflenet_v2_x1_0", 0.75)]
    [InlineData("shufflenet_v2_x1_0", 1.4)]
    [InlineData("resnet18", 0.5)]
    public void UnsupportedWidth_ThrowsInvalidArgument(string name, double width)
    {
        var e = Assert.Throws<LightNetException>(() => ModelZoo.Create(name, new ZooOptions { WidthMultiplier = width }));

        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains(name, e.Message);
    }
}

using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Preprocessing;

public class PreprocessOptionsTests
{
    [Fact]
    public void PresetsHaveTheirPublishedSettings()
    {
        PreprocessOptions tv = PreprocessOptions.ForPreset("torchvision");
        Assert.Same(PreprocessOptions.Torchvision, tv);
        Assert.Equal((ColorOrder.Rgb, 256, 224, 224), (tv.ColorOrder, tv.ResizeShorterSide, tv.Width, tv.Height));
        Assert.Equal([0.485f, 0.456f, 0.406f], tv.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], tv.Std);
        Assert.Equal(1f / 255f, tv.Scale);
        Assert.Equal((TensorLayout.Nchw, TensorElementType.Float, Resampler.Bilinear), (tv.Layout, tv.ElementType, tv.Resampler));

        PreprocessOptions tf = PreprocessOptions.ForPreset("TensorFlow");
        Assert.Equal((1f / 127.5f, 224), (tf.Scale, tf.Width));
        Assert.Equal([1f, 1f, 1f], tf.Mean);

        PreprocessOptions caffe = PreprocessOptions.ForPreset("caffe");
        Assert.Equal(ColorOrder.Bgr, caffe.ColorOrder);
        Assert.Equal([103.939f, 116.779f, 123.68f], caffe.Mean);
        Assert.Equal(1f, caffe.Scale);

        PreprocessOptions inception = PreprocessOptions.ForPreset(" inception ");
        Assert.Equal((299, 299, 342), (inception.Width, inception.Height, inception.ResizeShorterSide));
        Assert.Equal(tf.Scale, inception.Scale);

        Assert.Equal([4L, 3, 299, 299], inception.TensorShape(4));
        Assert.Equal([1L, 224, 224, 3], (tv with { Layout = TensorLayout.Nhwc }).TensorShape());

        var e = Assert.Throws<LightNetException>(() => PreprocessOptions.ForPreset("keras"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("torchvision, tensorflow, caffe, inception", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryZooPresetIsKnown()
    {
        foreach (ZooEntry entry in ModelZoo.Entries)
        {
            PreprocessOptions options = PreprocessOptions.ForPreset(entry.PreprocessingPreset).WithResolution(entry.DefaultResolution);
            Assert.Equal(entry.DefaultResolution, options.Width);
        }
    }

    [Fact]
    public void ForModelReadsMetadataAndTheInputShape()
    {
        Model zoo = ModelZoo.Create("mobilenet_v2");
        ImagePreprocessor pre = ImagePreprocessor.For(zoo);
        Assert.Equal(ModelZoo.Get("mobilenet_v2").PreprocessingPreset, zoo.Metadata["lightnet.preprocessing"]);
        Assert.Equal((224, 224, 256, TensorLayout.Nchw), (pre.Options.Width, pre.Options.Height, pre.Options.ResizeShorterSide, pre.Options.Layout));

        Model inception = Build(metadata: [("lightnet.preprocessing", "inception"), ("lightnet.resolution", "299")], 1, 3, 299, 299);
        Assert.Equal(PreprocessOptions.Inception, ImagePreprocessor.OptionsFor(inception));

        // No metadata: torchvision at the input's size; NHWC and uint8 inputs are honoured.
        PreprocessOptions nhwc = ImagePreprocessor.OptionsFor(Build(metadata: [], 1, 192, 160, 3, TensorElementType.UInt8));
        Assert.Equal((160, 192, TensorLayout.Nhwc, TensorElementType.UInt8), (nhwc.Width, nhwc.Height, nhwc.Layout, nhwc.ElementType));
        Assert.Equal((1f, 0f, 1f), (nhwc.Scale, nhwc.Mean[0], nhwc.Std[0]));
        Assert.Equal(219, nhwc.ResizeShorterSide); // round(192 / 0.875)

        PreprocessOptions half = ImagePreprocessor.OptionsFor(Build(metadata: [], 1, 3, 128, 128, TensorElementType.Float16));
        Assert.Equal((128, 146, TensorElementType.Float16), (half.Width, half.ResizeShorterSide, half.ElementType));

        var e = Assert.Throws<LightNetException>(() => ImagePreprocessor.For(TestSupport.TestModels.Tiny()));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("no image input", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => ImagePreprocessor.For(null!));
        Assert.Equal(ErrorCode.InvalidArgument,
            Assert.Throws<LightNetException>(() => ImagePreprocessor.For(Build(metadata: [("lightnet.preprocessing", "yolo")], 1, 3, 8, 8))).Code);
    }

    [Fact]
    public void InconsistentOptionsAreRefused()
    {
        void Bad(PreprocessOptions options, string fragment)
        {
            var e = Assert.Throws<LightNetException>(() => new ImagePreprocessor(options));
            Assert.Equal(ErrorCode.InvalidArgument, e.Code);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }

        PreprocessOptions tv = PreprocessOptions.Torchvision;
        Bad(tv with { Width = 0 }, "Width and Height");
        Bad(tv with { ResizeShorterSide = 200 }, "ResizeShorterSide 200");
        Bad(tv with { Mean = [0f, 0f] }, "three values");
        Bad(tv with { Std = [1f, 0f, 1f] }, "channel 1");
        Bad(tv with { Mean = [float.NaN, 0f, 0f] }, "channel 0");
        Bad(tv with { Scale = float.PositiveInfinity }, "Scale");
        Bad(tv with { ElementType = TensorElementType.Int32 }, "Int32");
        Bad(tv with { Layout = (TensorLayout)7 }, "enum");
        Bad(tv with { Limits = ImageLimits.Default with { MaxEncodedBytes = 0 } }, "positive");
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => tv.WithResolution(0)).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => tv.TensorShape(0)).Code);

        // Stretch and letterbox ignore the shorter side.
        _ = new ImagePreprocessor(tv with { ResizeShorterSide = 1, ResizeMode = ResizeMode.Stretch });
    }

    private static Model Build((string Key, string Value)[] metadata, long n, long d1, long d2, long d3, TensorElementType type = TensorElementType.Float)
    {
        var b = new ModelBuilder("image", 17);
        foreach ((string key, string value) in metadata)
        {
            b.AddMetadata(key, value);
        }

        b.AddInput("image", type, n, d1, d2, d3);
        b.AddNode("Identity", ["image"], ["out"]);
        b.AddOutput("out", type, n, d1, d2, d3);
        return b.Build();
    }
}

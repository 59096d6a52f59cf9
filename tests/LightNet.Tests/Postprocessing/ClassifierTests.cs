using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Tests.Preprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace LightNet.Tests.Postprocessing;

public class ClassifierTests
{
    private static readonly PreprocessOptions Unit = new()
    {
        ResizeMode = ResizeMode.Stretch, Width = 8, Height = 8, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
    };

    /// <summary>
    /// image [1, 3, 8, 8] → mean per channel → × W → logits: with 1000 classes red drives "tabby" (281) and blue "coffee mug" (504);
    /// otherwise red drives the first class and blue the last.
    /// </summary>
    private static Model ColourModel(bool withSoftmax = false, int classes = 1000)
    {
        var b = new ModelBuilder("colour", 17);
        b.AddInput("image", TensorElementType.Float, 1, 3, 8, 8);
        var w = new float[3 * classes];
        w[0 * classes + (classes == 1000 ? 281 : 0)] = 10f;
        w[2 * classes + (classes == 1000 ? 504 : classes - 1)] = 10f;
        b.AddInitializer(TensorData.FromFloats("w", [3, classes], w));
        b.AddNode("GlobalAveragePool", ["image"], ["pooled"]);
        b.AddNode("Flatten", ["pooled"], ["flat"]);
        b.AddNode("MatMul", ["flat", "w"], [withSoftmax ? "logits" : "scores"]);
        if (withSoftmax)
        {
            b.AddNode("Softmax", ["logits"], ["scores"]);
        }

        b.AddOutput("scores", TensorElementType.Float, 1, classes);
        return b.Build();
    }

    private static RawImage Solid(byte r, byte g, byte b, int width = 30, int height = 20)
    {
        var bytes = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
        {
            (bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]) = (r, g, b);
        }

        return new RawImage(bytes, width, height, RawPixelFormat.Rgb24);
    }

    [Fact]
    public void ClassifiesAndLabelsWithImageNetNames()
    {
        using var classifier = new Classifier(ColourModel(), Backend.Parse("ort-cpu"), new ImagePreprocessor(Unit));
        double expected = Math.Exp(10) / (Math.Exp(10) + 999);

        IReadOnlyList<Classification> red = classifier.Classify(Solid(255, 0, 0), k: 3);
        Assert.Equal(3, red.Count);
        Assert.Equal((281, "tabby"), (red[0].Index, red[0].Label));
        Assert.Equal(expected, red[0].Probability, 5);
        Assert.Equal(1 / (Math.Exp(10) + 999), red[1].Probability, 6);

        IReadOnlyList<Classification> blue = classifier.Classify(Solid(0, 0, 255));
        Assert.Equal(5, blue.Count);
        Assert.Equal("coffee mug", blue[0].Label);

        // Every input kind.
        using var image = new Image<Rgb24>(16, 16, new Rgb24(255, 0, 0));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        Assert.Equal(281, classifier.Classify(image)[0].Index);
        Assert.Equal(281, classifier.Classify(png.ToArray())[0].Index);
        png.Position = 0;
        Assert.Equal(281, classifier.Classify(png, 1, "red.png")[0].Index);
        string path = Path.Combine(Path.GetTempPath(), $"lightnet-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, png.ToArray());
        try
        {
            Assert.Equal(281, classifier.Classify(path)[0].Index);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(1000, classifier.Probabilities(classifier.Preprocessor.Process(Solid(0, 0, 255))).Length);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => classifier.Classify(Solid(1, 2, 3), 0)).Code);
    }

    [Fact]
    public void AModelThatEndsInSoftmaxIsNotSoftmaxedTwice()
    {
        using var classifier = new Classifier(ColourModel(withSoftmax: true), preprocessor: new ImagePreprocessor(Unit));
        Assert.Equal(Math.Exp(10) / (Math.Exp(10) + 999), classifier.Classify(Solid(255, 0, 0), 1)[0].Probability, 5);

        // Forcing it on anyway flattens the distribution.
        using var twice = new Classifier(ColourModel(withSoftmax: true), preprocessor: new ImagePreprocessor(Unit), applySoftmax: true);
        Assert.True(twice.Classify(Solid(255, 0, 0), 1)[0].Probability < 0.01);
    }

    [Fact]
    public void CustomLabelsAndDefaultPreprocessor()
    {
        using var classifier = new Classifier(ColourModel(classes: 3), labels: ["red", "green", "blue"]);
        Assert.Equal(8, classifier.Preprocessor.Options.Width); // from the input shape, torchvision preset
        Assert.Equal(("image", "scores"), (classifier.InputName, classifier.OutputName));
        Assert.Equal("red", classifier.Classify(Solid(255, 0, 0), 1)[0].Label);
        Assert.Equal("blue", classifier.Classify(Solid(0, 0, 255), 1)[0].Label);

        using var unlabeled = new Classifier(ColourModel(classes: 3));
        Assert.Equal("class 0", unlabeled.Classify(Solid(255, 0, 0), 1)[0].Label);
    }

    [Fact]
    public void MismatchesAndDisposalAreReported()
    {
        var e = Assert.Throws<LightNetException>(() => new Classifier(ColourModel(), preprocessor: new ImagePreprocessor(Unit with { ElementType = TensorElementType.Float16 })));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("Float16", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<LightNetException>(() => new Classifier(ColourModel(), preprocessor: new ImagePreprocessor(Unit with { Width = 9 })));
        Assert.Contains("[1, 3, 8, 8]", e.Message, StringComparison.Ordinal);

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => new Classifier(TestSupport.TestModels.Tiny())).Code);
        Assert.Throws<ArgumentNullException>(() => new Classifier(null!));
        Assert.Equal(ErrorCode.InvalidArgument,
            Assert.Throws<LightNetException>(() => new Classifier(ColourModel(classes: 3), labels: ["a", "b"])).Code);

        var classifier = new Classifier(ColourModel(), preprocessor: new ImagePreprocessor(Unit));
        classifier.Dispose();
        classifier.Dispose();
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify(Solid(1, 2, 3)));
    }

    [Fact]
    public void ClassifiesRealPhotosWithoutAHeadOnlyAsFeatures()
    {
        // The real ResNet-18 has no classifier head (512 features): the classifier still runs and says "class N".
        using var classifier = new Classifier(Model.Load(TestSupport.TestModels.RealResNet18Path), preprocessor: new ImagePreprocessor(PreprocessOptions.Caffe));
        IReadOnlyList<Classification> top = classifier.Classify(RealPhotoFeatureTests.Photo("coffee.jpg"), 3);
        Assert.Equal(3, top.Count);
        Assert.StartsWith("class ", top[0].Label, StringComparison.Ordinal);
    }
}

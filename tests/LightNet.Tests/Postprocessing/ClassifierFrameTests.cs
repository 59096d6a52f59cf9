using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Postprocessing;

/// <summary>The camera loop: Classifier.ClassifyInto on RGB and YUV frames allocates nothing once warm, and agrees with Classify.</summary>
public class ClassifierFrameTests(ITestOutputHelper output)
{
    private static readonly Model s_model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });

    [Theory]
    [InlineData("cpu-simd:threads=1")]
    [InlineData("ort-cpu:threads=1")]
    public void ClassifyInto_allocates_nothing_per_frame_once_warm(string backend)
    {
        using var classifier = new Classifier(s_model, Backend.Parse(backend));
        var rgba = new byte[320 * 240 * 4];
        var nv12 = new byte[320 * 240 * 3 / 2];
        new Random(1).NextBytes(rgba);
        new Random(2).NextBytes(nv12);
        var frame = new RawImage(rgba, 320, 240, RawPixelFormat.Rgba32);
        YuvFrame yuv = YuvFrame.Nv12(nv12, 320, 240);
        var top = new (int Index, float Probability)[3];
        int written = 0;
        void Frame()
        {
            written += classifier.ClassifyInto(frame, top);
            written += classifier.ClassifyInto(yuv, top);
        }

        Action frames = Frame;
        for (int i = 0; i < 5; i++) frames(); // warm-up: a lane (input tensor, prepared run), plans, JIT

        written = 0;
        long fewest = Allocations.FewestBytesPerWindow(frames, framesPerWindow: 5, windows: 4);
        Assert.Equal(4 * 5 * 2 * 3, written); // (xunit's asserts allocate: they come after the measurement)
        output.WriteLine($"{backend}: {fewest} bytes in the quietest window of 10 frames (RGBA + NV12)");
        Assert.Equal(0, fewest); // any steady allocation per frame, even one byte, fails this
    }

    [Fact]
    public void ClassifyInto_agrees_with_Classify_and_names_classes()
    {
        using var classifier = new Classifier(s_model, Backend.Parse("cpu-simd"));
        var pixels = new byte[96 * 80 * 3];
        new Random(4).NextBytes(pixels);
        var frame = new RawImage(pixels, 96, 80, RawPixelFormat.Rgb24);
        IReadOnlyList<Classification> expected = classifier.Classify(classifier.Preprocessor.Process(frame), 10);
        Span<(int Index, float Probability)> top = stackalloc (int, float)[12];
        int count = classifier.ClassifyInto(frame, top);
        Assert.Equal(10, count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(expected[i].Index, top[i].Index);
            Assert.Equal(expected[i].Probability, top[i].Probability, 5);
            Assert.Equal(expected[i].Label, classifier.LabelOf(top[i].Index));
        }

        Assert.Equal(expected.Select(c => c.Index), classifier.Classify(frame, 10).Select(c => c.Index));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => classifier.LabelOf(10)).Code);
    }

    [Fact]
    public void Classifying_after_Dispose_throws()
    {
        var classifier = new Classifier(s_model, Backend.Parse("cpu-simd"));
        var frame = new RawImage(new byte[32 * 32 * 3], 32, 32, RawPixelFormat.Rgb24);
        classifier.Classify(frame);
        classifier.Dispose();
        var top = new (int, float)[1];
        Assert.Throws<ObjectDisposedException>(() => classifier.ClassifyInto(frame, top));
    }
}

using LightNet.Backends;
using LightNet.Preprocessing;
using LightNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Preprocessing;

/// <summary>
/// The real ImageNet ResNet-18 (ML.NET's CNTK export, 512-d pooled features, no classifier head) on the public photos in
/// tests/TestImages: a photo and its slightly resized, mirrored or re-encoded copy must give clearly more similar
/// features than two different photos. That only holds when decoding, orientation, colour order, resizing and
/// normalisation are all right, so it checks the whole preprocessing chain on real data.
/// </summary>
public class RealPhotoFeatureTests(ITestOutputHelper output)
{
    private static readonly Lazy<Model> s_model = new(() => Model.Load(TestModels.RealResNet18Path));

    internal static string Photo(string name) => Path.Combine(AppContext.BaseDirectory, "TestImages", name);

    [Fact]
    public void CopiesOfAPhotoAreCloserThanDifferentPhotos()
    {
        // ML.NET feeds this model BGR pixels in 0–255 minus a mean image (its ResNetPrepOnnx graph: Split, Concat as
        // B, G, R, Sub MeanImage), which the Caffe preset reproduces with a per-channel mean.
        (IReadOnlyDictionary<string, double> same, IReadOnlyDictionary<string, double> different) = Similarities("caffe");

        // Measured with ONNX Runtime 1.31 on CPU: copies 0.999 (resized to 90%), 0.976 (mirrored), 0.996 (JPEG q70);
        // different photos 0.193 (cat/rocket) to 0.362 (astronaut/rocket).
        Assert.All(same.Values, c => Assert.True(c > 0.95, $"copy similarity {c:F3}"));
        Assert.All(different.Values, c => Assert.True(c < 0.5, $"different-photo similarity {c:F3}"));
        Assert.True(same.Values.Min() > different.Values.Max() + 0.5,
            $"copies {same.Values.Min():F3} vs different photos {different.Values.Max():F3}");
    }

    [Fact]
    public void TorchvisionNormalisationIsTheWrongOneForThisModel()
    {
        // torchvision's inputs (about −2…2) are some 100 times smaller than the 0–255-minus-mean values this CNTK model
        // was trained on: its features become generic and different photos look alike. Measured: copies 1.000, 0.997,
        // 1.000; different photos 0.517 to 0.939 (cat/rocket), a margin of 0.06 against the Caffe preset's 0.61.
        (IReadOnlyDictionary<string, double> same, IReadOnlyDictionary<string, double> different) = Similarities("torchvision");
        (IReadOnlyDictionary<string, double> caffeSame, IReadOnlyDictionary<string, double> caffeDifferent) = Similarities("caffe");
        double margin = same.Values.Min() - different.Values.Max();
        double caffeMargin = caffeSame.Values.Min() - caffeDifferent.Values.Max();
        Assert.True(different.Values.Max() > 0.8, $"{different.Values.Max():F3}");
        Assert.True(caffeMargin > margin + 0.3, $"caffe margin {caffeMargin:F3}, torchvision margin {margin:F3}");
    }

    private (IReadOnlyDictionary<string, double> Same, IReadOnlyDictionary<string, double> Different) Similarities(string preset)
    {
        var pre = new ImagePreprocessor(PreprocessOptions.ForPreset(preset));
        using IInferenceSession session = Backend.Parse("ort-cpu").CreateSession(s_model.Value);
        float[] Features(TensorBuffer input) => session.Run(new Dictionary<string, TensorBuffer> { ["Input247"] = input }).Values.Single().ToFloatArray();

        using Image<Rgb24> cat = pre.Decode(Photo("cat.jpg"));
        float[] original = Features(pre.Process(cat));
        Assert.Equal(512, original.Length);

        using Image<Rgb24> resized = cat.Clone(x => x.Resize(cat.Width * 9 / 10, cat.Height * 9 / 10));
        using Image<Rgb24> flipped = cat.Clone(x => x.Flip(FlipMode.Horizontal));
        using var jpeg = new MemoryStream();
        cat.Save(jpeg, new JpegEncoder { Quality = 70 });

        var same = new Dictionary<string, double>
        {
            ["cat vs resized 90%"] = Cosine(original, Features(pre.Process(resized))),
            ["cat vs mirrored"] = Cosine(original, Features(pre.Process(flipped))),
            ["cat vs JPEG q70"] = Cosine(original, Features(pre.Process(jpeg.ToArray(), "cat-q70.jpg"))),
        };

        string[] photos = ["cat.jpg", "coffee.jpg", "astronaut.jpg", "rocket.jpg"];
        float[][] features = photos.Select(p => Features(pre.Process(Photo(p)))).ToArray();
        var different = new Dictionary<string, double>();
        for (int i = 0; i < photos.Length; i++)
        {
            for (int j = i + 1; j < photos.Length; j++)
            {
                different[$"{photos[i]} vs {photos[j]}"] = Cosine(features[i], features[j]);
            }
        }

        foreach ((string pair, double cosine) in same.Concat(different))
        {
            output.WriteLine($"{preset}: {pair}: {cosine:F3}");
        }

        return (same, different);
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}

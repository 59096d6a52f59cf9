using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Preprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LightNet.Benchmarks;

/// <summary>
/// Image → model input, the torchvision way (shorter side to 256, centre crop 224×224, bilinear, ImageNet mean and
/// std, NCHW float32), into one preallocated tensor:
/// <see cref="JpegToTensor"/> decodes a 640×480 JPEG (tests/TestImages/rocket.jpg resized to 640×480 and re-encoded
/// at quality 90 in memory at GlobalSetup) and preprocesses it; <see cref="RgbaFrameToTensor"/> preprocesses a raw
/// 640×480 RGBA frame (the same picture's pixels), as a camera gives it.
/// </summary>
[MemoryDiagnoser]
public class PreprocessingBenchmarks
{
    private const int Width = 640;
    private const int Height = 480;
    private readonly ImagePreprocessor _preprocessor = new();
    private ReadOnlyMemory<byte> _jpeg;
    private RawImage _frame;
    private TensorBuffer? _tensor;

    [GlobalSetup]
    public void Setup()
    {
        using Stream source = typeof(PreprocessingBenchmarks).Assembly.GetManifestResourceStream("LightNet.Benchmarks.rocket.jpg")
            ?? throw new InvalidOperationException("The embedded test photo is missing.");
        using Image<Rgba32> image = Image.Load<Rgba32>(source);
        image.Mutate(x => x.Resize(Width, Height));
        using var encoded = new MemoryStream();
        image.SaveAsJpeg(encoded, new JpegEncoder { Quality = 90 });
        _jpeg = encoded.ToArray();

        var pixels = new byte[Width * Height * 4];
        image.CopyPixelDataTo(pixels);
        _frame = new RawImage(pixels, Width, Height, RawPixelFormat.Rgba32);
        _tensor = _preprocessor.CreateBuffer();
    }

    /// <summary>Decode the 640×480 JPEG, resize, crop, normalise into the tensor.</summary>
    [Benchmark]
    public void JpegToTensor() => _preprocessor.ProcessInto(_jpeg, _tensor!);

    /// <summary>Resize, crop, normalise a raw 640×480 RGBA frame into the tensor.</summary>
    [Benchmark]
    public void RgbaFrameToTensor() => _preprocessor.ProcessInto(_frame, _tensor!);
}

using BenchmarkDotNet.Attributes;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// "How long does a photo take, end to end?" The whole image-classification pipeline of each model × backend ×
/// thread count (as <see cref="LightNetBenchmarkBase"/> sets them up), through a <see cref="Classifier"/>:
/// <see cref="EncodedImage"/> decodes the encoded image, resizes, crops and normalises it (<see cref="ImagePreprocessor"/>),
/// runs the model and picks the top classes with their labels; <see cref="Frame"/> does the same from already decoded
/// pixels into a caller's span, as a camera loop does (no allocation once warm).
/// </summary>
/// <remarks>
/// The image is <see cref="ImagePath"/> when it is set, else a seeded 640×480 JPEG made at set-up. The classifier's
/// preprocessor is <see cref="ImagePreprocessor.For"/> the model unless <see cref="CreatePreprocessor"/> says otherwise.
/// </remarks>
public abstract class PipelineBenchmarkBase : LightNetBenchmarkBase
{
    private Classifier? _classifier;
    private byte[] _image = [];
    private RawImage _frame;
    private (int Index, float Probability)[] _top = [];

    /// <summary>
    /// The image to classify: an absolute path (BenchmarkDotNet runs each case from another working directory) of a file
    /// <see cref="ImagePreprocessor"/> decodes (JPEG, PNG, ...), or null (the default) for a seeded 640×480 JPEG.
    /// </summary>
    public virtual string? ImagePath => null;

    /// <summary>How many classes each classification returns. Defaults to 5.</summary>
    public virtual int TopK => 5;

    /// <summary>The classifier of the current case (after <see cref="Setup"/>).</summary>
    protected Classifier Classifier => _classifier ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>What the last <see cref="Frame"/> wrote: class index and probability, most probable first.</summary>
    protected ReadOnlySpan<(int Index, float Probability)> FrameTop => _top;

    /// <summary>The preprocessor for the model; null (the default) for <see cref="ImagePreprocessor.For"/> the model.</summary>
    /// <param name="model">The case's model.</param>
    protected virtual ImagePreprocessor? CreatePreprocessor(Model model) => null;

    /// <summary>The encoded image: the bytes of <see cref="ImagePath"/>, or a seeded 640×480 JPEG.</summary>
    protected virtual byte[] CreateImage() => ImagePath is string path ? File.ReadAllBytes(path) : SyntheticJpeg(640, 480, seed: 1234);

    /// <summary>A seeded test picture, JPEG-encoded at quality 90: smooth colour gradients with per-pixel noise.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="seed">Seed of the noise.</param>
    public static byte[] SyntheticJpeg(int width, int height, int seed)
    {
        using var image = new Image<Rgb24>(width, height);
        var random = new Random(seed);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(255 * x / width + random.Next(-16, 16)), (byte)(255 * y / height + random.Next(-16, 16)), (byte)random.Next(256));
                }
            }
        });
        using var encoded = new MemoryStream();
        image.SaveAsJpeg(encoded, new JpegEncoder { Quality = 90 });
        return encoded.ToArray();
    }

    /// <summary>Loads the model into a <see cref="Classifier"/> on the case's backend and options, reads the image and decodes it once for <see cref="Frame"/>.</summary>
    [GlobalSetup]
    public virtual void Setup()
    {
        Model model = BenchmarkModels.Load(Model);
        _classifier = new Classifier(model, LightNetBackend.Parse(Backend), CreatePreprocessor(model), inferenceOptions: CreateOptions());
        _image = CreateImage();
        using Image<Rgb24> decoded = _classifier.Preprocessor.Decode(_image);
        var pixels = new byte[decoded.Width * decoded.Height * 3];
        decoded.CopyPixelDataTo(pixels);
        _frame = new RawImage(pixels, decoded.Width, decoded.Height, RawPixelFormat.Rgb24);
        _top = new (int, float)[TopK];
    }

    /// <summary>Disposes the classifier.</summary>
    [GlobalCleanup]
    public virtual void Cleanup()
    {
        _classifier?.Dispose();
        _classifier = null;
    }

    /// <summary>Encoded image → top-k classes with labels: decode, preprocess, infer, softmax and top-k (<see cref="Classifier.Classify(byte[], int)"/>).</summary>
    [Benchmark]
    public IReadOnlyList<Classification> EncodedImage() => _classifier!.Classify(_image, TopK);

    /// <summary>Decoded pixels → top-k class indices: preprocess, infer, softmax and top-k into a reused span (<see cref="Classifier.ClassifyInto(RawImage, Span{ValueTuple{int, float}})"/>).</summary>
    [Benchmark]
    public int Frame() => _classifier!.ClassifyInto(_frame, _top);
}

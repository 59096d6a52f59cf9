using System.Globalization;
using LightNet.Onnx;

namespace LightNet.Preprocessing;

/// <summary>The order of the three colour channels in the tensor.</summary>
public enum ColorOrder
{
    /// <summary>Red, green, blue (PyTorch, TensorFlow, ONNX Model Zoo).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe, OpenCV-trained models, CNTK).</summary>
    Bgr,
}

/// <summary>How the image is brought to the tensor's height and width.</summary>
public enum ResizeMode
{
    /// <summary>
    /// Scale so that the shorter side equals <see cref="PreprocessOptions.ResizeShorterSide"/> (aspect ratio kept), then
    /// cut the centre <see cref="PreprocessOptions.Width"/> × <see cref="PreprocessOptions.Height"/> (torchvision's
    /// <c>Resize(256)</c> + <c>CenterCrop(224)</c>).
    /// </summary>
    ShorterSideCenterCrop,

    /// <summary>Scale straight to <see cref="PreprocessOptions.Width"/> × <see cref="PreprocessOptions.Height"/>; the aspect ratio may change.</summary>
    Stretch,

    /// <summary>
    /// Scale to fit inside <see cref="PreprocessOptions.Width"/> × <see cref="PreprocessOptions.Height"/> (aspect ratio kept),
    /// centre it, and fill the borders with <see cref="PreprocessOptions.LetterboxFill"/>.
    /// </summary>
    Letterbox,
}

/// <summary>The interpolation filter used when resizing (antialiased when shrinking, as Pillow and torchvision do).</summary>
public enum Resampler
{
    /// <summary>Triangle filter, Pillow's <c>BILINEAR</c> (torchvision's default).</summary>
    Bilinear,

    /// <summary>Cubic filter with a = -0.5, Pillow's <c>BICUBIC</c> (timm's default).</summary>
    Bicubic,

    /// <summary>The nearest source pixel; no filtering.</summary>
    NearestNeighbor,
}

/// <summary>The order of the dimensions of the image tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channels, height, width]: PyTorch and most ONNX models.</summary>
    Nchw,

    /// <summary>[batch, height, width, channels]: TensorFlow and TFLite models.</summary>
    Nhwc,
}

/// <summary>
/// Limits applied before and during decoding of untrusted images. The defaults accept any ordinary photo and refuse
/// decompression bombs: files over 64 MiB, images over 64 megapixels or with a side over 16384 pixels, GIFs of more
/// than 1000 frames, and any single decoder buffer over 320 MB.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>The defaults: 64 MiB encoded, 64 megapixels, 16384 pixels per side, 1000 GIF frames, 320 MB per decoder buffer, 10 s to decode.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest encoded file or stream accepted, in bytes.</summary>
    public long MaxEncodedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest width × height accepted, read from the header before anything is decoded.</summary>
    public long MaxPixels { get; init; } = 64_000_000;

    /// <summary>Largest width or height accepted, read from the header before anything is decoded.</summary>
    public int MaxSide { get; init; } = 16384;

    /// <summary>Most frames accepted in an animated GIF (only the first is ever decoded).</summary>
    public int MaxFrames { get; init; } = 1000;

    /// <summary>Largest single buffer the decoder may allocate, in megabytes (ImageSharp's <c>AllocationLimitMegabytes</c>).</summary>
    public int MaxDecoderBufferMegabytes { get; init; } = 320;

    /// <summary>
    /// Longest time one decode may take (the decode deadline): the decoder is cancelled when it runs past it and the
    /// image refused with <see cref="ErrorCode.InvalidImage"/>. A last fence behind the structural limits, for slow
    /// decoding paths that no header field bounds; a 64-megapixel photo decodes in well under a second.
    /// </summary>
    public TimeSpan MaxDecodeTime { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (MaxEncodedBytes < 1 || MaxEncodedBytes > Array.MaxLength || MaxPixels < 1 || MaxSide < 1 || MaxFrames < 1 || MaxDecoderBufferMegabytes < 1
            || MaxDecodeTime <= TimeSpan.Zero || MaxDecodeTime.TotalMilliseconds > int.MaxValue)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Image limits must all be positive, MaxEncodedBytes at most {Array.MaxLength} and MaxDecodeTime at most {int.MaxValue} ms (MaxEncodedBytes {MaxEncodedBytes}, MaxPixels {MaxPixels}, MaxSide {MaxSide}, MaxFrames {MaxFrames}, MaxDecoderBufferMegabytes {MaxDecoderBufferMegabytes}, MaxDecodeTime {MaxDecodeTime}).");
        }
    }
}

/// <summary>
/// What <see cref="ImagePreprocessor"/> does to turn an image into a tensor: colour order, resize, normalisation,
/// layout and element type. Immutable; derive variants with <c>with</c>, or start from a preset
/// (<see cref="Torchvision"/>, <see cref="TensorFlow"/>, <see cref="Caffe"/>, <see cref="Inception"/>, <see cref="ForPreset"/>).
/// </summary>
/// <remarks>
/// Each channel value is computed as <c>(pixel × <see cref="Scale"/> − <see cref="Mean"/>[c]) / <see cref="Std"/>[c]</c>,
/// where pixel is 0–255 and c counts channels in the tensor's order (so for <see cref="ColorOrder.Bgr"/>, Mean[0] is
/// the blue mean).
/// </remarks>
public sealed record PreprocessOptions
{
    /// <summary>The fraction of the resized image that the centre crop keeps in the presets (224 / 256).</summary>
    public const double DefaultCropFraction = 0.875;

    /// <summary>The preset names <see cref="ForPreset"/> accepts.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["torchvision", "tensorflow", "caffe", "inception"];

    /// <summary>torchvision's ImageNet evaluation: RGB, shorter side 256, centre crop 224, bilinear, [0, 1] then ImageNet mean/std, NCHW float32.</summary>
    public static PreprocessOptions Torchvision { get; } = new();

    /// <summary>TensorFlow MobileNets and EfficientNet-Lite style: RGB, shorter side 256, centre crop 224, scaled to [-1, 1].</summary>
    public static PreprocessOptions TensorFlow { get; } = new()
    {
        Scale = 1f / 127.5f,
        Mean = [1f, 1f, 1f],
        Std = [1f, 1f, 1f],
    };

    /// <summary>Caffe (and Keras "caffe" mode) style: BGR, 0–255, minus the ImageNet mean 103.939 / 116.779 / 123.68 (B, G, R).</summary>
    public static PreprocessOptions Caffe { get; } = new()
    {
        ColorOrder = ColorOrder.Bgr,
        Scale = 1f,
        Mean = [103.939f, 116.779f, 123.68f],
        Std = [1f, 1f, 1f],
    };

    /// <summary>Inception v3: RGB, shorter side 342, centre crop 299, scaled to [-1, 1].</summary>
    public static PreprocessOptions Inception { get; } = TensorFlow.WithResolution(299);

    /// <summary>Red/blue order of the tensor's channels.</summary>
    public ColorOrder ColorOrder { get; init; } = ColorOrder.Rgb;

    /// <summary>How the image is resized to <see cref="Width"/> × <see cref="Height"/>.</summary>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.ShorterSideCenterCrop;

    /// <summary>The shorter side after resizing, for <see cref="ResizeMode.ShorterSideCenterCrop"/>; at least <see cref="Width"/> and <see cref="Height"/>.</summary>
    public int ResizeShorterSide { get; init; } = 256;

    /// <summary>Width of the tensor's image (the crop, the stretch target or the letterbox canvas).</summary>
    public int Width { get; init; } = 224;

    /// <summary>Height of the tensor's image (the crop, the stretch target or the letterbox canvas).</summary>
    public int Height { get; init; } = 224;

    /// <summary>The interpolation filter.</summary>
    public Resampler Resampler { get; init; } = Resampler.Bilinear;

    /// <summary>The pixel value (0–255, before normalisation) of the borders <see cref="ResizeMode.Letterbox"/> adds.</summary>
    public float LetterboxFill { get; init; }

    /// <summary>Factor applied to 0–255 pixel values before the mean is subtracted (1/255 for [0, 1] inputs).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean, in the tensor's channel order; three values.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation, in the tensor's channel order; three non-zero values.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Dimension order of the tensor.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>
    /// Element type of the tensor: <see cref="TensorElementType.Float"/>, <see cref="TensorElementType.Float16"/> or
    /// <see cref="TensorElementType.UInt8"/> (rounded and clamped to 0–255 after normalisation; use Scale 1, Mean 0, Std 1
    /// for raw pixels).
    /// </summary>
    public TensorElementType ElementType { get; init; } = TensorElementType.Float;

    /// <summary>Rotate or flip decoded images as their EXIF orientation tag says (what photo viewers show).</summary>
    public bool AutoOrient { get; init; } = true;

    /// <summary>Limits against hostile or absurd images; see <see cref="ImageLimits"/>.</summary>
    public ImageLimits Limits { get; init; } = ImageLimits.Default;

    /// <summary>The preset with the given name: "torchvision", "tensorflow", "caffe" or "inception" (case-insensitive).</summary>
    /// <param name="name">Preset name, as in <see cref="Zoo.ZooEntry.PreprocessingPreset"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an unknown name; the message lists the known ones.</exception>
    public static PreprocessOptions ForPreset(string name) => (name ?? throw new ArgumentNullException(nameof(name))).Trim().ToLowerInvariant() switch
    {
        "torchvision" or "pytorch" or "imagenet" => Torchvision,
        "tensorflow" or "tf" => TensorFlow,
        "caffe" => Caffe,
        "inception" => Inception,
        _ => throw new LightNetException(ErrorCode.InvalidArgument,
            $"Unknown preprocessing preset '{name}'. Known presets: {string.Join(", ", PresetNames)}."),
    };

    /// <summary>
    /// The same options for a square input of <paramref name="resolution"/> pixels: crop (or target) size
    /// <paramref name="resolution"/> and, for the centre crop, shorter side <c>round(resolution / 0.875)</c> (224 → 256, 299 → 342).
    /// </summary>
    /// <param name="resolution">Height and width of the tensor's image, 1 to 16384.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when out of range.</exception>
    public PreprocessOptions WithResolution(int resolution)
    {
        if (resolution is < 1 or > 16384)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Resolution must be between 1 and 16384, not {resolution}.");
        }

        return this with
        {
            Width = resolution,
            Height = resolution,
            ResizeShorterSide = (int)Math.Round(resolution / DefaultCropFraction, MidpointRounding.AwayFromZero),
        };
    }

    /// <summary>The tensor shape for <paramref name="batch"/> images: [N, 3, H, W] or [N, H, W, 3].</summary>
    /// <param name="batch">Number of images, at least 1.</param>
    public long[] TensorShape(int batch = 1)
    {
        if (batch < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Batch size must be at least 1, not {batch}.");
        }

        return Layout == TensorLayout.Nchw ? [batch, 3, Height, Width] : [batch, Height, Width, 3];
    }

    internal void Validate()
    {
        static LightNetException Bad(string message) => new(ErrorCode.InvalidArgument, "Invalid preprocessing options: " + message);

        if (!Enum.IsDefined(ColorOrder) || !Enum.IsDefined(ResizeMode) || !Enum.IsDefined(Resampler) || !Enum.IsDefined(Layout))
        {
            throw Bad("an enum value is out of range.");
        }

        if (Width is < 1 or > 16384 || Height is < 1 or > 16384)
        {
            throw Bad($"Width and Height must be between 1 and 16384, not {Width} × {Height}.");
        }

        if (ResizeMode == ResizeMode.ShorterSideCenterCrop && (ResizeShorterSide > 65536 || ResizeShorterSide < Math.Max(Width, Height)))
        {
            throw Bad($"ResizeShorterSide {ResizeShorterSide} must be at least the crop size {Width} × {Height} (and at most 65536).");
        }

        if (Mean is null || Std is null || Mean.Count != 3 || Std.Count != 3)
        {
            throw Bad($"Mean and Std need three values each (one per channel), not {Mean?.Count ?? 0} and {Std?.Count ?? 0}.");
        }

        for (int c = 0; c < 3; c++)
        {
            if (!float.IsFinite(Mean[c]) || !float.IsFinite(Std[c]) || Std[c] == 0f)
            {
                throw Bad($"channel {c} has mean {Mean[c].ToString(CultureInfo.InvariantCulture)} and std {Std[c].ToString(CultureInfo.InvariantCulture)}; both must be finite and std non-zero.");
            }
        }

        if (!float.IsFinite(Scale) || Scale == 0f || !float.IsFinite(LetterboxFill))
        {
            throw Bad($"Scale ({Scale.ToString(CultureInfo.InvariantCulture)}) must be finite and non-zero and LetterboxFill finite.");
        }

        if (ElementType is not (TensorElementType.Float or TensorElementType.Float16 or TensorElementType.UInt8))
        {
            throw Bad($"element type {ElementType} is not supported; use Float, Float16 or UInt8.");
        }

        if (Limits is null)
        {
            throw Bad("Limits is null.");
        }

        Limits.Validate();
    }
}

using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using LightNet.Backends;
using LightNet.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LightNet.Preprocessing;

/// <summary>
/// Turns images into the tensor a vision model expects: decode (safely, see <see cref="ImageLimits"/>), EXIF
/// orientation, RGB or BGR, resize (shorter side + centre crop, stretch or letterbox; bilinear, bicubic or nearest),
/// normalise, NCHW or NHWC, float32 / float16 / uint8, one image or a batch.
/// </summary>
/// <remarks>
/// <para>Input can be a file path, a <see cref="Stream"/>, encoded bytes, an ImageSharp <see cref="Image{Rgb24}"/> or
/// raw camera pixels (<see cref="RawImage"/>: RGB24, BGR24, RGBA32, BGRA32 with any stride).</para>
/// <para>Resizing, normalisation and layout conversion are LightNet's own code (Pillow-compatible filters), with the
/// vertical pass and the normalisation vectorised. Scratch buffers come from a pool and the resize weights are kept for
/// the last frame size, so <see cref="ProcessInto(RawImage, TensorBuffer, int)"/> on frames of an unchanged size
/// allocates nothing after the first call.</para>
/// <para>An instance is immutable and thread-safe.</para>
/// </remarks>
public sealed class ImagePreprocessor
{
    private const string ResolutionKey = "lightnet.resolution";
    private const string PresetKey = "lightnet.preprocessing";

    private readonly float[] _a = new float[3];
    private readonly float[] _b = new float[3];
    private ResizePlan? _lastPlan;

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="options">What to do; null for <see cref="PreprocessOptions.Torchvision"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the options are inconsistent.</exception>
    public ImagePreprocessor(PreprocessOptions? options = null)
    {
        Options = options ?? PreprocessOptions.Torchvision;
        Options.Validate();
        for (int c = 0; c < 3; c++)
        {
            _a[c] = Options.Scale / Options.Std[c];
            _b[c] = -Options.Mean[c] / Options.Std[c];
        }
    }

    /// <summary>The options in effect.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>Values per image in the tensor (3 × height × width).</summary>
    public int ValuesPerImage => 3 * Options.Height * Options.Width;

    /// <summary>
    /// A preprocessor for a model: the preset named in its metadata <c>lightnet.preprocessing</c> (torchvision when
    /// absent) at the resolution in <c>lightnet.resolution</c> or else its input's fixed height and width, with the
    /// layout (NCHW or NHWC) and element type of its image input.
    /// </summary>
    /// <param name="model">A model with one image input of rank 4.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the model has no usable image input or names an unknown preset.</exception>
    public static ImagePreprocessor For(Model model) => new(OptionsFor(model));

    /// <summary>The options <see cref="For(Model)"/> uses, to adjust before creating a preprocessor.</summary>
    /// <param name="model">A model with one image input of rank 4.</param>
    /// <exception cref="LightNetException">As for <see cref="For(Model)"/>.</exception>
    public static PreprocessOptions OptionsFor(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);

        PreprocessOptions options = PreprocessOptions.Torchvision;
        if (model.Metadata.TryGetValue(PresetKey, out string? preset) && !string.IsNullOrWhiteSpace(preset))
        {
            options = PreprocessOptions.ForPreset(preset);
        }

        ValueInfo? input = model.Graph.Inputs.FirstOrDefault(i => i.Shape is { Count: 4 } s && (Is3(s[1]) || Is3(s[3])));
        if (input is null)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The model has no image input of rank 4 with 3 channels (inputs: {string.Join(", ", model.Graph.Inputs)}).");
        }

        IReadOnlyList<Dimension> shape = input.Shape!;
        bool nchw = Is3(shape[1]);
        options = options with { Layout = nchw ? TensorLayout.Nchw : TensorLayout.Nhwc };
        Dimension h = nchw ? shape[2] : shape[1];
        Dimension w = nchw ? shape[3] : shape[2];

        if (model.Metadata.TryGetValue(ResolutionKey, out string? text)
            && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int resolution))
        {
            options = options.WithResolution(resolution);
        }
        else if (h.Value is > 0 and <= 16384 && w.Value is > 0 and <= 16384)
        {
            options = h.Value == w.Value
                ? options.WithResolution((int)h.Value.Value)
                : options with
                {
                    Width = (int)w.Value.Value,
                    Height = (int)h.Value.Value,
                    ResizeShorterSide = (int)Math.Round(Math.Max(h.Value.Value, w.Value.Value) / PreprocessOptions.DefaultCropFraction),
                };
        }

        options = input.ElementType switch
        {
            TensorElementType.Float16 => options with { ElementType = TensorElementType.Float16 },
            TensorElementType.UInt8 => options with { ElementType = TensorElementType.UInt8, Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] },
            _ => options,
        };
        return options;

        static bool Is3(Dimension d) => d.Value == 3;
    }

    /// <summary>The tensor shape for <paramref name="batch"/> images.</summary>
    /// <param name="batch">Number of images, at least 1.</param>
    public long[] TensorShape(int batch = 1) => Options.TensorShape(batch);

    /// <summary>A zero-filled tensor of the right type and shape for <paramref name="batch"/> images, to reuse with ProcessInto.</summary>
    /// <param name="batch">Number of images, at least 1.</param>
    public TensorBuffer CreateBuffer(int batch = 1) => TensorBuffer.Allocate(Options.ElementType, TensorShape(batch));

    // ---- Decoding -------------------------------------------------------------------------------------------------

    /// <summary>Decodes an image file safely (see <see cref="ImageLimits"/>), applying EXIF orientation when <see cref="PreprocessOptions.AutoOrient"/> is set.</summary>
    /// <param name="path">Path of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <returns>The image; dispose it.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file cannot be opened; <see cref="ErrorCode.InvalidImage"/>
    /// naming the file when it is not a supported image, is damaged or exceeds the limits.</exception>
    public Image<Rgb24> Decode(string path) =>
        SafeImageDecoder.DecodeFile(path ?? throw new ArgumentNullException(nameof(path)), Options.Limits, Options.AutoOrient);

    /// <summary>Decodes an image from a stream, from its current position to its end (the stream is not closed).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="sourceName">A name for error messages, such as the original file name.</param>
    /// <returns>The image; dispose it.</returns>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public Image<Rgb24> Decode(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);

        return SafeImageDecoder.DecodeStream(stream, Options.Limits, Options.AutoOrient, $"Image stream '{sourceName ?? "stream"}'");
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="encoded">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <returns>The image; dispose it.</returns>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public Image<Rgb24> Decode(ReadOnlyMemory<byte> encoded, string? sourceName = null) =>
        SafeImageDecoder.DecodeMemory(encoded, Options.Limits, Options.AutoOrient, $"Image '{sourceName ?? "bytes"}'");

    // ---- One image → new tensor ------------------------------------------------------------------------------------

    /// <summary>Decodes and preprocesses an image file into a new [1, ...] tensor.</summary>
    /// <param name="path">Path of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public TensorBuffer Process(string path)
    {
        TensorBuffer t = CreateBuffer();
        ProcessInto(path, t);
        return t;
    }

    /// <summary>Decodes and preprocesses an image read from a stream into a new [1, ...] tensor.</summary>
    /// <param name="stream">A readable stream, read from its position to its end (not closed).</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public TensorBuffer Process(Stream stream, string? sourceName = null)
    {
        TensorBuffer t = CreateBuffer();
        ProcessInto(stream, t, 0, sourceName);
        return t;
    }

    /// <summary>Decodes and preprocesses an encoded image into a new [1, ...] tensor.</summary>
    /// <param name="encoded">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public TensorBuffer Process(byte[] encoded, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);

        return Process(encoded.AsMemory(), sourceName);
    }

    /// <summary>Decodes and preprocesses an encoded image into a new [1, ...] tensor.</summary>
    /// <param name="encoded">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>.</exception>
    public TensorBuffer Process(ReadOnlyMemory<byte> encoded, string? sourceName = null)
    {
        TensorBuffer t = CreateBuffer();
        ProcessInto(encoded, t, 0, sourceName);
        return t;
    }

    /// <summary>Preprocesses a decoded image into a new [1, ...] tensor. The image is used as it is (no EXIF orientation).</summary>
    /// <param name="image">The image; not modified.</param>
    /// <exception cref="ArgumentNullException">The image is null.</exception>
    public TensorBuffer Process(Image<Rgb24> image)
    {
        TensorBuffer t = CreateBuffer();
        ProcessInto(image, t);
        return t;
    }

    /// <summary>Preprocesses raw pixels (a camera frame) into a new [1, ...] tensor.</summary>
    /// <param name="frame">The pixels.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an inconsistent frame.</exception>
    public TensorBuffer Process(RawImage frame)
    {
        TensorBuffer t = CreateBuffer();
        ProcessInto(frame, t);
        return t;
    }

    // ---- Batches -----------------------------------------------------------------------------------------------------

    /// <summary>Decodes and preprocesses several image files into one [N, ...] tensor, in order.</summary>
    /// <param name="paths">One or more paths.</param>
    /// <exception cref="LightNetException">As for <see cref="Process(string)"/>; <see cref="ErrorCode.InvalidArgument"/> for an empty list.</exception>
    public TensorBuffer Process(IReadOnlyList<string> paths) => Batch(paths, nameof(paths), (p, t, i) => ProcessInto(p, t, i));

    /// <summary>Decodes and preprocesses several encoded images into one [N, ...] tensor, in order.</summary>
    /// <param name="encoded">One or more encoded images.</param>
    /// <exception cref="LightNetException">As for <see cref="Process(byte[], string?)"/>; <see cref="ErrorCode.InvalidArgument"/> for an empty list.</exception>
    public TensorBuffer Process(IReadOnlyList<byte[]> encoded) =>
        Batch(encoded, nameof(encoded), (b, t, i) => ProcessInto((b ?? throw new LightNetException(ErrorCode.InvalidArgument, $"Image {i} of the batch is null.")).AsMemory(), t, i, $"batch item {i}"));

    /// <summary>Preprocesses several decoded images into one [N, ...] tensor, in order.</summary>
    /// <param name="images">One or more images; not modified.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty list or a null image.</exception>
    public TensorBuffer Process(IReadOnlyList<Image<Rgb24>> images) => Batch(images, nameof(images), (img, t, i) => ProcessInto(img, t, i));

    /// <summary>Preprocesses several raw frames (of any sizes) into one [N, ...] tensor, in order.</summary>
    /// <param name="frames">One or more frames.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty list or an inconsistent frame.</exception>
    public TensorBuffer Process(IReadOnlyList<RawImage> frames) => Batch(frames, nameof(frames), (f, t, i) => ProcessInto(f, t, i));

    private TensorBuffer Batch<T>(IReadOnlyList<T> items, string name, Action<T, TensorBuffer, int> each)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        if (items.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A batch needs at least one image.");
        }

        TensorBuffer t = CreateBuffer(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            each(items[i], t, i);
        }

        return t;
    }

    // ---- Into a caller's tensor -------------------------------------------------------------------------------------

    /// <summary>Decodes and preprocesses an image file into image <paramref name="batchIndex"/> of <paramref name="destination"/>.</summary>
    /// <param name="path">Path of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>; <see cref="ErrorCode.InvalidArgument"/> for a mismatched destination.</exception>
    public void ProcessInto(string path, TensorBuffer destination, int batchIndex = 0)
    {
        CheckTarget(destination, batchIndex);
        using Image<Rgb24> image = Decode(path);
        ProcessImage(image, destination, batchIndex);
    }

    /// <summary>Decodes and preprocesses an image read from a stream into image <paramref name="batchIndex"/> of <paramref name="destination"/>.</summary>
    /// <param name="stream">A readable stream, read from its position to its end (not closed).</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>; <see cref="ErrorCode.InvalidArgument"/> for a mismatched destination.</exception>
    public void ProcessInto(Stream stream, TensorBuffer destination, int batchIndex = 0, string? sourceName = null)
    {
        CheckTarget(destination, batchIndex);
        using Image<Rgb24> image = Decode(stream, sourceName);
        ProcessImage(image, destination, batchIndex);
    }

    /// <summary>Decodes and preprocesses an encoded image into image <paramref name="batchIndex"/> of <paramref name="destination"/>.</summary>
    /// <param name="encoded">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">As for <see cref="Decode(string)"/>; <see cref="ErrorCode.InvalidArgument"/> for a mismatched destination.</exception>
    public void ProcessInto(ReadOnlyMemory<byte> encoded, TensorBuffer destination, int batchIndex = 0, string? sourceName = null)
    {
        CheckTarget(destination, batchIndex);
        using Image<Rgb24> image = Decode(encoded, sourceName);
        ProcessImage(image, destination, batchIndex);
    }

    /// <summary>Preprocesses a decoded image into image <paramref name="batchIndex"/> of <paramref name="destination"/> (no EXIF orientation).</summary>
    /// <param name="image">The image; not modified.</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a mismatched destination.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> or <paramref name="destination"/> is null.</exception>
    public void ProcessInto(Image<Rgb24> image, TensorBuffer destination, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(image);

        CheckTarget(destination, batchIndex);
        ProcessImage(image, destination, batchIndex);
    }

    /// <summary>
    /// Preprocesses raw pixels into image <paramref name="batchIndex"/> of <paramref name="destination"/>. After the first
    /// frame of a given size this allocates nothing.
    /// </summary>
    /// <param name="frame">The pixels.</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an inconsistent frame or a mismatched destination.</exception>
    public void ProcessInto(RawImage frame, TensorBuffer destination, int batchIndex = 0) =>
        ProcessInto(frame.Pixels.Span, frame.Width, frame.Height, frame.Stride, frame.Format, destination, batchIndex);

    /// <summary>
    /// Preprocesses raw pixels from any memory (a span over native camera memory, say) into image
    /// <paramref name="batchIndex"/> of <paramref name="destination"/>. After the first frame of a given size this allocates nothing.
    /// </summary>
    /// <param name="pixels">The pixel bytes, first row first.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes from one row to the next; 0 for tightly packed rows.</param>
    /// <param name="format">Byte layout of a pixel.</param>
    /// <param name="destination">A tensor of <see cref="TensorShape"/>'s shape (any batch size) and the options' element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for inconsistent sizes or a mismatched destination.</exception>
    public void ProcessInto(ReadOnlySpan<byte> pixels, int width, int height, int stride, RawPixelFormat format,
        TensorBuffer destination, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int bpp = RawImage.BytesPerPixel(format);
        if (stride == 0 && width is > 0 and <= int.MaxValue / 4)
        {
            stride = width * bpp;
        }

        RawImage.Validate(pixels.Length, width, height, stride, format);
        Span<byte> target = Target(destination, batchIndex);
        Run(pixels, width, height, stride, format, target);
    }

    private void ProcessImage(Image<Rgb24> image, TensorBuffer destination, int batchIndex)
    {
        Span<byte> target = Target(destination, batchIndex);
        int rowBytes = image.Width * 3;
        if (image.DangerousTryGetSinglePixelMemory(out Memory<Rgb24> memory))
        {
            Run(MemoryMarshal.AsBytes(memory.Span), image.Width, image.Height, rowBytes, RawPixelFormat.Rgb24, target);
            return;
        }

        long total = (long)rowBytes * image.Height;
        if (total > Array.MaxLength)
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"A {image.Width} × {image.Height} image is too large to preprocess.");
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent((int)total);
        try
        {
            image.CopyPixelDataTo(copy.AsSpan(0, (int)total));
            Run(copy.AsSpan(0, (int)total), image.Width, image.Height, rowBytes, RawPixelFormat.Rgb24, target);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Checks the destination and returns the bytes of image <paramref name="batchIndex"/>; allocates nothing unless it throws.</summary>
    private Span<byte> Target(TensorBuffer destination, int batchIndex)
    {
        CheckTarget(destination, batchIndex);
        int elementBytes = Options.ElementType.SizeInBits() / 8;
        int imageBytes = ValuesPerImage * elementBytes;
        return destination.Bytes.Slice(batchIndex * imageBytes, imageBytes);
    }

    private void CheckTarget(TensorBuffer destination, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(destination);

        if (destination.ElementType != Options.ElementType)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Destination tensor holds {destination.ElementType}, but the preprocessor writes {Options.ElementType}.");
        }

        IReadOnlyList<long> shape = destination.Shape;
        bool nchw = Options.Layout == TensorLayout.Nchw;
        bool matches = shape.Count == 4
            && shape[nchw ? 1 : 3] == 3
            && shape[nchw ? 2 : 1] == Options.Height
            && shape[nchw ? 3 : 2] == Options.Width;
        if (!matches)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Destination tensor has shape {Dimension.Format(shape)}, but the preprocessor writes {Dimension.Format(TensorShape(1)).Replace("[1,", "[N,", StringComparison.Ordinal)}.");
        }

        if (batchIndex < 0 || batchIndex >= shape[0])
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Batch index {batchIndex} is outside the destination's batch of {shape[0]}.");
        }
    }

    // ---- The pipeline ---------------------------------------------------------------------------------------------------

    private void Run(ReadOnlySpan<byte> pixels, int width, int height, int stride, RawPixelFormat format, Span<byte> target)
    {
        ResizePlan plan = PlanFor(width, height);
        int bpp = RawImage.BytesPerPixel(format);
        (int r, int g, int b) = format switch
        {
            RawPixelFormat.Rgb24 or RawPixelFormat.Rgba32 => (0, 1, 2),
            _ => (2, 1, 0),
        };

        // Byte offset within a source pixel of each tensor channel.
        (int o0, int o1, int o2) = Options.ColorOrder == ColorOrder.Rgb ? (r, g, b) : (b, g, r);
        bool planar = Options.Layout == TensorLayout.Nchw;
        int regionWidth = plan.RegionWidth;
        int rowFloats = 3 * regionWidth;
        int columnBytes = plan.ColumnCount * bpp;
        int byteOffset = plan.FirstColumn * bpp;

        // Per-thread scratch rows, grown once and then reused: unlike ArrayPool, which may trim its buffers at any
        // garbage collection, this makes a same-size frame allocate nothing, always.
        float[] columns = Scratch(ref t_columns, columnBytes);
        float[] row = Scratch(ref t_row, Math.Max(rowFloats, 3 * Options.Width));
        if (plan.HasBorder)
        {
            FillBorder(target, row);
        }

        ResizeKernel vertical = plan.Vertical;
        Span<float> columnRow = columns.AsSpan(0, columnBytes);
        Span<float> result = row.AsSpan(0, rowFloats);
        for (int y = 0; y < plan.RegionHeight; y++)
        {
            // Vertical pass first (vectorised over whole source rows, only the columns the crop needs), then the
            // horizontal pass writes the tensor's channel order and layout (planar for NCHW, interleaved for NHWC),
            // then one vectorised multiply-add normalises the row.
            VerticalPass(pixels, stride, byteOffset, columnBytes, vertical.Starts[y], vertical.Weights.AsSpan(y * vertical.MaxTaps, vertical.Counts[y]), columnRow);
            HorizontalPass(columnRow, bpp, plan.FirstColumn, o0, o1, o2, plan.Horizontal, result, regionWidth, planar);
            Normalize(result, plan.RowScale, plan.RowBias);
            int canvasY = plan.RegionY + y;
            if (planar)
            {
                int plane = Options.Height * Options.Width;
                for (int c = 0; c < 3; c++)
                {
                    Write(result.Slice(c * regionWidth, regionWidth), target, c * plane + canvasY * Options.Width + plan.RegionX);
                }
            }
            else
            {
                Write(result, target, (canvasY * Options.Width + plan.RegionX) * 3);
            }
        }
    }

    [ThreadStatic]
    private static float[]? t_columns;

    [ThreadStatic]
    private static float[]? t_row;

    private static float[] Scratch(ref float[]? slot, int length) => slot is { } a && a.Length >= length ? a : slot = new float[length];

    /// <summary>
    /// output[j] = Σ_k w[k] · pixels[(firstRow + k) · stride + byteOffset + j] for j &lt; count: bytes widened to float,
    /// vectorised (all channels alike; alpha is computed and ignored).
    /// </summary>
    private static void VerticalPass(ReadOnlySpan<byte> pixels, int stride, int byteOffset, int count, int firstRow,
        ReadOnlySpan<float> w, Span<float> output)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vb = Vector<byte>.Count;
            int vf = Vector<float>.Count;
            for (; j <= count - vb; j += vb)
            {
                Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero, a2 = Vector<float>.Zero, a3 = Vector<float>.Zero;
                int offset = firstRow * stride + byteOffset + j;
                for (int k = 0; k < w.Length; k++)
                {
                    Vector.Widen(new Vector<byte>(pixels.Slice(offset, vb)), out Vector<ushort> low, out Vector<ushort> high);
                    Vector.Widen(low, out Vector<uint> u0, out Vector<uint> u1);
                    Vector.Widen(high, out Vector<uint> u2, out Vector<uint> u3);
                    var weight = new Vector<float>(w[k]);
                    a0 += Vector.ConvertToSingle(u0) * weight;
                    a1 += Vector.ConvertToSingle(u1) * weight;
                    a2 += Vector.ConvertToSingle(u2) * weight;
                    a3 += Vector.ConvertToSingle(u3) * weight;
                    offset += stride;
                }

                a0.CopyTo(output.Slice(j, vf));
                a1.CopyTo(output.Slice(j + vf, vf));
                a2.CopyTo(output.Slice(j + 2 * vf, vf));
                a3.CopyTo(output.Slice(j + 3 * vf, vf));
            }
        }

        for (; j < count; j++)
        {
            float sum = 0;
            int offset = firstRow * stride + byteOffset + j;
            for (int k = 0; k < w.Length; k++)
            {
                sum += w[k] * pixels[offset];
                offset += stride;
            }

            output[j] = sum;
        }
    }

    /// <summary>Resamples one row of float pixels (bpp values each, starting at source column <paramref name="firstColumn"/>) into the tensor's channels.</summary>
    private static void HorizontalPass(ReadOnlySpan<float> source, int bpp, int firstColumn, int o0, int o1, int o2,
        ResizeKernel kernel, Span<float> output, int count, bool planar)
    {
        int[] starts = kernel.Starts;
        int[] counts = kernel.Counts;
        float[] weights = kernel.Weights;
        int maxTaps = kernel.MaxTaps;
        for (int x = 0; x < count; x++)
        {
            int n = counts[x];
            ReadOnlySpan<float> w = weights.AsSpan(x * maxTaps, n);
            ReadOnlySpan<float> s = source.Slice((starts[x] - firstColumn) * bpp, n * bpp);
            float c0 = 0, c1 = 0, c2 = 0;
            int q = 0;
            for (int k = 0; k < w.Length; k++)
            {
                float wk = w[k];
                c0 += wk * s[q + o0];
                c1 += wk * s[q + o1];
                c2 += wk * s[q + o2];
                q += bpp;
            }

            if (planar)
            {
                output[x] = c0;
                output[count + x] = c1;
                output[2 * count + x] = c2;
            }
            else
            {
                output[3 * x] = c0;
                output[3 * x + 1] = c1;
                output[3 * x + 2] = c2;
            }
        }
    }

    /// <summary>values = values · scale + bias, element-wise, vectorised.</summary>
    private static void Normalize(Span<float> values, float[] scale, float[] bias)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            for (; i <= values.Length - width; i += width)
            {
                Vector<float> v = new Vector<float>(values.Slice(i, width)) * new Vector<float>(scale.AsSpan(i, width)) + new Vector<float>(bias.AsSpan(i, width));
                v.CopyTo(values.Slice(i, width));
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = values[i] * scale[i] + bias[i];
        }
    }

    /// <summary>Writes normalised values at element <paramref name="elementOffset"/> of the image, in the tensor's element type.</summary>
    private void Write(ReadOnlySpan<float> values, Span<byte> target, int elementOffset)
    {
        switch (Options.ElementType)
        {
            case TensorElementType.Float:
                values.CopyTo(MemoryMarshal.Cast<byte, float>(target).Slice(elementOffset, values.Length));
                break;
            case TensorElementType.Float16:
            {
                Span<Half> halves = MemoryMarshal.Cast<byte, Half>(target).Slice(elementOffset, values.Length);
                for (int i = 0; i < values.Length; i++)
                {
                    halves[i] = (Half)values[i];
                }

                break;
            }

            default:
                ToBytes(values, target.Slice(elementOffset, values.Length));
                break;
        }
    }

    /// <summary>Rounds half up and clamps to 0–255, vectorised.</summary>
    private static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var zero = Vector<float>.Zero;
            var max = new Vector<float>(255f);
            var half = new Vector<float>(0.5f);
            for (; i <= values.Length - 4 * width; i += 4 * width)
            {
                Vector<uint> u0 = Vector.ConvertToUInt32(Vector.Min(Vector.Max(new Vector<float>(values.Slice(i, width)) + half, zero), max));
                Vector<uint> u1 = Vector.ConvertToUInt32(Vector.Min(Vector.Max(new Vector<float>(values.Slice(i + width, width)) + half, zero), max));
                Vector<uint> u2 = Vector.ConvertToUInt32(Vector.Min(Vector.Max(new Vector<float>(values.Slice(i + 2 * width, width)) + half, zero), max));
                Vector<uint> u3 = Vector.ConvertToUInt32(Vector.Min(Vector.Max(new Vector<float>(values.Slice(i + 3 * width, width)) + half, zero), max));
                Vector<byte> packed = Vector.Narrow(Vector.Narrow(u0, u1), Vector.Narrow(u2, u3));
                packed.CopyTo(bytes.Slice(i, 4 * width));
            }
        }

        for (; i < values.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(values[i] + 0.5f, 0f, 255f);
        }
    }

    private void FillBorder(Span<byte> target, float[] scratch)
    {
        int width = Options.Width;
        bool planar = Options.Layout == TensorLayout.Nchw;
        Span<float> fillRow = scratch.AsSpan(0, 3 * width);
        Span<float> fill = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            fill[c] = Options.LetterboxFill * _a[c] + _b[c];
        }

        if (planar)
        {
            int plane = Options.Height * width;
            for (int c = 0; c < 3; c++)
            {
                fillRow.Slice(0, width).Fill(fill[c]);
                for (int y = 0; y < Options.Height; y++)
                {
                    Write(fillRow.Slice(0, width), target, c * plane + y * width);
                }
            }
        }
        else
        {
            for (int x = 0; x < width; x++)
            {
                fillRow[3 * x] = fill[0];
                fillRow[3 * x + 1] = fill[1];
                fillRow[3 * x + 2] = fill[2];
            }

            for (int y = 0; y < Options.Height; y++)
            {
                Write(fillRow, target, y * width * 3);
            }
        }
    }

    private ResizePlan PlanFor(int width, int height)
    {
        ResizePlan? plan = Volatile.Read(ref _lastPlan);
        if (plan is not null && plan.SourceWidth == width && plan.SourceHeight == height)
        {
            return plan;
        }

        plan = ResizePlan.Create(width, height, Options, _a, _b);
        Volatile.Write(ref _lastPlan, plan);
        return plan;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Options.ColorOrder} {Options.ResizeMode} → {Options.Width}×{Options.Height}, {Options.Layout} {Options.ElementType}";
}

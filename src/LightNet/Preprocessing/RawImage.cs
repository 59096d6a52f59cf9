namespace LightNet.Preprocessing;

/// <summary>The byte layout of one pixel in a <see cref="RawImage"/>.</summary>
public enum RawPixelFormat
{
    /// <summary>3 bytes: red, green, blue.</summary>
    Rgb24,

    /// <summary>3 bytes: blue, green, red (OpenCV's default).</summary>
    Bgr24,

    /// <summary>4 bytes: red, green, blue, alpha (alpha ignored).</summary>
    Rgba32,

    /// <summary>4 bytes: blue, green, red, alpha (alpha ignored; Windows and most camera APIs).</summary>
    Bgra32,
}

/// <summary>
/// Undecoded pixels in memory, as a camera or a video decoder delivers them: rows of packed pixels, each row
/// <see cref="Stride"/> bytes apart (rows may carry padding).
/// </summary>
public readonly struct RawImage
{
    /// <summary>Describes a buffer of pixels.</summary>
    /// <param name="pixels">The pixel bytes, first row first; at least <c>stride × (height − 1) + width × bytes per pixel</c> bytes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="format">Byte layout of a pixel.</param>
    /// <param name="stride">Bytes from one row to the next; 0 for tightly packed rows (width × bytes per pixel).</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the sizes are inconsistent.</exception>
    public RawImage(ReadOnlyMemory<byte> pixels, int width, int height, RawPixelFormat format, int stride = 0)
    {
        int resolvedStride = stride == 0 && width > 0 && width <= int.MaxValue / 4 ? width * BytesPerPixel(format) : stride;
        Validate(pixels.Length, width, height, resolvedStride, format);
        Pixels = pixels;
        Width = width;
        Height = height;
        Format = format;
        Stride = resolvedStride;
    }

    /// <summary>The pixel bytes.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Byte layout of a pixel.</summary>
    public RawPixelFormat Format { get; }

    /// <summary>Bytes from one row to the next.</summary>
    public int Stride { get; }

    /// <summary>Bytes per pixel of a format: 3 or 4.</summary>
    /// <param name="format">The pixel format.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an undefined format.</exception>
    public static int BytesPerPixel(RawPixelFormat format) => format switch
    {
        RawPixelFormat.Rgb24 or RawPixelFormat.Bgr24 => 3,
        RawPixelFormat.Rgba32 or RawPixelFormat.Bgra32 => 4,
        _ => throw new LightNetException(ErrorCode.InvalidArgument, $"Unknown raw pixel format {(int)format}."),
    };

    /// <inheritdoc />
    public override string ToString() => $"{Format} {Width}×{Height} (stride {Stride})";

    internal static void Validate(int length, int width, int height, int stride, RawPixelFormat format)
    {
        int bpp = BytesPerPixel(format);
        if (width < 1 || height < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A raw image needs a positive width and height, not {width} × {height}.");
        }

        long rowBytes = (long)width * bpp;
        if (stride < rowBytes)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Stride {stride} is smaller than one row of {width} {format} pixels ({rowBytes} bytes).");
        }

        long needed = (long)stride * (height - 1) + rowBytes;
        if (length < needed)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"A {width} × {height} {format} image with stride {stride} needs {needed} bytes, but the buffer holds {length}.");
        }
    }
}

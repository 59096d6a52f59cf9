using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LightNet.Preprocessing;

/// <summary>
/// Decodes untrusted images with ImageSharp 2.1, which no longer receives security fixes, behind several fences:
/// a cap on the encoded size (checked before reading); LightNet's own structural checks (<see cref="FormatChecks"/>:
/// truncated JPEG, BMP pixel offset, GIF frame count); a private configuration that knows only JPEG, PNG, BMP, GIF
/// (first frame only) and WebP; the header's dimensions checked with <c>Image.Identify</c> before any pixel is
/// decoded; an allocator that refuses any single buffer over the limit; and every decoder failure (any exception but
/// <see cref="OutOfMemoryException"/>, which is the process's condition rather than the file's) turned into
/// <see cref="ErrorCode.InvalidImage"/> naming the source; the decode itself runs under a deadline
/// (<see cref="ImageLimits.MaxDecodeTime"/>). Files are read only when they are regular files, with the
/// size cap counted while reading (<see cref="BoundedFileRead"/>).
/// </summary>
/// <remarks>
/// TIFF is left out on purpose: its decoder follows strip and tile offsets and sizes from the file and supports many
/// compressions, which the header-only checks here cannot bound. PBM and TGA are left out as uncommon for photos.
/// </remarks>
internal static class SafeImageDecoder
{
    internal const string SupportedFormats = "JPEG, PNG, BMP, GIF and WebP";

    // One configuration (and so one pooling allocator) per distinct buffer limit: allocators are expensive.
    private static readonly ConcurrentDictionary<int, Configuration> s_configurations = new();

    internal static Configuration ConfigurationFor(ImageLimits limits) =>
        s_configurations.GetOrAdd(limits.MaxDecoderBufferMegabytes, CreateConfiguration);

    private static Configuration CreateConfiguration(int allocationLimitMegabytes)
    {
        var configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule(),
            new WebpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = allocationLimitMegabytes }),
            PreferContiguousImageBuffers = true,
            ReadOrigin = ReadOrigin.Current,
        };

        // An animated GIF yields its first frame only: later frames are never decoded nor allocated.
        // PNG text and EXIF chunks are never used (a compressed zTXt can inflate to hundreds of megabytes); FormatChecks
        // refuses oversized ones too.
        configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First, MaxFrames = 1 });
        return configuration;
    }

    /// <summary>Reads a file (at most the size limit) and decodes it.</summary>
    internal static Image<Rgb24> DecodeFile(string path, ImageLimits limits, bool autoOrient)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Image path is empty.");
        }

        string source = $"Image file '{path}'";
        byte[]? buffer = null;
        try
        {
            int length;
            try
            {
                // Only a regular file (a device or FIFO is refused before opening), the size cap counted while reading.
                buffer = BoundedFileRead.ReadPooled(path, limits.MaxEncodedBytes, source, (size, exact) => TooLarge(source, size, limits, exact), out length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new LightNetException(ErrorCode.IOFailure, $"Cannot read {source}: {e.Message}", e);
            }

            return DecodeBytes(buffer.AsMemory(0, length), limits, autoOrient, source);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Reads a stream from its current position to its end (at most the size limit) and decodes it.</summary>
    internal static Image<Rgb24> DecodeStream(Stream stream, ImageLimits limits, bool autoOrient, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{source} is not readable.");
        }

        byte[]? buffer = null;
        try
        {
            int length;
            try
            {
                if (stream.CanSeek)
                {
                    long remaining = Math.Max(stream.Length - stream.Position, 0);
                    if (remaining > limits.MaxEncodedBytes)
                    {
                        throw TooLarge(source, remaining, limits, exact: true);
                    }

                    buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(remaining, 1));
                    length = ReadFully(stream, buffer, (int)remaining);
                }
                else
                {
                    // Unknown length: grow a pooled buffer, refusing to read past the limit.
                    buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                    length = 0;
                    int read;
                    while ((read = stream.Read(buffer, length, buffer.Length - length)) > 0)
                    {
                        length += read;
                        if (length > limits.MaxEncodedBytes)
                        {
                            throw TooLarge(source, length, limits, exact: false);
                        }

                        if (length == buffer.Length)
                        {
                            byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limits.MaxEncodedBytes + 1));
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
            {
                throw new LightNetException(ErrorCode.IOFailure, $"Cannot read {source}: {e.Message}", e);
            }

            return DecodeBytes(buffer.AsMemory(0, length), limits, autoOrient, source);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Decodes encoded bytes held in memory.</summary>
    internal static Image<Rgb24> DecodeMemory(ReadOnlyMemory<byte> bytes, ImageLimits limits, bool autoOrient, string source) =>
        DecodeBytes(bytes, limits, autoOrient, source);

    private static int ReadFully(Stream stream, byte[] buffer, int count)
    {
        int total = 0;
        int read;
        while (total < count && (read = stream.Read(buffer, total, count - total)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static Image<Rgb24> DecodeBytes(ReadOnlyMemory<byte> data, ImageLimits limits, bool autoOrient, string source)
    {
        if (data.Length == 0)
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} is empty.");
        }

        if (data.Length > limits.MaxEncodedBytes)
        {
            throw TooLarge(source, data.Length, limits, exact: true);
        }

        Configuration configuration = ConfigurationFor(limits);
        Image<Rgb24>? image = null;
        try
        {
            FormatChecks.Check(data.Span, limits, source);
            using var stream = new ReadOnlyMemoryStream(data);
            IImageInfo? info = Image.Identify(configuration, stream, out IImageFormat? format);
            if (info is null || format is null)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} is not an image in a supported format ({SupportedFormats}); its first bytes match none of them.");
            }

            CheckDimensions(info.Width, info.Height, limits, source, format.Name);
            stream.Position = 0;
            image = DecodeWithDeadline(configuration, format, stream, limits, source);
            if (image.Width != info.Width || image.Height != info.Height)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} decoded to {image.Width} × {image.Height} pixels although its {format.Name} header says {info.Width} × {info.Height}.");
            }

            if (autoOrient)
            {
                image.Mutate(x => x.AutoOrient());
            }

            return image;
        }
        catch (Exception e) when (e is not LightNetException and not OutOfMemoryException)
        {
            image?.Dispose();
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} cannot be decoded: {Describe(e)}", e);
        }
        catch
        {
            image?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decodes with the format's own decoder under a cancellation token that fires at <see cref="ImageLimits.MaxDecodeTime"/>:
    /// the decoders that check it (JPEG between scans and rows) stop there, and every read of the encoded data checks it
    /// too (ImageSharp 2.1's PNG decoder checks no token, but reads its compressed data as it decodes).
    /// </summary>
    private static Image<Rgb24> DecodeWithDeadline(Configuration configuration, IImageFormat format, ReadOnlyMemoryStream stream, ImageLimits limits, string source)
    {
        IImageDecoder decoder = configuration.ImageFormatsManager.FindDecoder(format)
            ?? throw new LightNetException(ErrorCode.InvalidImage, $"{source} is {format.Name}, which has no decoder here ({SupportedFormats}).");
        using var deadline = new CancellationTokenSource(limits.MaxDecodeTime);
        try
        {
            stream.Deadline = deadline;
            stream.DeadlineTimestamp = Stopwatch.GetTimestamp() + (long)(limits.MaxDecodeTime.TotalSeconds * Stopwatch.Frequency);
            return decoder.Decode<Rgb24>(configuration, stream, deadline.Token);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} ({format.Name}) did not decode within {limits.MaxDecodeTime.TotalMilliseconds:0} ms (ImageLimits.MaxDecodeTime); it is refused.", e);
        }
    }

    internal static void CheckDimensions(int width, int height, ImageLimits limits, string source, string formatName)
    {
        if (width < 1 || height < 1)
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} ({formatName}) declares {width} × {height} pixels; an image needs at least one.");
        }

        if (width > limits.MaxSide || height > limits.MaxSide)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} ({formatName}) declares {width} × {height} pixels; a side over {limits.MaxSide} is refused (ImageLimits.MaxSide).");
        }

        if ((long)width * height > limits.MaxPixels)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} ({formatName}) declares {width} × {height} = {(long)width * height} pixels, over the limit of {limits.MaxPixels} (ImageLimits.MaxPixels).");
        }
    }

    private static LightNetException TooLarge(string source, long length, ImageLimits limits, bool exact) =>
        new(ErrorCode.InvalidImage,
            $"{source} is {(exact ? "" : "over ")}{length} bytes, over the limit of {limits.MaxEncodedBytes} (ImageLimits.MaxEncodedBytes).");

    private static string Describe(Exception e) => e switch
    {
        UnknownImageFormatException => $"it is not in a supported format ({SupportedFormats})",
        InvalidMemoryOperationException => $"the decoder needs more memory than allowed ({e.Message})",
        { InnerException: InvalidMemoryOperationException inner } => $"the decoder needs more memory than allowed ({inner.Message})",
        EndOfStreamException => "the data ends too early (truncated file)",
        ImageFormatException or NotSupportedException => e.Message,
        // Anything else is a decoder bug that crafted data reached (ImageSharp 2.1 gets no more fixes): say which.
        _ => $"the decoder failed ({e.GetType().Name}: {e.Message})",
    };

    /// <summary>A seekable, read-only stream over memory, without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        /// <summary>Cancelled when the decode runs out of time; every read checks the clock too (the source's timer may fire late on a busy thread pool).</summary>
        public CancellationTokenSource? Deadline { get; set; }

        /// <summary>The <see cref="Stopwatch.GetTimestamp"/> past which reads fail.</summary>
        public long DeadlineTimestamp { get; set; } = long.MaxValue;

        private void CheckDeadline()
        {
            if (Deadline is null)
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > DeadlineTimestamp)
            {
                Deadline.Cancel();
            }

            Deadline.Token.ThrowIfCancellationRequested();
        }

        public override int Read(Span<byte> buffer)
        {
            CheckDeadline();
            if (_position >= memory.Length)
            {
                return 0;
            }

            int n = (int)Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice((int)_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int ReadByte()
        {
            CheckDeadline();
            return _position < memory.Length ? memory.Span[(int)_position++] : -1;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                SeekOrigin.End => memory.Length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };
            Position = target;
            return target;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Buffers.Binary;

namespace LightNet.Preprocessing;

/// <summary>
/// Structural checks LightNet makes on the encoded bytes before ImageSharp sees them, for what ImageSharp 2.1
/// accepts too readily: a truncated JPEG (it decodes the missing part as grey) or one with thousands of metadata
/// segments or scans (gigabytes of metadata, tens of seconds of progressive decoding); a BMP whose pixel-data offset
/// lies outside the file (it reads the offset as a signed number), whose bits per pixel are not a BMP depth (a
/// division by zero) or whose palette does not fit; a GIF with a huge number of frames; a PNG that is truncated,
/// whose compressed pixel data is too short for its declared size even at deflate's best ratio (an interlaced PNG
/// of a few bytes declaring 8000 × 8000 kept the decoder busy for minutes), or with oversized text chunks (a 0.4 MB
/// zTXt inflating to 400 MB), or interlaced with pixel data that inflates to less than its passes need; a WebP over 16 megapixels. Each walks the file's
/// block structure once, bounded by its length, and allocates nothing, except that an interlaced PNG's pixel data is
/// inflated once (copied and counted, never kept).
/// </summary>
internal static class FormatChecks
{
    /// <summary>Most APPn and COM (metadata) segments accepted in a JPEG; cameras write fewer than ten.</summary>
    internal const int MaxJpegMetadataSegments = 64;

    /// <summary>Most scans (SOS markers) accepted in a JPEG; progressive encoders write about ten.</summary>
    internal const int MaxJpegScans = 100;

    /// <summary>Most marker segments of any kind accepted in a JPEG.</summary>
    internal const int MaxJpegSegments = 2048;

    /// <summary>Largest PNG text chunk (tEXt, zTXt, iTXt) accepted, in bytes as stored; text is never used for inference.</summary>
    internal const int MaxPngTextChunkBytes = 64 * 1024;

    /// <summary>Largest other ancillary PNG chunk (colour profile, EXIF, private data) accepted, in bytes as stored.</summary>
    internal const int MaxPngAncillaryChunkBytes = 1024 * 1024;

    /// <summary>Most ancillary (non-critical) PNG chunks accepted.</summary>
    internal const int MaxPngAncillaryChunks = 256;

    /// <summary>
    /// Largest interlaced PNG accepted, in pixels (below <see cref="ImageLimits.MaxPixels"/>' default): ImageSharp 2.1
    /// decodes the seven Adam7 passes far more slowly than a plain PNG.
    /// </summary>
    internal const long MaxInterlacedPngPixels = 16_000_000;

    /// <summary>
    /// Largest WebP accepted, in pixels (below <see cref="ImageLimits.MaxPixels"/>' default): ImageSharp 2.1's WebP
    /// decoder checks no deadline, and a 210-byte lossy file declaring 14416 × 2080 took 2.5 s alone and past 20 s on a
    /// loaded machine. 16 megapixels decode in about a second.
    /// </summary>
    internal const long MaxWebpPixels = 16_000_000;

    /// <summary>deflate's best compression ratio is about 1032 : 1; pixel data shorter than its size over this is truncated.</summary>
    private const int MaxDeflateRatio = 1040;

    public static void Check(ReadOnlySpan<byte> data, ImageLimits limits, string source)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            CheckJpeg(data, source);
        }
        else if (data.Length >= 8 && data[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            CheckPng(data, limits, source);
        }
        else if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            CheckBmp(data, source);
        }
        else if (data.Length >= 16 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            CheckWebp(data, limits, source);
        }
        else if (data.Length >= 6 && data[..4].SequenceEqual("GIF8"u8))
        {
            int frames = CountGifFrames(data, limits.MaxFrames + 1);
            if (frames > limits.MaxFrames)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} is a GIF with more than {limits.MaxFrames} frames, over the limit (ImageLimits.MaxFrames); only the first frame would be used.");
            }
        }
    }

    /// <summary>Walks the marker segments and entropy-coded data up to the end-of-image marker; throws when the data ends first.</summary>
    internal static void CheckJpeg(ReadOnlySpan<byte> data, string source)
    {
        int n = data.Length;
        int i = 2;
        int segments = 0, metadata = 0, scans = 0;
        while (true)
        {
            if (i >= n)
            {
                throw Truncated(source, n);
            }

            if (data[i] != 0xFF)
            {
                // Stray bytes between segments (tolerated by decoders): skip to the next marker.
                int next = data[i..].IndexOf((byte)0xFF);
                if (next < 0)
                {
                    throw Truncated(source, n);
                }

                i += next;
            }

            while (i < n && data[i] == 0xFF)
            {
                i++;
            }

            if (i >= n)
            {
                throw Truncated(source, n);
            }

            byte marker = data[i++];
            if (marker == 0xD9)
            {
                return; // end of image: complete (anything after it is ignored)
            }

            if (marker is 0x00 or 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                continue; // no length field
            }

            if (i + 2 > n)
            {
                throw Truncated(source, n);
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            if (length < 2 || i + length > n)
            {
                throw Truncated(source, n);
            }

            i += length;
            if (++segments > MaxJpegSegments)
            {
                throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a JPEG with more than {MaxJpegSegments} marker segments; it is refused.");
            }

            if ((marker is >= 0xE0 and <= 0xEF or 0xFE) && ++metadata > MaxJpegMetadataSegments)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} is a JPEG with more than {MaxJpegMetadataSegments} metadata (APPn/COM) segments; it is refused.");
            }

            if (marker != 0xDA)
            {
                continue;
            }

            if (++scans > MaxJpegScans)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} is a JPEG with more than {MaxJpegScans} scans; it is refused (progressive photos have about ten).");
            }

            // Start of scan: entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
            while (true)
            {
                int ff = data[i..].IndexOf((byte)0xFF);
                if (ff < 0 || i + ff + 1 >= n)
                {
                    throw Truncated(source, n);
                }

                i += ff;
                byte next = data[i + 1];
                if (next == 0x00 || next is >= 0xD0 and <= 0xD7)
                {
                    i += 2;
                    continue;
                }

                break;
            }
        }
    }

    /// <summary>
    /// Reads the canvas size from the first chunk (VP8X extended header, VP8 lossy key frame or VP8L lossless header)
    /// and refuses it over the size limits or over <see cref="MaxWebpPixels"/>; a header too short to hold the size is
    /// left to the decoder, which refuses it.
    /// </summary>
    internal static void CheckWebp(ReadOnlySpan<byte> data, ImageLimits limits, string source)
    {
        ReadOnlySpan<byte> chunk = data.Slice(12, 4);
        long width, height;
        if (chunk.SequenceEqual("VP8X"u8) && data.Length >= 30)
        {
            width = 1 + (data[24] | (data[25] << 8) | (data[26] << 16));
            height = 1 + (data[27] | (data[28] << 8) | (data[29] << 16));
        }
        else if (chunk.SequenceEqual("VP8 "u8) && data.Length >= 30)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF;
        }
        else if (chunk.SequenceEqual("VP8L"u8) && data.Length >= 25)
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
            width = 1 + (bits & 0x3FFF);
            height = 1 + ((bits >> 14) & 0x3FFF);
        }
        else
        {
            return;
        }

        SafeImageDecoder.CheckDimensions((int)width, (int)height, limits, source, "WebP");
        if (width * height > Math.Min(MaxWebpPixels, limits.MaxPixels))
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a WebP of {width} × {height} = {width * height} pixels, over the limit of {Math.Min(MaxWebpPixels, limits.MaxPixels)} for WebP images.");
        }
    }

    /// <summary>
    /// Refuses a pixel-data offset before the headers' end or at or past the end of the file, an unknown header size,
    /// bits per pixel outside 1, 2, 4, 8, 16, 24 and 32, and a palette larger than 2^bpp entries or than the file.
    /// </summary>
    internal static void CheckBmp(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length < 18)
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a BMP of {data.Length} bytes, too short for its headers (truncated file).");
        }

        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint infoSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (offset < 14 + (ulong)infoSize || offset >= (ulong)data.Length)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a BMP whose pixel data offset {offset} lies outside the file ({data.Length} bytes, headers end at {14 + (ulong)infoSize}).");
        }

        if (infoSize is not (12 or 16 or 40 or 52 or 56 or 64 or 108 or 124))
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a BMP with an unknown info header size of {infoSize} bytes.");
        }

        // The offset check above guarantees the info header lies inside the file.
        bool core = infoSize == 12;
        int bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[(core ? 24 : 28)..]);
        if (bitsPerPixel is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a BMP declaring {bitsPerPixel} bits per pixel; only 1, 2, 4, 8, 16, 24 and 32 exist.");
        }

        ulong colors = infoSize >= 40 ? BinaryPrimitives.ReadUInt32LittleEndian(data[46..]) : 0;
        if (bitsPerPixel <= 8)
        {
            ulong most = 1UL << bitsPerPixel;
            if (colors > most)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"{source} is a BMP of {bitsPerPixel} bits per pixel declaring a palette of {colors} colours; at most {most} are possible.");
            }

            if (colors == 0)
            {
                colors = most;
            }
        }

        ulong paletteEnd = 14 + (ulong)infoSize + colors * (core ? 3UL : 4UL);
        if (bitsPerPixel <= 8 && paletteEnd > (ulong)data.Length)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a BMP whose palette of {colors} colours ends at byte {paletteEnd}, past the end of the file ({data.Length} bytes).");
        }
    }

    /// <summary>
    /// Walks the chunks up to IEND: refuses a truncated file, IDAT chunks that are not consecutive, text chunks over <see cref="MaxPngTextChunkBytes"/>,
    /// other ancillary chunks over <see cref="MaxPngAncillaryChunkBytes"/> or more than <see cref="MaxPngAncillaryChunks"/>
    /// of them, an interlaced image over <see cref="MaxInterlacedPngPixels"/>, and pixel data too short for the declared
    /// size at deflate's best ratio.
    /// </summary>
    internal static void CheckPng(ReadOnlySpan<byte> data, ImageLimits limits, string source)
    {
        int n = data.Length;
        int i = 8;
        bool first = true;
        long width = 0, height = 0;
        int bitDepth = 8, colorType = 0;
        bool interlaced = false;
        long pixelBytes = 0;
        int ancillary = 0;
        bool inIdatRun = false, idatRunEnded = false;
        while (true)
        {
            if (i + 8 > n)
            {
                throw TruncatedPng(source, n);
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            ReadOnlySpan<byte> type = data.Slice(i + 4, 4);
            if ((ulong)i + 12 + length > (ulong)n)
            {
                throw TruncatedPng(source, n);
            }

            ReadOnlySpan<byte> body = data.Slice(i + 8, (int)length);
            string name = System.Text.Encoding.ASCII.GetString(type);
            if (first)
            {
                if (!type.SequenceEqual("IHDR"u8) || length != 13)
                {
                    throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a PNG whose first chunk is not a 13-byte IHDR.");
                }

                width = BinaryPrimitives.ReadUInt32BigEndian(body);
                height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                bitDepth = body[8];
                colorType = body[9];
                interlaced = body[12] != 0;
                first = false;
                SafeImageDecoder.CheckDimensions((int)Math.Min(width, int.MaxValue), (int)Math.Min(height, int.MaxValue), limits, source, "PNG");
                if (interlaced && width * height > Math.Min(MaxInterlacedPngPixels, limits.MaxPixels))
                {
                    throw new LightNetException(ErrorCode.InvalidImage,
                        $"{source} is an interlaced PNG of {width} × {height} = {width * height} pixels, over the limit of {Math.Min(MaxInterlacedPngPixels, limits.MaxPixels)} for interlaced PNGs.");
                }
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                // The pixel data is one run of consecutive IDAT chunks (PNG spec): decoders read the first run only, and
                // ImageSharp's interlaced decoder loops without end when that run is short of what a later one holds.
                if (idatRunEnded)
                {
                    throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a PNG whose IDAT chunks are not consecutive (another chunk lies between them).");
                }

                pixelBytes += length;
                inIdatRun = true;
            }
            else if ((type[0] & 0x20) != 0)
            {
                bool text = type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8);
                int most = text ? MaxPngTextChunkBytes : MaxPngAncillaryChunkBytes;
                if (length > most)
                {
                    throw new LightNetException(ErrorCode.InvalidImage,
                        $"{source} is a PNG with a {length}-byte {name} chunk, over the limit of {most} bytes for {(text ? "text" : "ancillary")} chunks.");
                }

                if (++ancillary > MaxPngAncillaryChunks)
                {
                    throw new LightNetException(ErrorCode.InvalidImage, $"{source} is a PNG with more than {MaxPngAncillaryChunks} ancillary chunks.");
                }
            }

            if (inIdatRun && !type.SequenceEqual("IDAT"u8))
            {
                idatRunEnded = true;
            }

            i += 12 + (int)length;
        }

        // Each row is a filter byte plus its samples; deflate cannot pack that into fewer than about 1/1032 of the bytes.
        int channels = colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        if (interlaced)
        {
            CheckInterlacedPixelData(data, width, height, channels * Math.Max(bitDepth, 1), source);
        }

        long rowBytes = 1 + ((width * channels * Math.Max(bitDepth, 1)) + 7) / 8;
        long rawBytes = rowBytes * height;
        if (pixelBytes < rawBytes / MaxDeflateRatio)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a truncated PNG: {pixelBytes} bytes of compressed pixel data cannot hold {width} × {height} pixels (at least {rawBytes / MaxDeflateRatio} needed).");
        }
    }

    // Adam7: (x offset, y offset, x step, y step) of the seven passes.
    private static readonly (int X, int Y, int DX, int DY)[] s_adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>
    /// Inflates the IDAT data of an interlaced PNG (counting, not keeping, the bytes; it stops once enough came out) and
    /// refuses data that is corrupt or ends before the seven passes are complete: ImageSharp 2.1's interlaced decoder
    /// loops without end on such data (a fuzzed 287-byte 24 × 16 file never returned), and no deadline reaches that loop.
    /// The cost is bounded by the interlaced pixel limit.
    /// </summary>
    private static void CheckInterlacedPixelData(ReadOnlySpan<byte> data, long width, long height, int bitsPerPixel, string source)
    {
        long expected = 0;
        foreach ((int x, int y, int dx, int dy) in s_adam7)
        {
            long passWidth = (width - x + dx - 1) / dx, passHeight = (height - y + dy - 1) / dy;
            if (passWidth > 0 && passHeight > 0)
            {
                expected += passHeight * (1 + (passWidth * bitsPerPixel + 7) / 8);
            }
        }

        // The IDAT bodies, concatenated (they are one zlib stream); the walk above checked every chunk lies inside the file.
        using var compressed = new MemoryStream();
        for (int i = 8; i + 12 <= data.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            if (data.Slice(i + 4, 4).SequenceEqual("IDAT"u8))
            {
                compressed.Write(data.Slice(i + 8, length));
            }
            else if (data.Slice(i + 4, 4).SequenceEqual("IEND"u8))
            {
                break;
            }

            i += 12 + length;
        }

        compressed.Position = 0;
        long inflated = 0;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionMode.Decompress);
            int read;
            while (inflated < expected && (read = zlib.Read(buffer, 0, buffer.Length)) > 0)
            {
                inflated += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw new LightNetException(ErrorCode.InvalidImage, $"{source} is an interlaced PNG whose compressed pixel data is corrupt ({e.Message}).", e);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        if (inflated < expected)
        {
            throw new LightNetException(ErrorCode.InvalidImage,
                $"{source} is a truncated interlaced PNG: its pixel data inflates to {inflated} bytes, and its seven passes of {width} × {height} pixels need {expected}.");
        }
    }

    /// <summary>Counts image descriptors, stopping at <paramref name="stopAt"/> or at the first structural error (left to the decoder).</summary>
    internal static int CountGifFrames(ReadOnlySpan<byte> data, int stopAt)
    {
        int n = data.Length;
        if (n < 13)
        {
            return 0;
        }

        int i = 13;
        byte flags = data[10];
        if ((flags & 0x80) != 0)
        {
            i += 3 << ((flags & 7) + 1);
        }

        int frames = 0;
        while (i < n && frames < stopAt)
        {
            byte block = data[i++];
            if (block == 0x3B)
            {
                break; // trailer
            }

            if (block == 0x21)
            {
                i++; // extension label
            }
            else if (block == 0x2C)
            {
                frames++;
                if (i + 9 > n)
                {
                    break;
                }

                byte local = data[i + 8];
                i += 9;
                if ((local & 0x80) != 0)
                {
                    i += 3 << ((local & 7) + 1);
                }

                i++; // LZW minimum code size
            }
            else
            {
                break;
            }

            // Data sub-blocks, each prefixed by its length, ended by a zero length.
            while (i < n)
            {
                int size = data[i++];
                if (size == 0)
                {
                    break;
                }

                i += size;
            }
        }

        return frames;
    }

    private static LightNetException TruncatedPng(string source, int length) =>
        new(ErrorCode.InvalidImage, $"{source} is a truncated PNG: its {length} bytes end before the IEND chunk.");

    private static LightNetException Truncated(string source, int length) =>
        new(ErrorCode.InvalidImage, $"{source} is a truncated JPEG: its {length} bytes end before the end-of-image marker.");
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace LightNet.Tests.Preprocessing;

/// <summary>Hostile or broken image files, built byte by byte.</summary>
internal static class CraftedImages
{
    /// <summary>Reproducible noise that is no image format.</summary>
    public static byte[] RandomBytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A real baseline JPEG of noise (so it does not compress to nothing), cut to <paramref name="keep"/> of its length.</summary>
    public static byte[] TruncatedJpeg(double keep, int size = 256)
    {
        using var image = new Image<Rgb24>(size, size);
        var random = new Random(3);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 90 });
        byte[] full = stream.ToArray();
        return full.AsSpan(0, (int)(full.Length * keep)).ToArray();
    }

    /// <summary>A PNG signature and an IHDR (valid CRC) declaring <paramref name="width"/> × <paramref name="height"/> RGB, a tiny IDAT and IEND.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]); // zlib of one zero byte
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>
    /// A PNG declaring <paramref name="width"/> × <paramref name="height"/> RGB, Adam7-interlaced, with a tiny IDAT (the
    /// 177-byte attack file declared 8000 × 8000); <paramref name="cutTo"/> cuts it (the 74-byte attack file ended inside its IDAT chunk).
    /// </summary>
    public static byte[] InterlacedPng(int width, int height, int? cutTo = null)
    {
        byte[] png = PngHeader(width, height);
        png[8 + 8 + 12] = 1; // interlace method: Adam7
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 8 + 13), Crc32(png.AsSpan(8 + 4, 4 + 13)));
        return cutTo is int n ? png.AsSpan(0, n).ToArray() : png;
    }

    /// <summary>
    /// A valid 8 × 8 PNG carrying a <paramref name="chunkType"/> ("zTXt" or "iTXt") chunk whose compressed text
    /// inflates to <paramref name="inflatedBytes"/> (zeros compress about 1000 : 1).
    /// </summary>
    public static byte[] PngWithCompressedText(string chunkType, int inflatedBytes)
    {
        using var image = new Image<Rgb24>(8, 8, new Rgb24(200, 100, 50));
        using var plain = new MemoryStream();
        image.SaveAsPng(plain);
        byte[] png = plain.ToArray();

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int left = inflatedBytes; left > 0; left -= zeros.Length)
            {
                zlib.Write(zeros, 0, Math.Min(left, zeros.Length));
            }
        }

        byte[] header = chunkType == "iTXt"
            ? [.. "Comment"u8, 0, 1, 0, 0, 0] // keyword, compressed, method 0, empty language and translated keyword
            : [.. "Comment"u8, 0, 0]; // keyword, method 0
        using var stream = new MemoryStream();
        stream.Write(png, 0, 33); // signature and IHDR
        WriteChunk(stream, chunkType, [.. header, .. compressed.ToArray()]);
        stream.Write(png, 33, png.Length - 33);
        return stream.ToArray();
    }

    /// <summary>A valid 16 × 16 baseline JPEG with <paramref name="count"/> extra APP1 segments of <paramref name="size"/> bytes after SOI.</summary>
    public static byte[] JpegWithAppSegments(int count, int size = 1000)
    {
        byte[] jpeg = TruncatedJpeg(1.0, 16);
        using var stream = new MemoryStream();
        stream.Write(jpeg, 0, 2);
        var segment = new byte[size + 4];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(size + 2));
        "Exif\0\0"u8.CopyTo(segment.AsSpan(4));
        for (int i = 0; i < count; i++)
        {
            stream.Write(segment);
        }

        stream.Write(jpeg, 2, jpeg.Length - 2);
        return stream.ToArray();
    }

    /// <summary>A JPEG whose body repeats one tiny scan <paramref name="scans"/> times (the shape of the progressive attack file).</summary>
    public static byte[] JpegWithScans(int scans)
    {
        byte[] jpeg = TruncatedJpeg(1.0, 16);
        int sos = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        byte[] scan = jpeg.AsSpan(sos, jpeg.Length - 2 - sos).ToArray();
        using var stream = new MemoryStream();
        stream.Write(jpeg, 0, sos);
        for (int i = 0; i < scans; i++)
        {
            stream.Write(scan);
        }

        stream.Write([0xFF, 0xD9]);
        return stream.ToArray();
    }

    /// <summary>
    /// A 4 × 4 BMP with a BITMAPINFOHEADER declaring <paramref name="bitsPerPixel"/> and a palette of
    /// <paramref name="colors"/> entries, padded to <paramref name="length"/> bytes (the attack files were 62 bytes).
    /// </summary>
    public static byte[] Bmp(ushort bitsPerPixel, uint colors, int length = 62)
    {
        var bytes = new byte[length];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(10), (uint)Math.Min(length - 4, 62));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), 4);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), 4);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), bitsPerPixel);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(46), colors);
        return bytes;
    }

    /// <summary>A 4 × 4 24-bit BMP whose file header puts the pixel data at <paramref name="pixelOffset"/>, far beyond the file's end.</summary>
    public static byte[] BmpWithPixelOffset(uint pixelOffset, int width = 4, int height = 4)
    {
        int rowBytes = (width * 3 + 3) & ~3;
        var bytes = new byte[54 + rowBytes * height];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(10), pixelOffset);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40); // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), rowBytes * height);
        return bytes;
    }

    /// <summary>
    /// A GIF89a with a <paramref name="screenWidth"/> × <paramref name="screenHeight"/> logical screen and
    /// <paramref name="frames"/> frames; each frame's descriptor declares <paramref name="frameWidth"/> × <paramref name="frameHeight"/>
    /// and carries almost no pixel data (clear code, one index, end code).
    /// </summary>
    public static byte[] Gif(int frames, int screenWidth = 16, int screenHeight = 16, int? frameWidth = null, int? frameHeight = null)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        void Word(int v)
        {
            stream.WriteByte((byte)v);
            stream.WriteByte((byte)(v >> 8));
        }

        Word(screenWidth);
        Word(screenHeight);
        stream.WriteByte(0x80); // global colour table of 2 entries
        stream.WriteByte(0);
        stream.WriteByte(0);
        stream.Write([0, 0, 0, 255, 255, 255]);
        for (int i = 0; i < frames; i++)
        {
            stream.Write([0x21, 0xF9, 4, 0, 1, 0, 0, 0]); // graphic control extension: delay 1
            stream.WriteByte(0x2C);
            Word(0);
            Word(0);
            Word(frameWidth ?? screenWidth);
            Word(frameHeight ?? screenHeight);
            stream.WriteByte(0);
            stream.WriteByte(2); // LZW minimum code size
            stream.Write([2, 0x44, 0x01, 0]); // clear (4), index 0, end (5), packed in 3-bit codes; then block terminator
        }

        stream.WriteByte(0x3B);
        return stream.ToArray();
    }

    /// <summary>A text file (what a mis-named download or an HTML error page looks like).</summary>
    public static byte[] Text() => Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>404 Not Found</body></html>\n");

    // The PNG chunk writer and CRC of the fuzz project's image mutator: one implementation of the format's framing.
    private static void WriteChunk(Stream stream, string type, byte[] data) => LightNet.Fuzz.ImageMutator.WriteChunk(stream, type, data);

    private static uint Crc32(ReadOnlySpan<byte> data) => LightNet.Fuzz.ImageMutator.Crc32(data);
}

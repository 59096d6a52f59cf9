using System.Buffers.Binary;

namespace LightNet.Preprocessing;

/// <summary>
/// Structural checks LightNet makes on the encoded bytes before ImageSharp sees them, for what ImageSharp 2.1
/// accepts too readily: a truncated JPEG (it decodes the missing part as grey), a BMP whose pixel-data offset lies
/// outside the file (it reads the offset as a signed number), a GIF with a huge number of frames. Each walks the
/// file's block structure once, bounded by its length, and allocates nothing.
/// </summary>
internal static class FormatChecks
{
    public static void Check(ReadOnlySpan<byte> data, ImageLimits limits, string source)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            CheckJpeg(data, source);
        }
        else if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            CheckBmp(data, source);
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
            if (marker != 0xDA)
            {
                continue;
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

    /// <summary>Refuses a pixel-data offset before the headers' end or at or past the end of the file.</summary>
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

    private static LightNetException Truncated(string source, int length) =>
        new(ErrorCode.InvalidImage, $"{source} is a truncated JPEG: its {length} bytes end before the end-of-image marker.");
}

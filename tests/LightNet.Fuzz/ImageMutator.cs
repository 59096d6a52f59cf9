using System.Buffers.Binary;

namespace LightNet.Fuzz;

/// <summary>
/// Header-aware mutations of an encoded image: PNG chunk fields (IHDR size, depth, colour type and interlace; chunk
/// lengths; oversized or repeated ancillary chunks; CRCs recomputed so the decoder reads past them), JPEG marker
/// segments (SOF dimensions and components, repeated APPn segments and scans, segment lengths), BMP and GIF header
/// fields; anything else, and a quarter of the time, byte-level havoc.
/// </summary>
internal static class ImageMutator
{
    /// <summary>Mutates <paramref name="input"/>; deterministic for a given <see cref="Random"/>.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        if (random.Next(4) == 0 || input.Length < 16)
        {
            return ByteMutator.Mutate(input, random);
        }

        if (input[0] == 0x89 && input[1] == (byte)'P')
        {
            return MutatePng(input, random);
        }

        if (input[0] == 0xFF && input[1] == 0xD8)
        {
            return MutateJpeg(input, random);
        }

        if (input[0] == (byte)'B' && input[1] == (byte)'M')
        {
            return MutateHeaderFields(input, random, [2, 10, 14, 18, 22, 26, 28, 30, 34, 46, 50], littleEndian: true);
        }

        if (input[0] == (byte)'G' && input[1] == (byte)'I')
        {
            return MutateHeaderFields(input, random, [6, 8, 10, 13 + random.Next(Math.Max(1, input.Length - 13))], littleEndian: true);
        }

        return ByteMutator.Mutate(input, random);
    }

    private static byte[] MutateHeaderFields(byte[] input, Random random, int[] offsets, bool littleEndian)
    {
        byte[] bytes = (byte[])input.Clone();
        int at = offsets[random.Next(offsets.Length)];
        long value = ByteMutator.InterestingLong(random);
        int width = random.Next(2) == 0 ? 2 : 4;
        for (int k = 0; k < width && at + k < bytes.Length; k++)
        {
            bytes[at + k] = (byte)(value >> (8 * (littleEndian ? k : width - 1 - k)));
        }

        return bytes;
    }

    private readonly record struct Chunk(int Offset, int Length, string Type);

    private static List<Chunk> PngChunks(byte[] png)
    {
        var chunks = new List<Chunk>();
        int i = 8;
        while (i + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(i));
            if ((ulong)i + 12 + length > (ulong)png.Length)
            {
                break;
            }

            chunks.Add(new Chunk(i, (int)length, System.Text.Encoding.ASCII.GetString(png, i + 4, 4)));
            i += 12 + (int)length;
        }

        return chunks;
    }

    private static byte[] MutatePng(byte[] input, Random random)
    {
        List<Chunk> chunks = PngChunks(input);
        if (chunks.Count == 0)
        {
            return ByteMutator.Mutate(input, random);
        }

        var output = new MemoryStream();
        output.Write(input, 0, 8);
        int op = random.Next(6);
        int target = random.Next(chunks.Count);
        for (int c = 0; c < chunks.Count; c++)
        {
            Chunk chunk = chunks[c];
            byte[] data = input.AsSpan(chunk.Offset + 8, chunk.Length).ToArray();
            string type = chunk.Type;
            if (c == target)
            {
                switch (op)
                {
                    case 0 when type == "IHDR" && data.Length == 13:
                    {
                        int field = random.Next(5);
                        if (field < 2)
                        {
                            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(field * 4), (uint)ByteMutator.InterestingLong(random));
                        }
                        else
                        {
                            data[field switch { 2 => 8, 3 => 9, _ => 12 }] = (byte)(random.Next(3) == 0 ? random.Next(256) : random.Next(0, 17));
                        }

                        break;
                    }

                    case 1:
                        data = ByteMutator.Mutate(data, random);
                        break;
                    case 2:
                        // A text chunk (large or compressed) inserted before this one.
                        WriteChunk(output, random.Next(3) switch { 0 => "tEXt", 1 => "zTXt", _ => "iTXt" },
                            [.. "Comment"u8, 0, 0, .. new byte[random.Next(3) == 0 ? 70_000 : random.Next(0, 200)]]);
                        break;
                    case 3:
                        WriteChunk(output, type, data); // the chunk twice
                        break;
                    case 4:
                        continue; // the chunk dropped
                    default:
                    {
                        // A wrong length field, CRC left alone.
                        output.Write(BitConverter.GetBytes((uint)ByteMutator.InterestingLong(random)));
                        output.Write(System.Text.Encoding.ASCII.GetBytes(type));
                        output.Write(data);
                        output.Write(new byte[4]);
                        continue;
                    }
                }
            }

            WriteChunk(output, type, data);
        }

        return output.ToArray();
    }

    private static byte[] MutateJpeg(byte[] input, Random random)
    {
        // Marker segments up to the first scan: (offset, total length including the marker).
        var segments = new List<(int Offset, int Length, byte Marker)>();
        int i = 2;
        while (i + 4 <= input.Length && input[i] == 0xFF)
        {
            byte marker = input[i + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(i + 2));
            if (length < 2 || i + 2 + length > input.Length)
            {
                break;
            }

            segments.Add((i, 2 + length, marker));
            i += 2 + length;
            if (marker == 0xDA)
            {
                break;
            }
        }

        if (segments.Count == 0)
        {
            return ByteMutator.Mutate(input, random);
        }

        byte[] bytes = (byte[])input.Clone();
        (int offset, int total, byte m) = segments[random.Next(segments.Count)];
        switch (random.Next(5))
        {
            case 0:
            {
                // SOF: precision, height, width or component count.
                var sof = segments.FirstOrDefault(s => s.Marker is 0xC0 or 0xC1 or 0xC2);
                if (sof.Length >= 10)
                {
                    int field = sof.Offset + 4 + random.Next(4) switch { 0 => 0, 1 => 1, 2 => 3, _ => 5 };
                    long value = ByteMutator.InterestingLong(random);
                    bytes[field] = (byte)(value >> 8);
                    if (field + 1 < bytes.Length)
                    {
                        bytes[field + 1] = (byte)value;
                    }
                }

                return bytes;
            }

            case 1:
            {
                // One segment repeated many times (APPn floods, repeated tables or scans).
                int times = random.Next(3) == 0 ? random.Next(100, 2000) : random.Next(2, 20);
                var output = new MemoryStream();
                output.Write(input, 0, offset);
                for (int k = 0; k < times; k++)
                {
                    output.Write(input, offset, total);
                }

                output.Write(input, offset, input.Length - offset);
                return output.ToArray();
            }

            case 2:
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(offset + 2), (ushort)ByteMutator.InterestingLong(random));
                return bytes;
            case 3:
            {
                byte[] body = ByteMutator.Mutate(input.AsSpan(offset + 4, total - 4).ToArray(), random);
                var output = new MemoryStream();
                output.Write(input, 0, offset);
                output.Write([0xFF, m, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2)]);
                output.Write(body);
                output.Write(input, offset + total, input.Length - offset - total);
                return output.ToArray();
            }

            default:
                bytes[offset + 1] = (byte)random.Next(0xC0, 0x100); // another marker
                return bytes;
        }
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>Writes a PNG chunk: length, type, data and CRC.</summary>
    internal static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }
}

namespace LightNet.Fuzz;

/// <summary>
/// Format-blind mutations of a byte string, in the manner of AFL's havoc stage: bit flips, interesting values, byte
/// runs, truncation, duplication and splicing. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal static class ByteMutator
{
    private static readonly long[] s_interesting =
    [
        0, 1, -1, 2, 7, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, int.MaxValue, int.MinValue, uint.MaxValue,
        (1L << 32) + 3, (1L << 32) + 7, 1L << 62, long.MaxValue, long.MinValue,
    ];

    /// <summary>A value a parser or an allocator is likely to mishandle (zero, ±1, powers of two at type boundaries).</summary>
    public static long InterestingLong(Random random) =>
        random.Next(4) == 0 ? random.Next(-16, 10_000) : s_interesting[random.Next(s_interesting.Length)];

    /// <summary>Applies one to four havoc operations to a copy of <paramref name="input"/>.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        int rounds = 1 + random.Next(4);
        for (int round = 0; round < rounds; round++)
        {
            if (bytes.Count == 0)
            {
                bytes.Add((byte)random.Next(256));
                continue;
            }

            int at = random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                {
                    // An interesting value, little- or big-endian, 1 to 8 bytes wide.
                    long value = InterestingLong(random);
                    int width = 1 << random.Next(4);
                    bool big = random.Next(2) == 0;
                    for (int k = 0; k < width && at + k < bytes.Count; k++)
                    {
                        int shift = 8 * (big ? width - 1 - k : k);
                        bytes[at + k] = (byte)(value >> shift);
                    }

                    break;
                }

                case 3:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(Math.Max(1, bytes.Count / 8))));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at); // truncation
                    break;
                case 5:
                {
                    // Duplicate a block somewhere else.
                    int length = Math.Min(bytes.Count - at, 1 + random.Next(64));
                    byte[] block = bytes.GetRange(at, length).ToArray();
                    bytes.InsertRange(random.Next(bytes.Count + 1), block);
                    break;
                }

                case 6:
                {
                    int length = 1 + random.Next(32);
                    byte fill = random.Next(2) == 0 ? (byte)0xFF : (byte)random.Next(256);
                    bytes.InsertRange(at, Enumerable.Repeat(fill, length));
                    break;
                }

                default:
                {
                    int count = 1 + random.Next(8);
                    for (int k = 0; k < count && at + k < bytes.Count; k++)
                    {
                        bytes[at + k] = (byte)(bytes[at + k] + random.Next(-35, 36));
                    }

                    break;
                }
            }
        }

        return [.. bytes];
    }
}

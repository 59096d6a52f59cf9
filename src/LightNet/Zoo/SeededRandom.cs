namespace LightNet.Zoo;

/// <summary>
/// xoshiro256** seeded per tensor from (seed, tensor name), so a tensor's synthetic weights do not depend on
/// the order in which the network is built and are the same on every machine and .NET version.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spare;

    public SeededRandom(long seed, string stream)
    {
        ulong x = (ulong)seed ^ Fnv1a(stream);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller, both values used).</summary>
    public double NextNormal()
    {
        if (_spare is double spare)
        {
            _spare = null;
            return spare;
        }

        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    public float[] Normal(long count, double std, double mean = 0)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = (float)(mean + std * NextNormal());
        }

        return values;
    }

    public float[] Uniform(long count, double low, double high)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = (float)(low + (high - low) * NextDouble());
        }

        return values;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in s)
        {
            h = (h ^ c) * 0x100000001b3UL;
        }

        return h;
    }
}

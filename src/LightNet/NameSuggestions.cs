namespace LightNet;

/// <summary>"Did you mean ...?" for mistyped backend and model names.</summary>
internal static class NameSuggestions
{
    /// <summary>The known name closest to <paramref name="name"/> (case-insensitive edit distance), if close enough to be a typo.</summary>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        string lower = name.ToLowerInvariant();
        (string? Name, int Distance) best = (null, int.MaxValue);
        foreach (string k in known)
        {
            int d = Levenshtein(lower, k.ToLowerInvariant());
            if (d < best.Distance)
            {
                best = (k, d);
            }
        }

        return best.Name is not null && best.Distance <= Math.Max(2, name.Length / 3) ? best.Name : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

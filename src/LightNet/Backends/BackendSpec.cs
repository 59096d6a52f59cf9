using System.Globalization;

namespace LightNet.Backends;

/// <summary>
/// A parsed backend name: <c>name[:option[,option...]]</c>, where an option is a flag (<c>fp16</c>,
/// <c>cpu-disabled</c>) or <c>key=value</c> (<c>threads=4</c>, <c>device=1</c>). Examples: <c>ort-cpu</c>,
/// <c>ort-cuda:fp16,device=1</c>, <c>ort-coreml:format=mlprogram,units=cpu-ane</c>.
/// </summary>
public sealed class BackendSpec
{
    private BackendSpec(string name, IReadOnlySet<string> flags, IReadOnlyDictionary<string, string> values)
    {
        Name = name;
        Flags = flags;
        Values = values;
    }

    /// <summary>The backend's base name, lower case (for example "ort-cuda").</summary>
    public string Name { get; }

    /// <summary>Options given without a value, lower case.</summary>
    public IReadOnlySet<string> Flags { get; }

    /// <summary>Options given as key=value; keys lower case.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Parses a backend name with options.</summary>
    /// <param name="text">For example "ort-cuda:fp16,device=1".</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty or malformed name.</exception>
    public static BackendSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A backend name is empty; try 'ort-cpu'.");
        }

        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? trimmed : trimmed[..colon]).ToLowerInvariant();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (string raw in trimmed[(colon + 1)..].Split([',', ':'], StringSplitOptions.TrimEntries))
            {
                if (raw.Length == 0)
                {
                    throw new LightNetException(ErrorCode.InvalidArgument, $"Backend '{text}' has an empty option.");
                }

                int eq = raw.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    flags.Add(raw.ToLowerInvariant());
                }
                else if (eq == 0 || eq == raw.Length - 1)
                {
                    throw new LightNetException(ErrorCode.InvalidArgument, $"Backend '{text}': option '{raw}' must be key=value.");
                }
                else
                {
                    values[raw[..eq].Trim().ToLowerInvariant()] = raw[(eq + 1)..].Trim();
                }
            }
        }

        if (name.Length == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Backend '{text}' has no name before ':'.");
        }

        return new BackendSpec(name, flags, values);
    }

    /// <summary>An integer option, or <paramref name="defaultValue"/>; a malformed value is an error naming the backend.</summary>
    /// <param name="key">Option key.</param>
    /// <param name="defaultValue">Value when absent.</param>
    /// <param name="min">Smallest accepted value.</param>
    /// <param name="max">Largest accepted value.</param>
    public int GetInt(string key, int defaultValue, int min = 0, int max = int.MaxValue)
    {
        if (!Values.TryGetValue(key, out string? text))
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new LightNetException(ErrorCode.InvalidArgument,
                $"Backend '{this}': option {key}='{text}' must be an integer {(max == int.MaxValue ? $"≥ {min}" : $"from {min} to {max}")}.");
    }

    /// <summary>A choice option, or <paramref name="defaultValue"/>; a value outside <paramref name="allowed"/> is an error.</summary>
    /// <param name="key">Option key.</param>
    /// <param name="defaultValue">Value when absent.</param>
    /// <param name="allowed">Accepted values, lower case.</param>
    public string GetChoice(string key, string defaultValue, params string[] allowed)
    {
        if (!Values.TryGetValue(key, out string? text))
        {
            return defaultValue;
        }

        string v = text.ToLowerInvariant();
        return allowed.Contains(v)
            ? v
            : throw new LightNetException(ErrorCode.InvalidArgument, $"Backend '{this}': option {key}='{text}' must be one of {string.Join(", ", allowed)}.");
    }

    /// <summary>Fails on any option not in <paramref name="known"/>, so that a typo is not silently ignored.</summary>
    /// <param name="known">Accepted flags and keys.</param>
    public void RejectUnknown(params string[] known)
    {
        string? unknown = Flags.Concat(Values.Keys).FirstOrDefault(o => !known.Contains(o));
        if (unknown is not null)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Backend '{Name}' has no option '{unknown}'. Its options: {(known.Length == 0 ? "none" : string.Join(", ", known))}.");
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var options = Flags.Order(StringComparer.Ordinal).Concat(Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")).ToArray();
        return options.Length == 0 ? Name : $"{Name}:{string.Join(",", options)}";
    }
}

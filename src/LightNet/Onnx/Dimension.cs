namespace LightNet.Onnx;

/// <summary>
/// One dimension of a declared tensor shape: a fixed size, a named symbolic size (<c>dim_param</c>, such as
/// "batch"), or unknown.
/// </summary>
public readonly record struct Dimension
{
    private Dimension(long? value, string? parameter)
    {
        Value = value;
        Parameter = parameter;
    }

    /// <summary>The fixed size, or null when the dimension is symbolic or unknown.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name (<c>dim_param</c>), or null.</summary>
    public string? Parameter { get; }

    /// <summary>True when the size is fixed.</summary>
    public bool IsFixed => Value.HasValue;

    /// <summary>A fixed size.</summary>
    /// <param name="value">The size; zero or more.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when negative.</exception>
    public static Dimension Fixed(long value) => value >= 0
        ? new Dimension(value, null)
        : throw new LightNetException(ErrorCode.InvalidShape, $"A dimension cannot be negative ({value}).");

    /// <summary>A named symbolic size, resolved later from the shapes a caller gives.</summary>
    /// <param name="name">The name, for example "batch".</param>
    public static Dimension Symbolic(string name) => (name ?? throw new ArgumentNullException(nameof(name))).Length == 0
        ? throw new LightNetException(ErrorCode.InvalidArgument, "A symbolic dimension needs a name.")
        : new Dimension(null, name);

    /// <summary>A dimension with no size and no name (ONNX's empty dimension, or -1 from some exporters).</summary>
    public static Dimension Unknown => default;

    /// <summary>Converts a fixed size.</summary>
    /// <param name="value">The size.</param>
    public static implicit operator Dimension(long value) => Fixed(value);

    /// <inheritdoc />
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Parameter ?? "?";

    /// <summary>Formats a shape as <c>[1, 3, 224, 224]</c>.</summary>
    /// <param name="dims">The dimensions.</param>
    public static string Format(IEnumerable<Dimension> dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>Formats a fixed shape as <c>[1, 3, 224, 224]</c>.</summary>
    /// <param name="dims">The dimensions.</param>
    public static string Format(IEnumerable<long> dims) =>
        "[" + string.Join(", ", dims.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

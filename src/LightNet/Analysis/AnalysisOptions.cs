namespace LightNet.Analysis;

/// <summary>
/// Values for a model's dynamic dimensions, by input name or by dimension name, used for shape inference
/// and the <see cref="ModelInfo"/> numbers.
/// </summary>
public sealed record AnalysisOptions
{
    /// <summary>No overrides: the declared shapes are used as they are.</summary>
    public static AnalysisOptions Default { get; } = new();

    /// <summary>Full shapes for some inputs, by input name (they replace the declared shapes).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Values of symbolic dimensions, by <c>dim_param</c> name (for example "batch" → 1).</summary>
    public IReadOnlyDictionary<string, long>? DimensionValues { get; init; }

    /// <summary>A shortcut: analysis with these input shapes.</summary>
    /// <param name="inputShapes">Shapes by input name.</param>
    public static AnalysisOptions WithInputShapes(IReadOnlyDictionary<string, long[]> inputShapes) =>
        new() { InputShapes = inputShapes ?? throw new ArgumentNullException(nameof(inputShapes)) };
}

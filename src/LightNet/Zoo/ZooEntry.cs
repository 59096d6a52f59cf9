namespace LightNet.Zoo;

/// <summary>
/// One network of the zoo: what it is, where it comes from, how to feed it, what it should cost, and where
/// a pretrained ONNX version can be fetched.
/// </summary>
public sealed record ZooEntry
{
    /// <summary>The name used with <see cref="ModelZoo.Create(string, ZooOptions?)"/>, torchvision style ("mobilenet_v2").</summary>
    public required string Name { get; init; }

    /// <summary>The family ("MobileNet", "ResNet", ...).</summary>
    public required string Family { get; init; }

    /// <summary>The paper that introduced the architecture.</summary>
    public required string Paper { get; init; }

    /// <summary>
    /// The preprocessing preset its inputs expect: "torchvision" (ImageNet mean/std, resize 256, crop 224),
    /// "tensorflow" (scale to [-1, 1]) or "inception" (299, [-1, 1]).
    /// </summary>
    public required string PreprocessingPreset { get; init; }

    /// <summary>Input height and width the architecture was designed for.</summary>
    public required int DefaultResolution { get; init; }

    /// <summary>Smallest input height and width the architecture accepts.</summary>
    public required int MinResolution { get; init; }

    /// <summary>Width multipliers the family defines besides 1.0 (empty when it has none).</summary>
    public IReadOnlyList<double> WidthMultipliers { get; init; } = [];

    /// <summary>Trainable parameters at 1000 classes and width 1.0, as the reference implementation reports them.</summary>
    public required long ReferenceParameters { get; init; }

    /// <summary>MACs at the default resolution, 1000 classes and width 1.0, as published (torchvision's tables).</summary>
    public required long ReferenceMacs { get; init; }

    /// <summary>A pretrained ONNX version (ONNX Model Zoo), or null where none is published.</summary>
    public PretrainedFile? Pretrained { get; init; }

    /// <summary>
    /// Published ImageNet-1k top-1 accuracy of trained weights, one entry per width multiplier that has a published value,
    /// each with its source. The zoo's own weights are synthetic: these numbers describe the architecture, not the models
    /// <see cref="ModelZoo.Create(string, ZooOptions?)"/> builds.
    /// </summary>
    public IReadOnlyList<PublishedAccuracy> Accuracy { get; init; } = [];

    /// <summary>The published accuracy at a width multiplier (null for 1.0), or null where none is published.</summary>
    /// <param name="widthMultiplier">The width multiplier; null means 1.0.</param>
    /// <returns>The entry, or null.</returns>
    public PublishedAccuracy? AccuracyAt(double? widthMultiplier) =>
        Accuracy.FirstOrDefault(a => Math.Abs(a.WidthMultiplier - (widthMultiplier ?? 1.0)) < 1e-9);

    internal Func<NetworkBuilder, string> Architecture { get; init; } = _ => throw new InvalidOperationException("No architecture.");

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Family}, {ReferenceParameters:N0} parameters, {ReferenceMacs / 1e6:N0} M MACs)";
}

/// <summary>A published ImageNet-1k (ILSVRC-2012 validation) accuracy of trained weights of an architecture.</summary>
/// <param name="Top1">Top-1 accuracy in percent (0 to 100).</param>
/// <param name="WidthMultiplier">The width multiplier the value is for (1.0 for families without one).</param>
/// <param name="Resolution">The input height and width it was evaluated at.</param>
/// <param name="Source">Where the value is published (documentation page or paper, with the table).</param>
public sealed record PublishedAccuracy(double Top1, double WidthMultiplier, int Resolution, string Source);

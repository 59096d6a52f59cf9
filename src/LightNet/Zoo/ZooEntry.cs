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

    internal Func<NetworkBuilder, string> Architecture { get; init; } = _ => throw new InvalidOperationException("No architecture.");

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Family}, {ReferenceParameters:N0} parameters, {ReferenceMacs / 1e6:N0} M MACs)";
}

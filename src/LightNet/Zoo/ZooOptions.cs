namespace LightNet.Zoo;

/// <summary>How to build a zoo network: classes, resolution, batch, width and the seed of its synthetic weights.</summary>
public sealed record ZooOptions
{
    /// <summary>The defaults: 1000 classes, the family's resolution, batch 1, width 1.0, seed 42, opset 17.</summary>
    public static ZooOptions Default { get; } = new();

    /// <summary>Number of output classes (default 1000, ImageNet).</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>Input height and width in pixels; null uses the family's default (224, or 299 for Inception v3).</summary>
    public int? Resolution { get; init; }

    /// <summary>Batch size fixed in the input shape (default 1).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Width multiplier for the families that have one (MobileNet α, ShuffleNet v2 size); null uses 1.0.
    /// Other families accept only null or 1.0.
    /// </summary>
    public double? WidthMultiplier { get; init; }

    /// <summary>Seed of the synthetic weights; the same seed gives byte-identical models.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>ONNX opset of the emitted model (13 to 21; default 17).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>
    /// When true (default), BatchNormalization statistics and affine values get small seeded noise so that no
    /// BN layer is an identity (which a backend could otherwise fold away unrealistically).
    /// </summary>
    public bool BatchNormNoise { get; init; } = true;

    internal void Validate(ZooEntry entry)
    {
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Zoo model '{entry.Name}': {message}.");
            }
        }

        Check(Classes is >= 1 and <= 1_000_000, $"classes must be between 1 and 1000000, not {Classes}");
        Check(BatchSize is >= 1 and <= 4096, $"batch size must be between 1 and 4096, not {BatchSize}");
        Check(Resolution is null || (Resolution >= entry.MinResolution && Resolution <= 4096),
            $"resolution {Resolution} is outside {entry.MinResolution} to 4096");
        Check(Opset is >= 13 and <= 21, $"opset must be between 13 and 21, not {Opset}");
        Check(WidthMultiplier is null || WidthMultiplier == 1.0 || entry.WidthMultipliers.Contains(WidthMultiplier.Value),
            $"width multiplier {WidthMultiplier} is not one of {(entry.WidthMultipliers.Count == 0 ? "1.0 (this family has no width multiplier)" : string.Join(", ", entry.WidthMultipliers))}");
    }
}

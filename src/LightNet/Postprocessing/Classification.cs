using System.Globalization;

namespace LightNet.Postprocessing;

/// <summary>One class of a classifier's answer.</summary>
/// <param name="Index">The class index in the model's output.</param>
/// <param name="Label">The class name (for ImageNet, the first synonym: "tabby", "coffee mug").</param>
/// <param name="Probability">The probability (or score, when the output was not turned into probabilities), 0–1.</param>
public sealed record Classification(int Index, string Label, float Probability)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Label} ({Index}): {Probability * 100:F1}%");
}

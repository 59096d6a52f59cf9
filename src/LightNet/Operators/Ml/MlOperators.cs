namespace LightNet.Operators.Ml;

/// <summary>The ai.onnx.ml operator group (classic machine-learning operators): one file per operator in this folder.</summary>
internal static class MlOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new ArrayFeatureExtractor(),
        new Binarizer(),
    ];
}

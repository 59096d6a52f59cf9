namespace LightNet.Operators.NeuralNet;

/// <summary>The NeuralNet operator group: one file per operator in this folder.</summary>
internal static class NeuralNetOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new AffineGrid(),
        new AveragePool(),
        new Col2Im(),
        new Conv(),
        new ConvTranspose(),
        new DeformConv(),
        new GlobalAveragePool(),
        new GlobalLpPool(),
        new GlobalMaxPool(),
        new GridSample(),
        new LpPool(),
        new LRN(),
        new MaxPool(),
        new MaxRoiPool(),
        new MaxUnpool(),
        new NonMaxSuppression(),
        new Resize(),
        new RoiAlign(),
        new Upsample(),
    ];
}

namespace LightNet.Operators.Normalization;

/// <summary>The Normalization operator group: one file per operator in this folder.</summary>
internal static class NormalizationOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new BatchNormalization(),
        new InstanceNormalization(),
        new LayerNormalization(),
        new GroupNormalization(),
        new RMSNormalization(),
        new LpNormalization(),
        new MeanVarianceNormalization(),
        new Dropout(),
        new RotaryEmbedding(),
        new Attention(),
        new RNN(),
        new GRU(),
        new LSTM(),
    ];
}

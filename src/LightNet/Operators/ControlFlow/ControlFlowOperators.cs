namespace LightNet.Operators.ControlFlow;

/// <summary>The ControlFlow operator group: one file per operator in this folder.</summary>
internal static class ControlFlowOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new Bernoulli(),
        new BlackmanWindow(),
        new CenterCropPad(),
        new ConcatFromSequence(),
        new DFT(),
        new HammingWindow(),
        new HannWindow(),
        new If(),
        new Loop(),
        new MelWeightMatrix(),
        new Multinomial(),
        new Optional(),
        new OptionalGetElement(),
        new OptionalHasElement(),
        new RandomNormal(),
        new RandomNormalLike(),
        new RandomUniform(),
        new RandomUniformLike(),
        new RegexFullMatch(),
        new Scan(),
        new SequenceAt(),
        new SequenceConstruct(),
        new SequenceEmpty(),
        new SequenceErase(),
        new SequenceInsert(),
        new SequenceLength(),
        new SequenceMap(),
        new SplitToSequence(),
        new STFT(),
        new StringConcat(),
        new StringNormalizer(),
        new StringSplit(),
        new TfIdfVectorizer(),
        new Unique(),
    ];
}

namespace LightNet.Compression;

/// <summary>Options of <see cref="Float16Converter.Convert"/>. Immutable: change with <c>with</c>.</summary>
public sealed record Float16Options
{
    /// <summary>Ops kept in FP32 by default: those whose FP16 form is missing or loses too much (range reductions, normalisations, index ops).</summary>
    public static IReadOnlyList<string> DefaultBlockedOpTypes { get; } =
    [
        "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer",
        "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "RandomUniformLike", "SVMClassifier",
        "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression", "TopK",
        "RoiAlign", "Resize", "Range", "CumSum", "Min", "Max", "Upsample", "Loop", "If", "Scan",
    ];

    /// <summary>The default options: inputs and outputs stay FP32, <see cref="DefaultBlockedOpTypes"/> blocked.</summary>
    public static Float16Options Default { get; } = new();

    /// <summary>Graph inputs and outputs keep their float type; Cast nodes convert at the edges.</summary>
    public bool KeepIOTypes { get; init; } = true;

    /// <summary>Op types that stay in FP32; null for <see cref="DefaultBlockedOpTypes"/>.</summary>
    public IReadOnlyList<string>? BlockedOpTypes { get; init; }

    /// <summary>Node names that stay in FP32.</summary>
    public IReadOnlyList<string> BlockedNodes { get; init; } = [];

    /// <summary>Nonzero constants whose magnitude is below this become ± this value (FP16's smallest normal is 6.1e-5).</summary>
    public float MinPositiveValue { get; init; } = 1e-7f;

    /// <summary>Constants whose magnitude is above this become ± this value (FP16's largest is 65504).</summary>
    public float MaxFiniteValue { get; init; } = 65504f;

    /// <summary>Receives a warning naming every constant clamped to FP16's range; null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BlockedNodes is null) errors.Add("BlockedNodes must not be null.");
        if (!(MinPositiveValue >= 0 && MinPositiveValue < 1)) errors.Add($"MinPositiveValue must be in [0, 1) (got {MinPositiveValue}).");
        if (!(MaxFiniteValue > 1 && MaxFiniteValue <= 65504f)) errors.Add($"MaxFiniteValue must be above 1 and at most 65504 (got {MaxFiniteValue}).");
        return errors;
    }

    internal void ThrowIfInvalid()
    {
        IReadOnlyList<string> errors = Validate();
        if (errors.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid FP16 options: " + string.Join(" ", errors));
        }
    }
}

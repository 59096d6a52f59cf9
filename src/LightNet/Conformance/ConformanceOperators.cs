namespace LightNet.Conformance;

/// <summary>Decides which operator a test case is counted under in per-operator tables.</summary>
/// <remarks>
/// <para>The rule, in order:</para>
/// <list type="number">
/// <item>When the case's folder name (without <c>test_</c>) starts with the name of a standard ONNX operator written in lower case
/// with or without underscores, up to an underscore or the end (<c>test_reduce_sum_keepdims</c> → ReduceSum,
/// <c>test_maxpool_2d_pads</c> → MaxPool; also the short names <c>sce</c>, <c>nllloss</c>, <c>mvn</c>, <c>batchnorm</c> and <c>instancenorm</c>),
/// that operator; the longest such name wins. A case whose name contains
/// <c>_expanded</c> (the function-expanded form of the operator, built from other operators) is counted under
/// <c>Op (expanded)</c>, so that it does not hide how the operator itself does.</item>
/// <item>Otherwise, when the model has one op type (ignoring Constant), that op type (<c>test_batchnorm_epsilon</c> → BatchNormalization,
/// <c>test_Conv2d_groups</c> → Conv).</item>
/// <item>Otherwise the model's op types joined with <c>+</c> in the order they first appear (at most four, then <c>+…</c>);
/// <c>(unknown)</c> when the model could not be read.</item>
/// </list>
/// </remarks>
public static class ConformanceOperators
{
    private static readonly string[] Standard =
    [
        "Abs", "Acos", "Acosh", "Adagrad", "Adam", "Add", "AffineGrid", "And", "ArgMax", "ArgMin", "ArrayFeatureExtractor", "Asin", "Asinh",
        "Atan", "Atanh", "Attention", "AveragePool", "BatchNormalization", "Bernoulli", "Binarizer", "BitShift", "BitwiseAnd", "BitwiseNot",
        "BitwiseOr", "BitwiseXor", "BitCast", "BlackmanWindow", "Cast", "CastLike", "CastMap", "CategoryMapper", "CausalConvWithState", "Ceil", "Celu", "CenterCropPad", "Clip",
        "Col2Im", "Compress", "Concat", "ConcatFromSequence", "Constant", "ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos",
        "Cosh", "CumProd", "CumSum", "DeformConv", "DepthToSpace", "DequantizeLinear", "Det", "DFT", "DictVectorizer", "Div", "Dropout",
        "DynamicQuantizeLinear", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "FeatureVectorizer", "Flatten", "FlexAttention", "Floor", "Gather",
        "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Gradient", "Greater",
        "GreaterOrEqual", "GridSample", "GroupNormalization", "GRU", "HammingWindow", "HannWindow", "Hardmax", "HardSigmoid", "HardSwish",
        "Identity", "If", "ImageDecoder", "Imputer", "InstanceNormalization", "IsInf", "IsNaN", "LabelEncoder", "LayerNormalization", "LeakyRelu",
        "Less", "LinearAttention", "LessOrEqual", "LinearClassifier", "LinearRegressor", "Log", "LogSoftmax", "Loop", "LpNormalization", "LpPool", "LRN", "LSTM",
        "MatMul", "MatMulInteger", "Max", "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "MelWeightMatrix", "Min",
        "Mish", "Mod", "Momentum", "Mul", "Multinomial", "Neg", "NegativeLogLikelihoodLoss", "NonMaxSuppression", "NonZero", "Normalizer", "Not",
        "OneHot", "OneHotEncoder", "Optional", "OptionalGetElement", "OptionalHasElement", "Or", "Pad", "Pow", "PRelu", "QLinearConv",
        "QLinearMatMul", "QuantizeLinear", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Range", "Reciprocal",
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
        "ReduceSumSquare", "RegexFullMatch", "Relu", "Reshape", "Resize", "ReverseSequence", "RMSNormalization", "RNN", "RoiAlign",
        "RotaryEmbedding", "Round", "Scaler", "Scan", "Scatter", "ScatterElements", "ScatterND", "Selu", "SequenceAt", "SequenceConstruct",
        "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength", "SequenceMap", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh",
        "Size", "Slice", "Softmax", "SoftmaxCrossEntropyLoss", "Softplus", "Softsign", "SpaceToDepth", "Split", "SplitToSequence", "Sqrt",
        "Squeeze", "STFT", "StringConcat", "StringNormalizer", "StringSplit", "Sub", "Sum", "Swish", "SwiGLU", "Tan", "Tanh", "TensorScatter",
        "TfIdfVectorizer", "ThresholdedRelu", "Tile", "TopK", "Transpose", "TreeEnsemble", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
        "Trilu", "Unique", "Unsqueeze", "Upsample", "Where", "Xor",
    ];

    // Lower-case name without underscores → operator; also the snake_case spelling ("reduce_sum" → "reducesum" after joining).
    // Short names the ONNX test folders use for some operators.
    private static readonly (string Folded, string Op)[] Aliases =
    [
        ("sce", "SoftmaxCrossEntropyLoss"), ("nllloss", "NegativeLogLikelihoodLoss"), ("mvn", "MeanVarianceNormalization"),
        ("batchnorm", "BatchNormalization"), ("instancenorm", "InstanceNormalization"),
    ];

    private static readonly Dictionary<string, string> ByFoldedName = Standard.Select(s => (Folded: s.ToLowerInvariant(), Op: s)).Concat(Aliases)
        .ToDictionary(x => x.Folded, x => x.Op, StringComparer.Ordinal);

    /// <summary>The operator a case is counted under; see the class remarks for the rule.</summary>
    /// <param name="caseName">The case's folder name, such as <c>test_softmax_axis_0_expanded</c> (a path works too: its last part is used).</param>
    /// <param name="operators">The distinct op types of the case's model in the order they first appear; empty when unknown.</param>
    /// <returns>The operator name, <c>Op (expanded)</c>, a <c>+</c>-joined list or <c>(unknown)</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string GroupKey(string caseName, IReadOnlyList<string> operators)
    {
        ArgumentNullException.ThrowIfNull(caseName);
        ArgumentNullException.ThrowIfNull(operators);
        string name = caseName.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        string stem = name.StartsWith("test_", StringComparison.OrdinalIgnoreCase) ? name[5..] : name;
        string[] parts = stem.ToLowerInvariant().Split('_', StringSplitOptions.RemoveEmptyEntries);
        string? match = null;
        string folded = "";
        for (int i = 0; i < parts.Length; i++)
        {
            folded += parts[i];
            if (ByFoldedName.TryGetValue(folded, out string? op))
            {
                match = op;
            }
        }

        if (match is not null)
        {
            bool expanded = stem.Contains("_expanded", StringComparison.OrdinalIgnoreCase);
            return expanded ? match + " (expanded)" : match;
        }

        var ops = operators.Where(o => o != "Constant").Distinct(StringComparer.Ordinal).ToList();
        if (ops.Count == 0)
        {
            return operators.Count > 0 ? operators[0] : "(unknown)";
        }

        return ops.Count == 1 ? ops[0] : string.Join('+', ops.Take(4)) + (ops.Count > 4 ? "+…" : "");
    }
}

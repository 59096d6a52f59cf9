namespace LightNet.Compression;

/// <summary>How the range of each activation tensor is chosen from the calibration data.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>The <see cref="QuantizationOptions.Percentile"/> of the absolute values seen (outliers clipped).</summary>
    Percentile,

    /// <summary>The threshold that minimises the KL divergence between the float histogram and its quantized version.</summary>
    Entropy,
}

/// <summary>The integer type and scheme of quantized activations.</summary>
public enum ActivationType
{
    /// <summary>UINT8 with a zero point (asymmetric): the fastest form for ONNX Runtime on x86 CPUs.</summary>
    UInt8Asymmetric,

    /// <summary>INT8 with zero point 0 (symmetric): the form TensorRT and GPUs expect.</summary>
    Int8Symmetric,
}

/// <summary>
/// Options of <see cref="Quantizer.QuantizeStatic"/> and <see cref="Quantizer.QuantizeDynamic"/>. Immutable: change with <c>with</c>.
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>Op types quantized by default: the compute ops and the ops between them that can stay in INT8.</summary>
    public static IReadOnlyList<string> DefaultOpTypes { get; } =
        ["Conv", "Gemm", "MatMul", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Add", "Concat", "Reshape", "Flatten"];

    /// <summary>Per-channel weights, UINT8 activations, MinMax calibration, at most 512 samples.</summary>
    public static QuantizationOptions Default { get; } = new();

    /// <summary>How activation ranges are chosen.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>The percentile (in percent, above 50 and at most 100) used by <see cref="CalibrationMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Histogram bins for <see cref="CalibrationMethod.Percentile"/> and <see cref="CalibrationMethod.Entropy"/> (at least 256).</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>Weights quantized per output channel (axis 0 of Conv, the output axis of Gemm/MatMul) rather than per tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Weights use 7 bits (−64..63) so that CPUs without VNNI cannot overflow their 16-bit accumulation.</summary>
    public bool ReduceRange { get; init; }

    /// <summary>The integer type of activations.</summary>
    public ActivationType ActivationType { get; init; } = ActivationType.UInt8Asymmetric;

    /// <summary>Op types that may be quantized; null for <see cref="DefaultOpTypes"/>.</summary>
    public IReadOnlyList<string>? IncludeOpTypes { get; init; }

    /// <summary>Op types never quantized.</summary>
    public IReadOnlyList<string> ExcludeOpTypes { get; init; } = [];

    /// <summary>Node names never quantized.</summary>
    public IReadOnlyList<string> ExcludeNodes { get; init; } = [];

    /// <summary>Keeps the first compute node (Conv, Gemm or MatMul) in float.</summary>
    public bool KeepFirstLayerFloat { get; init; }

    /// <summary>Keeps the last compute node (Conv, Gemm or MatMul) in float.</summary>
    public bool KeepLastLayerFloat { get; init; }

    /// <summary>Most calibration samples read; the rest are ignored.</summary>
    public int MaxCalibrationSamples { get; init; } = 512;

    /// <summary>Largest number of intermediate tensors read back per calibration pass; more tensors take more passes over the data.</summary>
    public int MaxTensorsPerPass { get; init; } = 256;

    /// <summary>Folds BatchNormalization into the preceding Conv before quantizing.</summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>Where quantization logs each step (calibration, skipped samples, nodes quantized); null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Method)) errors.Add($"Method {Method} is not a calibration method.");
        if (!Enum.IsDefined(ActivationType)) errors.Add($"ActivationType {ActivationType} is not an activation type.");
        if (!(Percentile > 50 && Percentile <= 100)) errors.Add($"Percentile must be above 50 and at most 100 (got {Percentile}).");
        if (HistogramBins < 256 || HistogramBins > 1 << 20) errors.Add($"HistogramBins must be 256 to 1048576 (got {HistogramBins}).");
        if (MaxCalibrationSamples < 1) errors.Add($"MaxCalibrationSamples must be at least 1 (got {MaxCalibrationSamples}).");
        if (MaxTensorsPerPass < 1) errors.Add($"MaxTensorsPerPass must be at least 1 (got {MaxTensorsPerPass}).");
        if (ExcludeOpTypes is null || ExcludeNodes is null) errors.Add("ExcludeOpTypes and ExcludeNodes must not be null.");
        if (IncludeOpTypes is { Count: 0 }) errors.Add("IncludeOpTypes is empty: nothing could be quantized (use null for the default list).");
        return errors;
    }

    internal void ThrowIfInvalid()
    {
        IReadOnlyList<string> errors = Validate();
        if (errors.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid quantization options: " + string.Join(" ", errors));
        }
    }
}

/// <summary>Progress of calibration: samples run so far, in which pass.</summary>
/// <param name="Pass">The pass over the calibration data (1-based).</param>
/// <param name="Passes">Passes planned.</param>
/// <param name="Samples">Samples run in this pass.</param>
/// <param name="TotalSamples">Samples per pass when known, else null.</param>
public readonly record struct CalibrationProgress(int Pass, int Passes, int Samples, int? TotalSamples);

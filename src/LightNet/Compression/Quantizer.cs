using LightNet.Onnx.Protos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet.Compression;

/// <summary>
/// Post-training INT8 quantization of ONNX models, in the QDQ format (QuantizeLinear/DequantizeLinear pairs) that
/// ONNX Runtime turns into integer kernels (QLinearConv, QLinearMatMul, ...).
/// </summary>
public static class Quantizer
{
    /// <summary>
    /// Static quantization: folds BatchNormalization into Conv, runs the calibration data through the model to find each
    /// activation's range, and returns a QDQ model with INT8 weights (per channel by default) and UINT8 or INT8 activations.
    /// </summary>
    /// <param name="model">A float model.</param>
    /// <param name="calibration">Representative inputs.</param>
    /// <param name="options">Options; null for <see cref="QuantizationOptions.Default"/>.</param>
    /// <param name="progress">Receives the calibration progress; may be null.</param>
    /// <param name="cancellationToken">Stops calibration between samples.</param>
    /// <returns>The quantized model. Each step is logged to <see cref="QuantizationOptions.LoggerFactory"/>.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options, an empty calibration set, an
    /// already-quantized model or one without a quantizable op; the calibration data's errors.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="calibration"/> is null.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static Model QuantizeStatic(Model model, CalibrationData calibration, QuantizationOptions? options = null,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= QuantizationOptions.Default;
        options.ThrowIfInvalid();
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Quantizer).FullName!);
        using System.Diagnostics.Activity? activity = Telemetry.LightNetTelemetry.Start("lightnet.quantize");
        activity?.SetTag("lightnet.quantization", "static");
        ModelProto proto = Prepare(model, "static quantization", logger);
        List<NodeProto> selected = QdqWriter.Select(proto.Graph, options);
        if (!selected.Any(n => n.OpType is "Conv" or "Gemm" or "MatMul"))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The model has no quantizable Conv, Gemm or MatMul node left after the include/exclude lists and first/last-layer options "
                + $"(its ops: {string.Join(", ", proto.Graph.Node.Select(n => n.OpType).Distinct())}).");
        }

        List<string> tensors = QdqWriter.ActivationTensors(proto.Graph, selected);
        logger.LogInformation("Calibrating {Tensors} tensors of {Nodes} nodes with {Method} on {Data}", tensors.Count, selected.Count, options.Method, calibration.Description);
        Dictionary<string, TensorRange> ranges = Calibrator.Calibrate(proto, tensors, calibration, options, progress, logger, cancellationToken);
        if (calibration.Skipped.Count > 0)
        {
            logger.LogWarning("Skipped {Count} calibration samples: {Skipped}", calibration.Skipped.Count, string.Join("; ", calibration.Skipped));
        }

        new QdqWriter(proto.Graph, options).Write(selected, ranges);
        Mark(proto, $"int8-static {(options.PerChannel ? "per-channel" : "per-tensor")} {options.Method} {options.ActivationType}{(options.ReduceRange ? " reduce-range" : "")}");
        logger.LogInformation("Quantized {Nodes} nodes", selected.Count);
        return ProtoGraph.ToModel(proto, "quantized model");
    }

    private static ModelProto Prepare(Model model, string what, ILogger logger)
    {
        ModelProto proto = ProtoGraph.CloneProto(model);
        ProtoGraph.ThrowIfQuantized(proto, what);
        long opset = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();
        if (opset < 13)
        {
            logger.LogInformation("Raising opset {From} to 13 for per-channel QuantizeLinear/DequantizeLinear", opset);
            ProtoGraph.UpgradeOpset(proto, 13);
        }

        int folded = ProtoGraph.FoldBatchNorm(proto.Graph);
        if (folded > 0) logger.LogInformation("Folded {Count} BatchNormalization nodes into Conv", folded);
        return proto;
    }

    private static void Mark(ModelProto proto, string method)
    {
        proto.ProducerName = "LightNet";
        proto.ProducerVersion = typeof(Quantizer).Assembly.GetName().Version?.ToString(3) ?? "0";
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "lightnet.compression", Value = method });
    }

    /// <summary>
    /// Dynamic (weight-only) quantization for Gemm/MatMul-heavy models: their constant weights become INT8 behind a
    /// DequantizeLinear, activations stay float. No calibration data is needed. The file is about 4 times smaller; ONNX Runtime
    /// dequantizes such weights once at load (constant folding), so it runs at FP32 speed — this form trades no accuracy for speed.
    /// </summary>
    /// <param name="model">A float model.</param>
    /// <param name="options">Options (PerChannel, ReduceRange, include and exclude lists); null for the defaults.</param>
    /// <returns>The quantized model. Each step is logged to <see cref="QuantizationOptions.LoggerFactory"/>.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options, an already-quantized model or one
    /// without a Gemm/MatMul with constant weights.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static Model QuantizeDynamic(Model model, QuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= QuantizationOptions.Default;
        options.ThrowIfInvalid();
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Quantizer).FullName!);
        using System.Diagnostics.Activity? activity = Telemetry.LightNetTelemetry.Start("lightnet.quantize");
        activity?.SetTag("lightnet.quantization", "dynamic");
        ModelProto proto = Prepare(model, "dynamic quantization", logger);
        var weights = proto.Graph.Initializer.Where(t => t.DataType == ProtoGraph.Float).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        List<NodeProto> selected = QdqWriter.Select(proto.Graph, options with { IncludeOpTypes = options.IncludeOpTypes ?? ["Gemm", "MatMul"] })
            .Where(n => n.OpType is "Gemm" or "MatMul" && n.Input.Count > 1 && weights.Contains(n.Input[1])).ToList();
        if (selected.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The model has no Gemm or MatMul node with constant weights to quantize dynamically (its ops: {string.Join(", ", proto.Graph.Node.Select(n => n.OpType).Distinct())}).");
        }

        // Weight-only QDQ: INT8 weights behind a DequantizeLinear, activations left in float. No ranges are needed.
        new QdqWriter(proto.Graph, options).Write(selected, new Dictionary<string, TensorRange>(StringComparer.Ordinal));
        Mark(proto, $"int8-dynamic weight-only {(options.PerChannel ? "per-channel" : "per-tensor")}{(options.ReduceRange ? " reduce-range" : "")}");
        logger.LogInformation("Quantized the weights of {Nodes} Gemm/MatMul nodes", selected.Count);
        return ProtoGraph.ToModel(proto, "quantized model");
    }
}

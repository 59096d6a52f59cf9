using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Compression;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// INT8 vs FP32 on ONNX Runtime CPU, one thread, 224×224: each zoo model as built (FP32) and statically quantized by
/// <see cref="Quantizer.QuantizeStatic"/> (QDQ, per-channel, reduce-range for CPUs without VNNI, 8 synthetic calibration
/// samples). ONNX Runtime turns the QDQ pairs into QLinearConv and friends at session creation.
/// <c>dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*Quantization*' --quick</c>
/// </summary>
public class QuantizationBenchmarks
{
    private IInferenceSession? _session;
    private IPreparedRun? _run;

    /// <summary>The zoo model.</summary>
    [Params("resnet18", "mobilenet_v2")]
    public string Model { get; set; } = "";

    /// <summary>fp32 (as built) or int8 (static QDQ).</summary>
    [Params("fp32", "int8")]
    public string Precision { get; set; } = "";

    /// <summary>Builds (and quantizes) the model, creates a one-thread ort-cpu session and prepares seeded inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        LightNet.Model model = ModelZoo.Create(Model);
        if (Precision == "int8")
        {
            model = Quantizer.QuantizeStatic(model, CalibrationData.Synthetic(model, 8), new QuantizationOptions { ReduceRange = true });
        }

        _session = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (IReadOnlyDictionary<string, TensorBuffer> sample in CalibrationData.Synthetic(model, 1, seed: 1234).Read(model))
        {
            foreach ((string name, TensorBuffer tensor) in sample) inputs[name] = tensor;
        }

        _run = _session.Prepare(inputs);
    }

    /// <summary>Disposes the prepared run and the session.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _run?.Dispose();
        _session?.Dispose();
    }

    /// <summary>One inference.</summary>
    [Benchmark]
    public void Inference() => _run!.Run();
}

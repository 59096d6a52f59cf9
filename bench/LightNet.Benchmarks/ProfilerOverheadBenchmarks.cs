using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Zoo;
using Microsoft.ML.OnnxRuntime;

namespace LightNet.Benchmarks;

/// <summary>
/// What one timed run of <see cref="Profiling.Profiler.Measure"/> costs next to ONNX Runtime called by hand:
/// <see cref="IPreparedRun.Run"/> (the call the profiler's timed loop wraps) against a raw
/// <see cref="InferenceSession"/> built from the same model bytes with the same session options and run on
/// preallocated <see cref="OrtValue"/>s. The ratio should be 1.00 and LightNet's allocations 0 B.
/// </summary>
[MemoryDiagnoser]
public class ProfilerOverheadBenchmarks
{
    private RawOrtSession? _raw;
    private IInferenceSession? _session;
    private IPreparedRun? _run;

    /// <summary>The zoo model, at 224×224.</summary>
    [Params("squeezenet1_1", "mobilenet_v2")]
    public string Model { get; set; } = "squeezenet1_1";

    /// <summary>Intra-op threads for both sessions.</summary>
    [Params(1)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        Model model = ModelZoo.Create(Model, new ZooOptions { Resolution = 224 });
        _raw = new RawOrtSession(model.ToArray(), Threads);
        _session = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = Threads });
        _run = _session.Prepare(_raw.InputBuffers());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _run?.Dispose();
        _session?.Dispose();
        _raw?.Dispose();
    }

    /// <summary>ONNX Runtime's own API, written by hand: Run with preallocated input and output OrtValues.</summary>
    [Benchmark(Baseline = true)]
    public void HandWrittenOrtRun() => _raw!.Run();

    /// <summary>Exactly what the profiler's timed loop times.</summary>
    [Benchmark]
    public void LightNetPreparedRun() => _run!.Run();
}

/// <summary>
/// A raw ONNX Runtime session, set up the way LightNet's ort-cpu backend sets up its own (IntraOpNumThreads,
/// ORT_ENABLE_ALL), with seeded inputs and outputs allocated once as <see cref="OrtValue"/>s.
/// </summary>
internal sealed class RawOrtSession : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[][] _inputData;
    private readonly long[][] _inputShapes;
    private readonly OrtValue[] _inputValues;
    private readonly OrtValue[] _outputValues;

    /// <param name="modelBytes">The serialized model (what LightNet's backend hands ONNX Runtime).</param>
    /// <param name="threads">Intra-op threads.</param>
    /// <param name="seed">Seed of the inputs: uniform in [-2.12, 2.64], the range of torchvision-normalised images.</param>
    public RawOrtSession(byte[] modelBytes, int threads, int seed = 1234)
    {
        _options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(modelBytes, _options);
        _inputNames = _session.InputMetadata.Keys.ToArray();
        _outputNames = _session.OutputMetadata.Keys.ToArray();
        _inputData = new float[_inputNames.Length][];
        _inputShapes = new long[_inputNames.Length][];
        _inputValues = new OrtValue[_inputNames.Length];
        for (int i = 0; i < _inputNames.Length; i++)
        {
            NodeMetadata meta = _session.InputMetadata[_inputNames[i]];
            if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
            {
                throw new NotSupportedException($"Input '{_inputNames[i]}' is {meta.ElementDataType}; the benchmark feeds float inputs only.");
            }

            long[] shape = meta.Dimensions.Select(d => d > 0 ? (long)d : 1L).ToArray();
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            var random = new Random(seed + i);
            for (int k = 0; k < data.Length; k++)
            {
                data[k] = -2.12f + 4.76f * random.NextSingle();
            }

            _inputData[i] = data;
            _inputShapes[i] = shape;
            _inputValues[i] = OrtValue.CreateTensorValueFromMemory(data, shape);
        }

        // One ordinary run tells the output shapes (as LightNet's Prepare does); then the outputs are allocated once.
        _outputValues = new OrtValue[_outputNames.Length];
        using (IDisposableReadOnlyCollection<OrtValue> first = _session.Run(_runOptions, _inputNames, _inputValues, _outputNames))
        {
            int k = 0;
            foreach (OrtValue value in first)
            {
                OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
                _outputValues[k++] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, info.ElementDataType, info.Shape);
            }
        }
    }

    /// <summary>Copies of the inputs as LightNet buffers (same names, shapes and values).</summary>
    public Dictionary<string, TensorBuffer> InputBuffers()
    {
        var buffers = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        for (int i = 0; i < _inputNames.Length; i++)
        {
            buffers[_inputNames[i]] = TensorBuffer.FromFloats(_inputData[i], _inputShapes[i]);
        }

        return buffers;
    }

    /// <summary>One inference into the preallocated outputs.</summary>
    public void Run() => _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);

    public void Dispose()
    {
        foreach (OrtValue v in _inputValues.Concat(_outputValues))
        {
            v?.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}

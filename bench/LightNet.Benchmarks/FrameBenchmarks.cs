using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Telemetry;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// The camera loop, with MemoryDiagnoser: a 640×480 NV12 frame into the preprocessor, and through a Classifier
/// (squeezenet1_1 at 112×112 on cpu-simd, one thread). Both must show 0 B allocated per operation (out of process, once
/// the JIT has tiered up: run with <c>--warmupCount 10</c> or BDN's default job), as <see cref="Control"/> does.
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly byte[] _nv12 = new byte[640 * 480 * 3 / 2];
    private ImagePreprocessor _preprocessor = null!;
    private TensorBuffer _tensor = null!;
    private Classifier _classifier = null!;
    private readonly (int Index, float Probability)[] _top = new (int, float)[5];

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_nv12);
        _classifier = new Classifier(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 112 }), Backend.Parse("cpu-simd:threads=1"));
        _preprocessor = _classifier.Preprocessor;
        _tensor = _preprocessor.CreateBuffer();
    }

    [GlobalCleanup]
    public void Cleanup() => _classifier.Dispose();

    /// <summary>NV12 → RGB → resize, crop, normalise into a caller's tensor.</summary>
    [Benchmark]
    public void Nv12Preprocess() => _preprocessor.ProcessInto(YuvFrame.Nv12(_nv12, 640, 480), _tensor);

    /// <summary>NV12 frame → top-5 classes, through Classifier.ClassifyInto.</summary>
    [Benchmark]
    public int ClassifyNv12() => _classifier.ClassifyInto(YuvFrame.Nv12(_nv12, 640, 480), _top);

    /// <summary>
    /// The control: a 3 ms busy wait that allocates nothing. What MemoryDiagnoser reports for it is the harness's own
    /// allocation per iteration (the in-process toolchain counts every thread of the process) spread over the operations.
    /// </summary>
    [Benchmark]
    public long Control()
    {
        long end = Stopwatch.GetTimestamp() + (3 * Stopwatch.Frequency / 1000);
        long now;
        while ((now = Stopwatch.GetTimestamp()) < end)
        {
        }

        return now;
    }
}

/// <summary>
/// What LightNet's telemetry costs per inference: the session itself, the instrumented wrapper while nothing listens
/// (a backend parsed while a listener was attached, the listener since gone), and with a MeterListener recording every
/// measurement. squeezenet1_1 at 64×64 on cpu-simd, one thread: a short inference, where a fixed cost shows most.
/// </summary>
[MemoryDiagnoser]
public class TelemetryOverheadBenchmarks
{
    private IInferenceSession _plain = null!;
    private IInferenceSession _instrumented = null!;
    private IPreparedRun _plainRun = null!;
    private IPreparedRun _instrumentedRun = null!;
    private MeterListener? _listener;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64 });
        _plain = Backend.Parse("cpu-simd:threads=1").CreateSession(model);
        _instrumented = CreateInstrumentedSession(model, "cpu-simd:threads=1");

        if (Listening)
        {
            _listener = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == LightNetTelemetry.Name) l.EnableMeasurementEvents(i); } };
            _listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
            _listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
            _listener.Start();
        }

        var inputs = new Dictionary<string, TensorBuffer> { [_plain.Inputs[0].Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 64, 64]) };
        _plainRun = _plain.Prepare(inputs);
        _instrumentedRun = _instrumented.Prepare(inputs);
    }

    /// <summary>
    /// A session of an instrumented backend: parsed while an ActivityListener listened to LightNet, the listener gone
    /// before the session runs (so the wrapper is there, and nothing listens).
    /// </summary>
    internal static IInferenceSession CreateInstrumentedSession(Model model, string backend)
    {
        using var parseListener = new ActivityListener { ShouldListenTo = s => s.Name == LightNetTelemetry.Name };
        ActivitySource.AddActivityListener(parseListener);
        return Backend.Parse(backend).CreateSession(model);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _plainRun.Dispose();
        _instrumentedRun.Dispose();
        _plain.Dispose();
        _instrumented.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Plain() => _plainRun.Run();

    [Benchmark]
    public void Instrumented() => _instrumentedRun.Run();
}

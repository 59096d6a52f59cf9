using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LightNet.Backends;
using LightNet.Engine;
using LightNet.Onnx;
using LightNet.Telemetry;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Telemetry;

/// <summary>
/// Runs alone: a listener on "LightNet" changes what Backend.Parse returns for every test in the process (sessions
/// become instrumented), which other tests that look at the concrete session type must not see.
/// </summary>
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    private static readonly Model s_model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });

    [Fact]
    public void Without_a_listener_backends_and_sessions_are_unwrapped()
    {
        Backend backend = Backend.Parse("cpu-simd");
        Assert.IsType<CpuSimdBackend>(backend);
        using IInferenceSession session = backend.CreateSession(s_model, new InferenceOptions { Threads = 1 });
        Assert.IsNotType<InstrumentedSession>(session);
    }

    [Fact]
    public void Meter_records_duration_count_errors_and_load_with_the_model_backend_and_precision_tags()
    {
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LightNetTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Add((i.Name, v, ToDictionary(tags))));
        listener.Start();

        Backend backend = Backend.Parse("cpu-simd");
        Assert.IsType<InstrumentedBackend>(backend);
        Assert.Equal("cpu-simd", backend.Name);
        using IInferenceSession session = backend.CreateSession(s_model, new InferenceOptions { Threads = 1 });
        var inputs = new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 64, 64]) };
        session.Run(inputs);
        using (IPreparedRun run = session.Prepare(inputs))
        {
            run.Run();
            run.Run();
        }

        var wrong = new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 64]) };
        Assert.Throws<LightNetException>(() => session.Run(wrong));
        listener.Dispose();

        var mine = measurements.Where(m => (string?)m.Tags.GetValueOrDefault("lightnet.model") == s_model.Graph.Name).ToArray();
        var durations = mine.Where(m => m.Instrument == "lightnet.inference.duration").ToArray();
        Assert.Equal(4, durations.Length);
        Assert.All(durations, d => Assert.InRange(d.Value, 1e-7, 10));
        Assert.All(durations, d =>
        {
            Assert.Equal("cpu-simd", d.Tags["lightnet.backend"]);
            Assert.Equal("fp32", d.Tags["lightnet.precision"]);
        });
        Assert.Equal(4, mine.Where(m => m.Instrument == "lightnet.inference.count").Sum(m => m.Value));
        var error = Assert.Single(mine, m => m.Instrument == "lightnet.inference.errors");
        Assert.Equal(1, error.Value);
        Assert.Equal(nameof(ErrorCode.InvalidShape), error.Tags["error.type"]);
        var load = Assert.Single(mine, m => m.Instrument == "lightnet.session.load.duration");
        Assert.InRange(load.Value, 1e-6, 60);
    }

    [Fact]
    public void Spans_cover_model_load_session_creation_and_sampled_runs()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == LightNetTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        int interval = LightNetTelemetry.RunSpanInterval;
        try
        {
            LightNetTelemetry.RunSpanInterval = 3;
            Model model = Model.Load(s_model.ToArray().AsMemory(), sourceName: "tiny.onnx");
            Backend backend = Backend.Parse("cpu-simd");
            using IInferenceSession session = backend.CreateSession(model, new InferenceOptions { Threads = 1 });
            var inputs = new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 64, 64]) };
            using IPreparedRun run = session.Prepare(inputs);
            for (int i = 0; i < 7; i++) run.Run(); // runs 1, 4 and 7 of the session are sampled

            using (var parent = new Activity("request").Start())
            {
                run.Run(); // inside another span: always
            }
        }
        finally
        {
            LightNetTelemetry.RunSpanInterval = interval;
        }

        Assert.Contains(spans, s => s.OperationName == "lightnet.model.load" && (string?)s.GetTagItem("lightnet.model.source") == "Model 'tiny.onnx'");
        Activity create = Assert.Single(spans, s => s.OperationName == "lightnet.session.create");
        Assert.Equal("cpu-simd", create.GetTagItem("lightnet.backend"));
        Activity[] runs = spans.Where(s => s.OperationName == "lightnet.inference.run").ToArray();
        Assert.Equal(4, runs.Length);
        Assert.Single(runs, r => r.Parent?.OperationName == "request");
    }

    [Fact]
    public void RunSpanInterval_rejects_negative_values() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LightNetTelemetry.RunSpanInterval = -1);

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> tag in tags) d[tag.Key] = tag.Value;
        return d;
    }
}

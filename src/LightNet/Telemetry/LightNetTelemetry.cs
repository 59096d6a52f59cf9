using System.Diagnostics;
using System.Diagnostics.Metrics;
using LightNet.Backends;

namespace LightNet.Telemetry;

/// <summary>
/// LightNet's metrics and traces, for OpenTelemetry or any <see cref="MeterListener"/> / <see cref="ActivityListener"/>:
/// subscribe to the meter and the activity source named <see cref="Name"/> ("LightNet"), for example
/// <c>.AddMeter("LightNet")</c> and <c>.AddSource("LightNet")</c> on OpenTelemetry's builders. See docs/telemetry.md.
/// </summary>
/// <remarks>
/// Instruments: <c>lightnet.inference.duration</c> (histogram, seconds), <c>lightnet.inference.count</c> and
/// <c>lightnet.inference.errors</c> (counters), each tagged <c>lightnet.model</c>, <c>lightnet.backend</c> and
/// <c>lightnet.precision</c> (errors also <c>error.type</c>, the <see cref="ErrorCode"/>); <c>lightnet.session.load.duration</c>
/// (histogram, seconds: session creation, that is graph compilation or ONNX Runtime's session setup). Spans:
/// <c>lightnet.model.load</c>, <c>lightnet.session.create</c>, <c>lightnet.inference.run</c> (sampled, see
/// <see cref="RunSpanInterval"/>), <c>lightnet.download</c>, <c>lightnet.quantize</c>.
/// Sessions are instrumented when they are created from a backend that <see cref="Backend.Parse"/> returned while something
/// listened to "LightNet": attach the listener (build the OpenTelemetry providers) at start-up, before parsing backends.
/// With nothing listening, sessions are LightNet's own, unwrapped: no cost at all.
/// </remarks>
public static class LightNetTelemetry
{
    /// <summary>The name of the meter and of the activity source: "LightNet".</summary>
    public const string Name = "LightNet";

    private static readonly string? s_version = typeof(LightNetTelemetry).Assembly.GetName().Version?.ToString();
    private static int s_runSpanInterval = 100;

    /// <summary>The activity source of LightNet's spans.</summary>
    public static ActivitySource Source { get; } = new(Name, s_version);

    /// <summary>The meter of LightNet's instruments.</summary>
    public static Meter Meter { get; } = new(Name, s_version);

    // Bucket boundaries for latencies from 100 µs to 10 s (OpenTelemetry's default boundaries start at 5 ms... 10 s in
    // milliseconds-sized steps, too coarse for millisecond inference measured in seconds).
    private static readonly InstrumentAdvice<double> s_latencyAdvice = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    internal static readonly Histogram<double> InferenceDuration = Meter.CreateHistogram("lightnet.inference.duration", "s",
        "Duration of one inference (IInferenceSession.Run or IPreparedRun.Run).", advice: s_latencyAdvice);

    internal static readonly Counter<long> InferenceCount = Meter.CreateCounter<long>("lightnet.inference.count", "{inference}",
        "Inferences run, failed ones included.");

    internal static readonly Counter<long> InferenceErrors = Meter.CreateCounter<long>("lightnet.inference.errors", "{inference}",
        "Inferences that threw.");

    internal static readonly Histogram<double> SessionLoadDuration = Meter.CreateHistogram("lightnet.session.load.duration", "s",
        "Duration of session creation (Backend.CreateSession): graph compilation, weight packing, provider setup.", advice: s_latencyAdvice);

    /// <summary>
    /// How run spans are sampled: a run gets a <c>lightnet.inference.run</c> span when it happens inside another span
    /// (an HTTP request, say: <see cref="Activity.Current"/> is set), and otherwise one run in <see cref="RunSpanInterval"/>
    /// per session (default 100; 1 = every run; 0 = only inside another span). OpenTelemetry's sampler decides on top.
    /// Metrics are recorded for every run regardless.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative value.</exception>
    public static int RunSpanInterval
    {
        get => Volatile.Read(ref s_runSpanInterval);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref s_runSpanInterval, value);
        }
    }

    /// <summary>True while anything listens to LightNet's meter or activity source.</summary>
    public static bool IsListening =>
        InferenceDuration.Enabled || InferenceCount.Enabled || InferenceErrors.Enabled || SessionLoadDuration.Enabled || Source.HasListeners();

    /// <summary>The <c>lightnet.model</c> tag of a model: its file name, or its graph name when it was not loaded from a file.</summary>
    /// <param name="model">The model.</param>
    public static string ModelTag(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.SourcePath is { } path ? Path.GetFileName(path) : model.Graph.Name;
    }

    /// <summary>Starts a span named <paramref name="name"/> when anyone samples it; null otherwise.</summary>
    internal static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal) => Source.StartActivity(name, kind);

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="e"/>.</summary>
    internal static void Fail(Activity? activity, Exception e)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, e.Message);
        activity.SetTag("error.type", ErrorType(e));
    }

    /// <summary>The <c>error.type</c> tag: the <see cref="ErrorCode"/> of a LightNet error, else the exception's type.</summary>
    internal static string ErrorType(Exception e) => e is LightNetException l ? l.Code.ToString() : e.GetType().FullName ?? e.GetType().Name;
}

using System.Diagnostics;
using LightNet.Backends;
using LightNet.Profiling;

namespace LightNet.Telemetry;

/// <summary>
/// A backend as <see cref="Backend.Parse"/> hands it out while something listens to "LightNet": everything is the
/// inner backend's, and <see cref="CreateSession"/> times the creation and returns an <see cref="InstrumentedSession"/>.
/// </summary>
internal sealed class InstrumentedBackend : Backend
{
    public InstrumentedBackend(Backend inner)
        : base(inner.Spec)
    {
        Inner = inner;
    }

    public Backend Inner { get; }

    public override BackendKind Kind => Inner.Kind;

    public override Precision Precision => Inner.Precision;

    public override string Device => Inner.Device;

    public override IReadOnlyDictionary<string, string> EffectiveOptions => Inner.EffectiveOptions;

    public override BackendAvailability CheckAvailability() => Inner.CheckAvailability();

    public override BackendAvailability DescribeAvailability() => Inner.DescribeAvailability();

    /// <summary>Wraps <paramref name="backend"/> when anything listens to LightNet's telemetry; returns it as is otherwise.</summary>
    public static Backend WrapIfListening(Backend backend) =>
        backend is InstrumentedBackend || !LightNetTelemetry.IsListening ? backend : new InstrumentedBackend(backend);

    public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tags = new TelemetryTags(LightNetTelemetry.ModelTag(model), Name, Precision);
        using Activity? activity = LightNetTelemetry.Start("lightnet.session.create");
        tags.AddTo(activity);
        long start = Stopwatch.GetTimestamp();
        try
        {
            IInferenceSession session = Inner.CreateSession(model, options);
            LightNetTelemetry.SessionLoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tags.Model, tags.Backend, tags.Precision);
            return new InstrumentedSession(session, tags);
        }
        catch (Exception e)
        {
            LightNetTelemetry.Fail(activity, e);
            throw;
        }
    }
}

/// <summary>The three tags every LightNet instrument carries, built once per session.</summary>
internal sealed class TelemetryTags(string model, string backend, Precision precision)
{
    public KeyValuePair<string, object?> Model { get; } = new("lightnet.model", model);

    public KeyValuePair<string, object?> Backend { get; } = new("lightnet.backend", backend);

    public KeyValuePair<string, object?> Precision { get; } = new("lightnet.precision", precision.ToString().ToLowerInvariant());

    public void AddTo(Activity? activity)
    {
        if (activity is null) return;
        activity.SetTag(Model.Key, Model.Value);
        activity.SetTag(Backend.Key, Backend.Value);
        activity.SetTag(Precision.Key, Precision.Value);
    }
}

/// <summary>
/// A session that records <c>lightnet.inference.*</c> for each run of the session it wraps, and a sampled
/// <c>lightnet.inference.run</c> span (see <see cref="LightNetTelemetry.RunSpanInterval"/>). Allocates nothing per run
/// while no span is sampled.
/// </summary>
internal sealed class InstrumentedSession(IInferenceSession inner, TelemetryTags tags) : IInferenceSession
{
    private long _runs;

    public IInferenceSession Inner => inner;

    public Backend Backend => inner.Backend;

    public SessionSettings EffectiveSettings => inner.EffectiveSettings;

    public IReadOnlyList<TensorSpec> Inputs => inner.Inputs;

    public IReadOnlyList<TensorSpec> Outputs => inner.Outputs;

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        using Activity? activity = StartRunSpan();
        long start = Stopwatch.GetTimestamp();
        try
        {
            IReadOnlyDictionary<string, TensorBuffer> outputs = inner.Run(inputs);
            Record(start, null, activity);
            return outputs;
        }
        catch (Exception e)
        {
            Record(start, e, activity);
            throw;
        }
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs) => new InstrumentedRun(this, inner.Prepare(inputs));

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0) => inner.CollectOperatorProfile(skipFirstRuns);

    public void Dispose() => inner.Dispose();

    internal Activity? StartRunSpan()
    {
        if (!LightNetTelemetry.Source.HasListeners())
        {
            return null;
        }

        int interval = LightNetTelemetry.RunSpanInterval;
        bool sampled = Activity.Current is not null || (interval > 0 && Interlocked.Increment(ref _runs) % interval == 1 % interval);
        if (!sampled)
        {
            return null;
        }

        Activity? activity = LightNetTelemetry.Start("lightnet.inference.run");
        tags.AddTo(activity);
        return activity;
    }

    internal void Record(long start, Exception? error, Activity? activity)
    {
        if (LightNetTelemetry.InferenceDuration.Enabled)
        {
            LightNetTelemetry.InferenceDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tags.Model, tags.Backend, tags.Precision);
        }

        if (LightNetTelemetry.InferenceCount.Enabled)
        {
            LightNetTelemetry.InferenceCount.Add(1, tags.Model, tags.Backend, tags.Precision);
        }

        if (error is not null)
        {
            LightNetTelemetry.InferenceErrors.Add(1, tags.Model, tags.Backend, tags.Precision,
                new KeyValuePair<string, object?>("error.type", LightNetTelemetry.ErrorType(error)));
            LightNetTelemetry.Fail(activity, error);
        }
    }

    private sealed class InstrumentedRun(InstrumentedSession session, IPreparedRun inner) : IPreparedRun
    {
        public IReadOnlyDictionary<string, TensorBuffer> Outputs => inner.Outputs;

        public void Run()
        {
            using Activity? activity = session.StartRunSpan();
            long start = Stopwatch.GetTimestamp();
            try
            {
                inner.Run();
            }
            catch (Exception e)
            {
                session.Record(start, e, activity);
                throw;
            }

            session.Record(start, null, activity);
        }

        public void Dispose() => inner.Dispose();
    }
}

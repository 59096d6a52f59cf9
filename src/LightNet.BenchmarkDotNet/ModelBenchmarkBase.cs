using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Onnx;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// "Benchmark these models on these backends" in a few lines. Derive a public class, override
/// <see cref="Models"/> and <see cref="Backends"/> (and <see cref="ThreadCounts"/> if you like), and run it with
/// BenchmarkDotNet: every model × available backend × thread count becomes one case. <see cref="Model"/>,
/// <see cref="Backend"/> and <see cref="Threads"/> are BenchmarkDotNet parameters (<c>[ParamsSource]</c>);
/// the session, the prepared run and the inputs are created in <c>[GlobalSetup]</c>, and the
/// <see cref="Inference"/> benchmark does nothing but <see cref="IPreparedRun.Run"/> (no allocation per run).
/// </summary>
/// <remarks>
/// BenchmarkDotNet cannot skip a case, so backends that <see cref="LightNetBackend.CheckAvailability"/> rejects
/// on this machine are left out of the parameter list; <see cref="UnavailableBackendsValidator"/> (applied to every
/// derived class) reports each one, with the reason, in BenchmarkDotNet's validation output.
/// Inputs are seeded random values (uniform in [-2.12, 2.64], the range of ImageNet-normalised images, for
/// float inputs); symbolic or unknown dimensions are taken as 1.
/// </remarks>
[ReportUnavailableBackends]
public abstract class ModelBenchmarkBase
{
    private IInferenceSession? _session;
    private IPreparedRun? _run;

    /// <summary>The model of the current case: a zoo name or an absolute .onnx path (see <see cref="BenchmarkModels"/>).</summary>
    [ParamsSource(nameof(ModelValues))]
    public string Model { get; set; } = "";

    /// <summary>The backend of the current case, as <see cref="LightNetBackend.Parse"/> takes it ("ort-cpu", "ort-cpu:opt=none", ...).</summary>
    [ParamsSource(nameof(BackendValues))]
    public string Backend { get; set; } = "";

    /// <summary>Intra-op threads of the current case (<see cref="InferenceOptions.Threads"/>).</summary>
    [ParamsSource(nameof(ThreadValues))]
    public int Threads { get; set; } = 1;

    /// <summary>The models to benchmark: zoo names or .onnx paths. Defaults to mobilenet_v2.</summary>
    public virtual IEnumerable<string> Models => ["mobilenet_v2"];

    /// <summary>The backends to benchmark, by name; those unavailable here are skipped. Defaults to ort-cpu.</summary>
    public virtual IEnumerable<string> Backends => ["ort-cpu"];

    /// <summary>The intra-op thread counts to benchmark. Defaults to 1.</summary>
    public virtual IEnumerable<int> ThreadCounts => [1];

    /// <summary>The values of the <see cref="Model"/> parameter: <see cref="Models"/> with paths made absolute.</summary>
    public IEnumerable<string> ModelValues => Models.Select(BenchmarkModels.Normalize).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The values of the <see cref="Backend"/> parameter: <see cref="Backends"/> that are available on this machine.</summary>
    public IEnumerable<string> BackendValues => AvailableBackends(Backends);

    /// <summary>The values of the <see cref="Threads"/> parameter: <see cref="ThreadCounts"/>.</summary>
    public IEnumerable<int> ThreadValues => ThreadCounts.Distinct().ToArray();

    /// <summary>The session of the current case (after <see cref="Setup"/>).</summary>
    protected IInferenceSession Session => _session ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>The prepared run the benchmark calls (after <see cref="Setup"/>).</summary>
    protected IPreparedRun PreparedRun => _run ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>
    /// Keeps the backends that can run here, in order. Those left out are reported, with the reason
    /// <see cref="LightNetBackend.CheckAvailability"/> gives, by <see cref="UnavailableBackendsValidator"/> in BenchmarkDotNet's
    /// validation output.
    /// </summary>
    /// <param name="names">Backend names.</param>
    /// <returns>The available ones.</returns>
    public static IReadOnlyList<string> AvailableBackends(IEnumerable<string> names) =>
        CheckBackends(names).Where(b => b.Reason is null).Select(b => b.Name).ToArray();

    /// <summary>The backends among <paramref name="names"/> that cannot run here, each with the reason.</summary>
    /// <param name="names">Backend names.</param>
    public static IReadOnlyList<(string Name, string Reason)> UnavailableBackends(IEnumerable<string> names) =>
        CheckBackends(names).Where(b => b.Reason is not null).Select(b => (b.Name, b.Reason!)).ToArray();

    private static IEnumerable<(string Name, string? Reason)> CheckBackends(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names.Distinct(StringComparer.Ordinal))
        {
            string? reason;
            try
            {
                BackendAvailability availability = LightNetBackend.Parse(name).CheckAvailability();
                reason = availability.IsAvailable ? null : availability.Reason;
            }
            catch (LightNetException e)
            {
                reason = e.Message;
            }

            yield return (name, reason);
        }
    }

    /// <summary>The inference options of the current case; by default only <see cref="InferenceOptions.Threads"/> = <see cref="Threads"/>.</summary>
    protected virtual InferenceOptions CreateOptions() => new() { Threads = Threads };

    /// <summary>Creates one input tensor: seeded random values, symbolic or unknown dimensions taken as 1.</summary>
    /// <param name="input">The session's description of the input.</param>
    /// <param name="index">The input's position, used as seed offset.</param>
    protected virtual TensorBuffer CreateInput(TensorSpec input, int index)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] shape = input.Shape.Select(d => d.Value ?? 1L).ToArray();
        TensorBuffer buffer = TensorBuffer.Allocate(input.ElementType, shape);
        var random = new Random(1234 + index);
        switch (input.ElementType)
        {
            case TensorElementType.Float:
                foreach (ref float v in buffer.AsSpan<float>()) v = -2.12f + 4.76f * random.NextSingle();
                break;
            case TensorElementType.Float16:
                foreach (ref Half v in buffer.AsSpan<Half>()) v = (Half)(-2.12f + 4.76f * random.NextSingle());
                break;
            case TensorElementType.UInt8:
                random.NextBytes(buffer.Bytes);
                break;
            default:
                break; // zeros
        }

        return buffer;
    }

    /// <summary>Loads the model, creates the session on the backend, allocates the inputs and prepares the run.</summary>
    [GlobalSetup]
    public virtual void Setup()
    {
        Model model = BenchmarkModels.Load(Model);
        _session = LightNetBackend.Parse(Backend).CreateSession(model, CreateOptions());
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        for (int i = 0; i < _session.Inputs.Count; i++)
        {
            inputs[_session.Inputs[i].Name] = CreateInput(_session.Inputs[i], i);
        }

        _run = _session.Prepare(inputs);
    }

    /// <summary>Disposes the prepared run and the session.</summary>
    [GlobalCleanup]
    public virtual void Cleanup()
    {
        _run?.Dispose();
        _session?.Dispose();
        _run = null;
        _session = null;
    }

    /// <summary>One inference on the preallocated inputs and outputs: <see cref="IPreparedRun.Run"/>, nothing else.</summary>
    [Benchmark]
    public void Inference() => _run!.Run();
}

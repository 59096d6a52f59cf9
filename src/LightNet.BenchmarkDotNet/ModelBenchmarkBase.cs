using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.Onnx;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// "Benchmark these models on these backends" in a few lines. Derive a public class, override
/// <see cref="LightNetBenchmarkBase.Models"/> and <see cref="LightNetBenchmarkBase.Backends"/> (and <see cref="LightNetBenchmarkBase.ThreadCounts"/> if you like), and run it with
/// BenchmarkDotNet: every model × available backend × thread count becomes one case. <see cref="LightNetBenchmarkBase.Model"/>,
/// <see cref="LightNetBenchmarkBase.Backend"/> and <see cref="LightNetBenchmarkBase.Threads"/> are BenchmarkDotNet parameters (<c>[ParamsSource]</c>);
/// the session, the prepared run and the inputs are created in <c>[GlobalSetup]</c>, and the
/// <see cref="Inference"/> benchmark does nothing but <see cref="IPreparedRun.Run"/> (no allocation per run).
/// </summary>
/// <remarks>
/// Backends unavailable here are skipped and reported as <see cref="LightNetBenchmarkBase"/> says.
/// Inputs are seeded random values (uniform in [-2.12, 2.64], the range of ImageNet-normalised images, for
/// float inputs); symbolic or unknown dimensions are taken as 1.
/// </remarks>
public abstract class ModelBenchmarkBase : LightNetBenchmarkBase
{
    private IInferenceSession? _session;
    private IPreparedRun? _run;

    /// <summary>The session of the current case (after <see cref="Setup"/>).</summary>
    protected IInferenceSession Session => _session ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>The prepared run the benchmark calls (after <see cref="Setup"/>).</summary>
    protected IPreparedRun PreparedRun => _run ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>Creates one input tensor: seeded random values, symbolic or unknown dimensions taken as 1.</summary>
    /// <param name="input">The session's description of the input.</param>
    /// <param name="index">The input's position, used as seed offset.</param>
    protected virtual TensorBuffer CreateInput(TensorSpec input, int index) => BenchmarkModels.CreateInput(input, index);

    /// <summary>Loads the model, creates the session on the backend, allocates the inputs and prepares the run.</summary>
    [GlobalSetup]
    public virtual void Setup()
    {
        Model model = BenchmarkModels.Load(Model);
        _session = LightNetBackend.Parse(Backend).CreateSession(model, CreateOptions());
        _run = _session.Prepare(BenchmarkModels.CreateInputs(_session, CreateInput));
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

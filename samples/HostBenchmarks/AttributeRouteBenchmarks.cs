using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNet.BenchmarkDotNet;

namespace LightNet.Samples.HostBenchmarks;

/// <summary>
/// The same kind of suite without a base class: the parameters come from LightNet's attributes, and
/// <c>[LightNetConfig]</c> adds the columns, the validator that reports backends this machine lacks, and the
/// per-operator profile of each case (written next to BenchmarkDotNet's reports).
/// </summary>
[LightNetConfig(operatorProfiles: true)]
public class AttributeRouteBenchmarks
{
    private IInferenceSession _session = null!;
    private IPreparedRun _run = null!;

    [LightNetModels("squeezenet1_1")]
    public string Model { get; set; } = "";

    [LightNetBackends("cpu-simd", "ort-cpu", "ort-cuda")]
    public string Backend { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _session = LightNet.Backends.Backend.Parse(Backend).CreateSession(BenchmarkModels.Load(Model));
        _run = _session.Prepare(BenchmarkModels.CreateInputs(_session));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _run.Dispose();
        _session.Dispose();
    }

    [Benchmark]
    public void Inference() => _run.Run();
}

/// <summary>A photo end to end: decode, preprocess, infer, top-5 with labels; and the camera loop from decoded pixels.</summary>
[MemoryDiagnoser]
public class PhotoPipelineBenchmarks : PipelineBenchmarkBase
{
    public override IEnumerable<string> Models => ["mobilenet_v3_small"];

    public override IEnumerable<string> Backends => ["cpu-simd", "ort-cpu"];
}

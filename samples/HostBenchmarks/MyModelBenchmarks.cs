using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using LightNet.BenchmarkDotNet;

namespace LightNet.Samples.HostBenchmarks;

/// <summary>
/// A host app's suite: "benchmark these models on these backends". Models are zoo names or .onnx paths
/// (your own model: "models/my_model.onnx"); backends this machine lacks are skipped with the reason.
/// </summary>
[Config(typeof(Columns))]
public class MyModelBenchmarks : ModelBenchmarkBase
{
    public override IEnumerable<string> Models => ["mobilenet_v3_small", "squeezenet1_1"];

    public override IEnumerable<string> Backends => ["ort-cpu", "ort-cuda"];

    public override IEnumerable<int> ThreadCounts => [1, Environment.ProcessorCount];

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new ModelParametersColumn(), new MacsColumn(), new GmacPerSecondColumn(),
            new BackendPrecisionColumn(), new PeakFmaShareColumn());
    }
}

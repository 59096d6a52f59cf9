using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using LightNet.BenchmarkDotNet;

namespace LightNet.Benchmarks;

/// <summary>
/// End-to-end inference per zoo model × available backend, at the zoo's default resolution (224×224 for these),
/// one thread: <see cref="ModelBenchmarkBase.Inference"/> is one <c>IPreparedRun.Run()</c> on preallocated
/// seeded inputs. Backends unavailable on this machine are skipped with their reason on the console.
/// Columns: parameters, MACs, GMAC/s, precision and share of the CPU's peak FMA rate.
/// </summary>
[Config(typeof(ColumnsConfig))]
public class ZooInferenceBenchmarks : ModelBenchmarkBase
{
    /// <inheritdoc />
    public override IEnumerable<string> Models => ["mobilenet_v2", "squeezenet1_1", "resnet18", "shufflenet_v2_x1_0"];

    /// <inheritdoc />
    public override IEnumerable<string> Backends => ["ort-cpu", "ort-cpu:opt=none", "cpu-simd"];

    /// <inheritdoc />
    public override IEnumerable<int> ThreadCounts => [1];

    private sealed class ColumnsConfig : ManualConfig
    {
        public ColumnsConfig() => AddColumn(LightNetColumns.All);
    }
}

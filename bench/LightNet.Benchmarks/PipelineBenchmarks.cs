using BenchmarkDotNet.Attributes;
using LightNet.BenchmarkDotNet;

namespace LightNet.Benchmarks;

/// <summary>
/// A photo end to end through <see cref="PipelineBenchmarkBase"/>: the embedded test photo (rocket.jpg) decoded,
/// preprocessed, classified and reduced to the top 5 (<see cref="PipelineBenchmarkBase.EncodedImage"/>), and the same from
/// decoded pixels (<see cref="PipelineBenchmarkBase.Frame"/>, 0 B per operation), per model × available backend, one
/// thread. <c>[LightNetConfig(operatorProfiles: true)]</c> adds LightNet's columns and writes each case's per-operator
/// profile next to BenchmarkDotNet's reports.
/// </summary>
[MemoryDiagnoser]
[LightNetConfig(operatorProfiles: true)]
public class PipelineBenchmarks : PipelineBenchmarkBase
{
    /// <inheritdoc />
    public override IEnumerable<string> Models => ["mobilenet_v2", "squeezenet1_1"];

    /// <inheritdoc />
    public override IEnumerable<string> Backends => ["cpu-simd", "ort-cpu"];

    /// <summary>The embedded test photo.</summary>
    protected override byte[] CreateImage()
    {
        using Stream source = typeof(PipelineBenchmarks).Assembly.GetManifestResourceStream("LightNet.Benchmarks.rocket.jpg")
            ?? throw new InvalidOperationException("The embedded test photo is missing.");
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        return copy.ToArray();
    }
}

using BenchmarkDotNet.Attributes;
using LightNet.Backends;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// The parameters every LightNet suite shares: <see cref="Model"/> × <see cref="Backend"/> × <see cref="Threads"/>,
/// BenchmarkDotNet parameters (<c>[ParamsSource]</c>) taken from <see cref="Models"/>, <see cref="Backends"/> (those
/// available on this machine) and <see cref="ThreadCounts"/>. <see cref="ModelBenchmarkBase"/> times one inference,
/// <see cref="PipelineBenchmarkBase"/> a whole image pipeline.
/// </summary>
/// <remarks>
/// BenchmarkDotNet cannot skip a case, so backends that <see cref="LightNetBackend.CheckAvailability"/> rejects
/// on this machine are left out of the parameter list; <see cref="UnavailableBackendsValidator"/> (applied to every
/// derived class) reports each one, with the reason, in BenchmarkDotNet's validation output.
/// </remarks>
[ReportUnavailableBackends]
public abstract class LightNetBenchmarkBase
{
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
}

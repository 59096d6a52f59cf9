using BenchmarkDotNet.Attributes;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// The config route, without a base class: marks a <c>string</c> property (or field) of any benchmark class as a
/// BenchmarkDotNet parameter whose values are these models — zoo names, or .onnx paths made absolute
/// (<see cref="BenchmarkModels.Normalize"/>). Load the case's model with <see cref="BenchmarkModels.Load"/>.
/// </summary>
/// <example>
/// <code>
/// [LightNetConfig]
/// public class MyBenchmarks
/// {
///     [LightNetModels("mobilenet_v2", "resnet18")] public string Model { get; set; } = "";
///     [LightNetBackends("cpu-simd", "ort-cpu", "ort-cuda")] public string Backend { get; set; } = "";
///     ...
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class LightNetModelsAttribute : ParamsAttribute
{
    /// <summary>Marks the member with these models.</summary>
    /// <param name="models">Zoo names or .onnx paths.</param>
    public LightNetModelsAttribute(params string[] models)
        : base((models ?? throw new ArgumentNullException(nameof(models))).Select(BenchmarkModels.Normalize).Distinct(StringComparer.Ordinal).ToArray<object?>())
    {
        Models = models;
    }

    /// <summary>The models as given.</summary>
    public IReadOnlyList<string> Models { get; }
}

/// <summary>
/// The config route, without a base class: marks a <c>string</c> property (or field) as a BenchmarkDotNet parameter
/// whose values are the backends among these that are available on this machine
/// (<see cref="LightNetBenchmarkBase.AvailableBackends"/>). <see cref="UnavailableBackendsValidator"/> (in
/// <see cref="LightNetConfigAttribute"/> and <see cref="LightNetBenchmarkConfig.Create"/>) reports the others, with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class LightNetBackendsAttribute : ParamsAttribute
{
    /// <summary>Marks the member with these backends.</summary>
    /// <param name="backends">Backend names as <see cref="Backends.Backend.Parse"/> takes them.</param>
    public LightNetBackendsAttribute(params string[] backends)
        : base(LightNetBenchmarkBase.AvailableBackends(backends ?? throw new ArgumentNullException(nameof(backends))).ToArray<object?>())
    {
        Backends = backends;
    }

    /// <summary>The backends as given, available here or not.</summary>
    public IReadOnlyList<string> Backends { get; }
}

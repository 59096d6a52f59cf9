using BenchmarkDotNet.Configs;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// The LightNet additions to a BenchmarkDotNet config in one call, for suites that do not derive from
/// <see cref="LightNetBenchmarkBase"/>: the columns (<see cref="LightNetColumns.All"/>), the validator that reports
/// backends unavailable here (<see cref="UnavailableBackendsValidator"/>) and, on request, the per-operator profile of
/// every case (<see cref="OperatorProfileExporter"/>).
/// </summary>
/// <example>
/// <code>
/// BenchmarkRunner.Run&lt;MyBenchmarks&gt;(LightNetBenchmarkConfig.Create(operatorProfiles: true));
/// </code>
/// </example>
public static class LightNetBenchmarkConfig
{
    /// <summary>A config: <paramref name="baseConfig"/> (BenchmarkDotNet's default when null) with the LightNet additions.</summary>
    /// <param name="baseConfig">The config to add to; null for <see cref="DefaultConfig.Instance"/>.</param>
    /// <param name="operatorProfiles">Whether to add <see cref="OperatorProfileExporter.Default"/>.</param>
    /// <returns>A new config.</returns>
    public static ManualConfig Create(IConfig? baseConfig = null, bool operatorProfiles = false) =>
        AddTo(ManualConfig.Create(baseConfig ?? DefaultConfig.Instance), operatorProfiles);

    /// <summary>Adds the LightNet columns, the unavailable-backend validator and, on request, the operator-profile exporter.</summary>
    /// <param name="config">The config to add to.</param>
    /// <param name="operatorProfiles">Whether to add <see cref="OperatorProfileExporter.Default"/>.</param>
    /// <returns><paramref name="config"/>.</returns>
    public static ManualConfig AddTo(ManualConfig config, bool operatorProfiles = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddColumn(LightNetColumns.All).AddValidator(UnavailableBackendsValidator.Instance);
        if (operatorProfiles)
        {
            config.AddExporter(OperatorProfileExporter.Default);
        }

        return config;
    }
}

/// <summary>
/// Applies <see cref="LightNetBenchmarkConfig"/> to the class it marks: the LightNet columns, the unavailable-backend
/// validator and, with <c>OperatorProfiles = true</c>, <see cref="OperatorProfileExporter.Default"/>. The config route
/// for suites that take their parameters from <see cref="LightNetModelsAttribute"/> and <see cref="LightNetBackendsAttribute"/>
/// (or from parameters named "Model", "Backend" and "Threads") instead of deriving from <see cref="LightNetBenchmarkBase"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly, Inherited = true, AllowMultiple = false)]
public sealed class LightNetConfigAttribute : Attribute, IConfigSource
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="operatorProfiles">Whether to write every case's per-operator profile into the results folder.</param>
    public LightNetConfigAttribute(bool operatorProfiles = false)
    {
        OperatorProfiles = operatorProfiles;
        Config = LightNetBenchmarkConfig.AddTo(ManualConfig.CreateEmpty(), operatorProfiles);
    }

    /// <summary>Whether the config holds <see cref="OperatorProfileExporter.Default"/>.</summary>
    public bool OperatorProfiles { get; }

    /// <inheritdoc />
    public IConfig Config { get; }
}

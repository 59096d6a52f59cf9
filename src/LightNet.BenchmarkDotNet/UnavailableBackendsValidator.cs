using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Validators;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// A BenchmarkDotNet validator that reports, for every suite about to run, the backends it leaves out because they
/// cannot run on this machine, with the reason: the <see cref="LightNetBenchmarkBase.Backends"/> of a suite derived from
/// <see cref="LightNetBenchmarkBase"/>, and the names given to <see cref="LightNetBackendsAttribute"/> on any suite.
/// The errors are not critical: the suite runs on the backends that are available. <see cref="LightNetBenchmarkBase"/>
/// applies it through <see cref="ReportUnavailableBackendsAttribute"/>, <see cref="LightNetConfigAttribute"/> and
/// <see cref="LightNetBenchmarkConfig"/> add it; or add it to your own config with <c>AddValidator(UnavailableBackendsValidator.Instance)</c>.
/// </summary>
public sealed class UnavailableBackendsValidator : IValidator
{
    /// <summary>The validator.</summary>
    public static UnavailableBackendsValidator Instance { get; } = new();

    private UnavailableBackendsValidator()
    {
    }

    /// <summary>False: a skipped backend never stops the run.</summary>
    public bool TreatsWarningsAsErrors => false;

    /// <summary>One non-critical error per suite and backend left out.</summary>
    /// <param name="validationParameters">The benchmarks about to run.</param>
    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
        foreach (var group in validationParameters.Benchmarks.GroupBy(b => b.Descriptor.Type))
        {
            foreach ((string name, string reason) in LightNetBenchmarkBase.UnavailableBackends(RequestedBackends(group.Key)))
            {
                yield return new ValidationError(false, $"LightNet: {group.Key.Name} skips backend '{name}': {reason}", group.First());
            }
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "BenchmarkDotNet keeps benchmark types and their constructors: it creates them itself.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "As above: the constructor looked up is the one BenchmarkDotNet calls.")]
    private static IEnumerable<string> RequestedBackends(Type type)
    {
        if (!type.IsAbstract && typeof(LightNetBenchmarkBase).IsAssignableFrom(type) && type.GetConstructor(Type.EmptyTypes) is not null)
        {
            foreach (string name in ((LightNetBenchmarkBase)Activator.CreateInstance(type)!).Backends)
            {
                yield return name;
            }
        }

        foreach (var member in CaseParameters.MembersWith(type, typeof(LightNetBackendsAttribute)))
        {
            foreach (string name in member.GetCustomAttributes(typeof(LightNetBackendsAttribute), inherit: true).Cast<LightNetBackendsAttribute>().SelectMany(a => a.Backends))
            {
                yield return name;
            }
        }
    }
}

/// <summary>Adds <see cref="UnavailableBackendsValidator"/> to the config of the class it marks (and of classes derived from it).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly, Inherited = true, AllowMultiple = false)]
public sealed class ReportUnavailableBackendsAttribute : Attribute, IConfigSource
{
    /// <summary>A config holding the validator alone.</summary>
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddValidator(UnavailableBackendsValidator.Instance);
}

using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Validators;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// A BenchmarkDotNet validator that reports, for every <see cref="ModelBenchmarkBase"/> suite about to run, the backends
/// it leaves out because they cannot run on this machine, with the reason. The errors are not critical: the suite runs
/// on the backends that are available. <see cref="ModelBenchmarkBase"/> applies it through
/// <see cref="ReportUnavailableBackendsAttribute"/>; add it to your own config with <c>AddValidator(UnavailableBackendsValidator.Instance)</c>.
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
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "BenchmarkDotNet keeps benchmark types and their constructors: it creates them itself.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above: the constructor looked up is the one BenchmarkDotNet calls.")]
    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
        foreach (var group in validationParameters.Benchmarks.GroupBy(b => b.Descriptor.Type))
        {
            if (group.Key.IsAbstract || !typeof(ModelBenchmarkBase).IsAssignableFrom(group.Key) || group.Key.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }

            var suite = (ModelBenchmarkBase)Activator.CreateInstance(group.Key)!;
            foreach ((string name, string reason) in ModelBenchmarkBase.UnavailableBackends(suite.Backends))
            {
                yield return new ValidationError(false, $"LightNet: {group.Key.Name} skips backend '{name}': {reason}", group.First());
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

using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet.Analysis;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// Base of LightNet's BenchmarkDotNet columns: reads the model and backend of a case from its parameters
/// (by default "Model" and "Backend", as <see cref="ModelBenchmarkBase"/> names them; any suite with parameters of
/// those names works). A case without the parameter, or whose model cannot be analysed, shows "?".
/// </summary>
public abstract class LightNetColumn : IColumn
{
    /// <summary>Creates the column.</summary>
    /// <param name="modelParameter">Name of the parameter that holds the model (zoo name or .onnx path).</param>
    /// <param name="backendParameter">Name of the parameter that holds the backend name.</param>
    protected LightNetColumn(string modelParameter = "Model", string backendParameter = "Backend")
    {
        ModelParameter = modelParameter ?? throw new ArgumentNullException(nameof(modelParameter));
        BackendParameter = backendParameter ?? throw new ArgumentNullException(nameof(backendParameter));
    }

    /// <summary>Name of the parameter that holds the model.</summary>
    public string ModelParameter { get; }

    /// <summary>Name of the parameter that holds the backend.</summary>
    public string BackendParameter { get; }

    /// <inheritdoc />
    public virtual string Id => GetType().Name + "." + ModelParameter + "." + BackendParameter;

    /// <inheritdoc />
    public abstract string ColumnName { get; }

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public virtual int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public abstract string Legend { get; }

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        return Format(summary, benchmarkCase) ?? "?";
    }

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The cell's text, or null for "?".</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="benchmarkCase">The case of the row.</param>
    protected abstract string? Format(Summary summary, BenchmarkCase benchmarkCase);

    /// <summary>The value of a parameter of the case, or null.</summary>
    /// <param name="benchmarkCase">The case.</param>
    /// <param name="name">The parameter name.</param>
    protected static object? Parameter(BenchmarkCase benchmarkCase, string name)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        return benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value;
    }

    /// <summary>The analysis of the case's model, or null.</summary>
    /// <param name="benchmarkCase">The case.</param>
    protected ModelInfo? Info(BenchmarkCase benchmarkCase) =>
        Parameter(benchmarkCase, ModelParameter) is string model ? BenchmarkModels.TryGetInfo(model) : null;

    /// <summary>The mean time of one operation in nanoseconds, or null when the case has no results.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="benchmarkCase">The case.</param>
    protected static double? MeanNanoseconds(Summary summary, BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary[benchmarkCase]?.ResultStatistics?.Mean is double mean and > 0 ? mean : null;
    }

    /// <summary>GMAC/s of the case (MACs of the model / mean time), or null.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="benchmarkCase">The case.</param>
    protected double? GmacPerSecond(Summary summary, BenchmarkCase benchmarkCase) =>
        Info(benchmarkCase) is { Macs: > 0 } info && MeanNanoseconds(summary, benchmarkCase) is double ns ? info.Macs / ns : null;

    /// <inheritdoc />
    public override string ToString() => ColumnName;

    /// <summary>Formats a count with an SI suffix (k, M, G).</summary>
    /// <param name="value">The count.</param>
    protected static string FormatCount(double value) => value switch
    {
        >= 1e9 => (value / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " G",
        >= 1e6 => (value / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M",
        >= 1e3 => (value / 1e3).ToString("0.00", CultureInfo.InvariantCulture) + " k",
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };
}

/// <summary>The model's parameter count (weights that are trained; see <see cref="ModelInfo.Parameters"/>).</summary>
public sealed class ModelParametersColumn : LightNetColumn
{
    /// <summary>Creates the column.</summary>
    /// <param name="modelParameter">Name of the parameter that holds the model.</param>
    public ModelParametersColumn(string modelParameter = "Model") : base(modelParameter) { }

    /// <inheritdoc />
    public override string ColumnName => "Params";

    /// <inheritdoc />
    public override int PriorityInCategory => 0;

    /// <inheritdoc />
    public override string Legend => "Parameters of the model (LightNet's analysis)";

    /// <inheritdoc />
    protected override string? Format(Summary summary, BenchmarkCase benchmarkCase) =>
        Info(benchmarkCase) is { } info ? FormatCount(info.Parameters) : null;
}

/// <summary>Multiply-accumulates of one inference (<see cref="ModelInfo.Macs"/>, LightNet's static analysis).</summary>
public sealed class MacsColumn : LightNetColumn
{
    /// <summary>Creates the column.</summary>
    /// <param name="modelParameter">Name of the parameter that holds the model.</param>
    public MacsColumn(string modelParameter = "Model") : base(modelParameter) { }

    /// <inheritdoc />
    public override string ColumnName => "MACs";

    /// <inheritdoc />
    public override int PriorityInCategory => 1;

    /// <inheritdoc />
    public override string Legend => "Multiply-accumulates of one inference (LightNet's analysis of the model)";

    /// <inheritdoc />
    protected override string? Format(Summary summary, BenchmarkCase benchmarkCase) =>
        Info(benchmarkCase) is { } info ? FormatCount(info.Macs) : null;
}

/// <summary>Achieved throughput: the model's MACs divided by the mean time of one inference, in GMAC/s.</summary>
public sealed class GmacPerSecondColumn : LightNetColumn
{
    /// <summary>Creates the column.</summary>
    /// <param name="modelParameter">Name of the parameter that holds the model.</param>
    public GmacPerSecondColumn(string modelParameter = "Model") : base(modelParameter) { }

    /// <inheritdoc />
    public override string ColumnName => "GMAC/s";

    /// <inheritdoc />
    public override int PriorityInCategory => 2;

    /// <inheritdoc />
    public override string Legend => "MACs / Mean: billions of multiply-accumulates per second achieved";

    /// <inheritdoc />
    protected override string? Format(Summary summary, BenchmarkCase benchmarkCase) =>
        GmacPerSecond(summary, benchmarkCase)?.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>The precision the case's backend computes in (<see cref="LightNetBackend.Precision"/>): Fp32, Fp16 or Int8.</summary>
public sealed class BackendPrecisionColumn : LightNetColumn
{
    /// <summary>Creates the column.</summary>
    /// <param name="backendParameter">Name of the parameter that holds the backend name.</param>
    public BackendPrecisionColumn(string backendParameter = "Backend") : base("Model", backendParameter) { }

    /// <inheritdoc />
    public override string ColumnName => "Precision";

    /// <inheritdoc />
    public override int PriorityInCategory => 3;

    /// <inheritdoc />
    public override string Legend => "Precision the backend computes in";

    /// <inheritdoc />
    protected override string? Format(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (Parameter(benchmarkCase, BackendParameter) is not string name)
        {
            return null;
        }

        try
        {
            return LightNetBackend.Parse(name).Precision.ToString();
        }
        catch (LightNetException)
        {
            return null;
        }
    }
}

/// <summary>
/// GMAC/s achieved as a share of this CPU's peak fp32 FMA rate (<see cref="CpuPeak"/>) on the case's threads: the
/// "Threads" parameter when the case has one, else every logical processor. See <see cref="CpuPeak"/> for exactly
/// how the peak is computed and where it is wrong.
/// </summary>
public sealed class PeakFmaShareColumn : LightNetColumn
{
    private readonly CpuPeak? _peak;

    /// <summary>Creates the column.</summary>
    /// <param name="modelParameter">Name of the parameter that holds the model.</param>
    /// <param name="threadsParameter">Name of the parameter that holds the thread count.</param>
    /// <param name="peak">The peak to compare with; null for <see cref="CpuPeak.Current"/> (detected on first use).</param>
    public PeakFmaShareColumn(string modelParameter = "Model", string threadsParameter = "Threads", CpuPeak? peak = null) : base(modelParameter)
    {
        ThreadsParameter = threadsParameter ?? throw new ArgumentNullException(nameof(threadsParameter));
        _peak = peak;
    }

    /// <summary>Name of the parameter that holds the thread count.</summary>
    public string ThreadsParameter { get; }

    private CpuPeak Peak => _peak ?? CpuPeak.Current;

    /// <inheritdoc />
    public override string ColumnName => "Peak FMA %";

    /// <inheritdoc />
    public override int PriorityInCategory => 4;

    /// <inheritdoc />
    public override string Legend =>
        $"GMAC/s as a share of this CPU's peak fp32 FMA rate on the case's threads: threads × {Peak} (see bench/README.md)";

    /// <inheritdoc />
    protected override string? Format(Summary summary, BenchmarkCase benchmarkCase)
    {
        int cores = Parameter(benchmarkCase, ThreadsParameter) is int t and > 0 ? Math.Min(t, Environment.ProcessorCount) : Environment.ProcessorCount;
        double peak = Peak.PeakMacsPerSecond(cores);
        return GmacPerSecond(summary, benchmarkCase) is double gmacs && peak > 0
            ? (100 * gmacs * 1e9 / peak).ToString("0.0", CultureInfo.InvariantCulture) + "%"
            : null;
    }
}

/// <summary>The LightNet columns, for <c>config.AddColumn(LightNetColumns.All)</c>.</summary>
public static class LightNetColumns
{
    /// <summary>Params, MACs, GMAC/s, Precision and Peak FMA %, reading the parameters "Model", "Backend" and "Threads".</summary>
    public static IColumn[] All =>
    [
        new ModelParametersColumn(), new MacsColumn(), new GmacPerSecondColumn(), new BackendPrecisionColumn(), new PeakFmaShareColumn(),
    ];
}

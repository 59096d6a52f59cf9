using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using LightNet.Profiling;
using LightNet.Reports;
using LightNetBackend = LightNet.Backends.Backend;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// A BenchmarkDotNet exporter that adds the per-operator profile of each benchmark case to the results folder: for every
/// distinct model × backend × thread count among the cases that ran (read as <see cref="LightNetBenchmarkBase"/> or
/// <see cref="LightNetModelsAttribute"/> / <see cref="LightNetBackendsAttribute"/> name them), it runs
/// <see cref="Profiler.Measure"/> with <see cref="ProfileOptions.PerOperatorProfile"/> and writes
/// <c>&lt;title&gt;-operators-&lt;model&gt;-&lt;backend&gt;-t&lt;threads&gt;.md</c> (the report with its top nodes and operator-type
/// table) and <c>.json</c> (<see cref="ReportJson"/>) next to BenchmarkDotNet's own reports.
/// </summary>
/// <remarks>
/// The profile is taken after the benchmarks, in BenchmarkDotNet's host process, on a session of its own (timing every
/// node slows each run, so it never touches BenchmarkDotNet's numbers): shares per operator are what it is for, not
/// absolute times. A case whose model or backend cannot be profiled is reported in the log and skipped.
/// Add it with <c>AddExporter(OperatorProfileExporter.Default)</c>, <see cref="LightNetBenchmarkConfig.Create"/> or
/// <c>[LightNetConfig(operatorProfiles: true)]</c>.
/// </remarks>
public sealed class OperatorProfileExporter : IExporter
{
    /// <summary>
    /// <see cref="ProfileOptions.Quick"/> with the per-operator pass on: a second or two per case for a model that runs in
    /// milliseconds.
    /// </summary>
    public static ProfileOptions DefaultOptions { get; } = ProfileOptions.Quick with { PerOperatorProfile = true };

    /// <summary>The exporter with <see cref="DefaultOptions"/>.</summary>
    public static OperatorProfileExporter Default { get; } = new();

    /// <summary>Creates the exporter.</summary>
    /// <param name="options">How to profile each case; null for <see cref="DefaultOptions"/>. The case's thread count replaces
    /// <see cref="ProfileOptions.Threads"/>, and <see cref="ProfileOptions.PerOperatorProfile"/> is always on.</param>
    public OperatorProfileExporter(ProfileOptions? options = null)
    {
        Options = (options ?? DefaultOptions) with { PerOperatorProfile = true };
    }

    /// <summary>How each case is profiled.</summary>
    public ProfileOptions Options { get; }

    /// <inheritdoc />
    public string Name => "lightnet-operators";

    /// <summary>Writes, per profiled case, the three operator types that take most of the kernel time.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="logger">Where to write.</param>
    public void ExportToLog(Summary summary, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        foreach ((CaseKey key, ProfileReport? report, string? error) in Profile(summary))
        {
            string types = report is null ? "not profiled: " + error
                : string.Join(", ", report.OperatorTypes.Take(3).Select(t => $"{t.OpType} {t.Percent.ToString("0.0", CultureInfo.InvariantCulture)}%"));
            logger.WriteLineInfo($"LightNet operators, {key}: {types}");
        }
    }

    /// <summary>Profiles each distinct case and writes its Markdown and JSON report into the summary's results folder.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="consoleLogger">Receives one line per file written or case skipped.</param>
    /// <returns>The files written.</returns>
    public IEnumerable<string> ExportToFiles(Summary summary, ILogger consoleLogger)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(consoleLogger);
        var files = new List<string>();
        foreach ((CaseKey key, ProfileReport? report, string? error) in Profile(summary))
        {
            if (report is null)
            {
                consoleLogger.WriteLineError($"LightNet: no operator profile for {key}: {error}");
                continue;
            }

            string stem = Path.Combine(summary.ResultsDirectoryPath, $"{summary.Title}-operators-{key.FileStem}");
            ReportMarkdown.Write(report, stem + ".md");
            ReportJson.Write(report, stem + ".json");
            files.Add(stem + ".md");
            files.Add(stem + ".json");
        }

        return files;
    }

    private readonly Dictionary<(string Title, CaseKey Key), (ProfileReport? Report, string? Error)> _profiled = [];

    /// <summary>Profiles every distinct case of the summary that ran, once per summary (both export methods share the result).</summary>
    private List<(CaseKey Key, ProfileReport? Report, string? Error)> Profile(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var keys = summary.Reports
            .Where(r => r.Success)
            .Select(r => (Model: CaseParameters.Model(r.BenchmarkCase), Backend: CaseParameters.Backend(r.BenchmarkCase), Threads: CaseParameters.Threads(r.BenchmarkCase)))
            .Where(k => k.Model is not null && k.Backend is not null)
            .Select(k => new CaseKey(k.Model!, k.Backend!, k.Threads))
            .Distinct();
        var results = new List<(CaseKey, ProfileReport?, string?)>();
        lock (_profiled)
        {
            foreach (CaseKey key in keys)
            {
                if (!_profiled.TryGetValue((summary.Title, key), out var result))
                {
                    result = ProfileCase(key);
                    _profiled[(summary.Title, key)] = result;
                }

                results.Add((key, result.Report, result.Error));
            }
        }

        return results;
    }

    private (ProfileReport? Report, string? Error) ProfileCase(CaseKey key)
    {
        try
        {
            ProfileOptions options = key.Threads is int threads ? Options with { Threads = threads } : Options;
            return (Profiler.Measure(BenchmarkModels.Load(key.Model), LightNetBackend.Parse(key.Backend), options), null);
        }
        catch (LightNetException e)
        {
            return (null, $"[{e.Code}] {e.Message}");
        }
    }

    /// <summary>One model × backend × thread count.</summary>
    private readonly record struct CaseKey(string Model, string Backend, int? Threads)
    {
        public string FileStem
        {
            get
            {
                string model = BenchmarkModels.IsPath(Model) ? Path.GetFileNameWithoutExtension(Model) : Model;
                string text = $"{model}-{Backend}" + (Threads is int t ? $"-t{t}" : "");
                var safe = new StringBuilder(text.Length);
                foreach (char c in text)
                {
                    safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
                }

                return safe.ToString();
            }
        }

        public override string ToString() => $"{Model} on {Backend}" + (Threads is int t ? $", {t} thread(s)" : "");
    }
}

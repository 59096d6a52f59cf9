using System.CommandLine;
using System.Globalization;
using LightNet.Onnx;
using LightNet.Profiling;

namespace LightNet.Cli.Commands;

/// <summary>Options and error handling shared by the commands.</summary>
internal static class CommandSupport
{
    /// <summary>Prints stack traces with errors; accepted by every command.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print the full exception, stack trace included, with an error.",
        Recursive = true,
    };

    /// <summary>Runs a command's body and turns its failures into one error line and an exit code.</summary>
    /// <param name="parse">The parsed command line (for --verbose).</param>
    /// <param name="context">Where errors go.</param>
    /// <param name="body">The command.</param>
    /// <param name="missingDimensionHint">Appended to a <see cref="ErrorCode.MissingDimension"/> error: how to give the values.</param>
    public static int Execute(ParseResult parse, CliContext context, Func<int> body, string? missingDimensionHint = null)
    {
        missingDimensionHint ??= "Give full input shapes with --shape NAME=1x3x224x224 (repeat it for each input).";
        bool verbose = parse.GetValue(Verbose);
        try
        {
            return body();
        }
        catch (CliUsageException e)
        {
            context.Stderr.WriteLine($"error [Usage]: {CliApp.OneLine(e.Message)}");
            return CliApp.UsageError;
        }
        catch (LightNetException e)
        {
            string message = e.Message;
            if (e.Code == ErrorCode.MissingDimension)
            {
                message += " " + missingDimensionHint;
            }

            context.Stderr.WriteLine($"error [{e.Code}]: {CliApp.OneLine(message)}");
            WriteDetails(context, e, verbose);
            return CliApp.Failure;
        }
        catch (OperationCanceledException e)
        {
            context.Stderr.WriteLine("error [Cancelled]: Stopped before the measurement finished.");
            WriteDetails(context, e, verbose);
            return CliApp.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Stderr.WriteLine($"error [IOFailure]: {CliApp.OneLine(e.Message)}");
            WriteDetails(context, e, verbose);
            return CliApp.Failure;
        }
        catch (Exception e)
        {
            // catch-all: the CLI's top level. Not a LightNet error: a bug. One line, exit code 1, and the stack trace on request.
            context.Stderr.WriteLine($"error [{e.GetType().Name}]: {CliApp.OneLine(e.Message)}{(verbose ? "" : " (run with --verbose for the stack trace)")}");
            WriteDetails(context, e, verbose);
            return CliApp.Failure;
        }
    }

    private static void WriteDetails(CliContext context, Exception e, bool verbose)
    {
        if (verbose)
        {
            context.Stderr.WriteLine(e.ToString());
        }
    }

    /// <summary>Splits a comma-separated list option (given once or repeated) into its items.</summary>
    public static List<string> SplitList(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();

    /// <summary>
    /// Splits a list of backend names: "ort-cpu,ort-cuda:fp16,device=1" is ort-cpu and ort-cuda:fp16,device=1, because a
    /// piece after a backend with options that is not itself a known backend is one more option of it.
    /// </summary>
    public static List<string> SplitBackends(IEnumerable<string>? values, IReadOnlyCollection<string> knownNames)
    {
        var result = new List<string>();
        foreach (string value in values ?? [])
        {
            int first = result.Count;
            foreach (string piece in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string baseName = piece.Split(':')[0].ToLowerInvariant();
                bool continuation = result.Count > first && result[^1].Contains(':', StringComparison.Ordinal)
                    && !piece.Contains(':', StringComparison.Ordinal) && !knownNames.Contains(baseName);
                if (continuation)
                {
                    result[^1] += "," + piece;
                }
                else
                {
                    result.Add(piece);
                }
            }
        }

        return result;
    }

    /// <summary>The measurement options from the common flags: a preset, then each flag given over it.</summary>
    public static ProfileOptions BuildOptions(bool quick, int? warmup, int? runs, double? minTime, double? maxTime, int? threads, int? batch,
        double? cooldownMs = null)
    {
        if (cooldownMs is double c && (c < 0 || c > 60_000 || !double.IsFinite(c)))
        {
            throw new CliUsageException($"--cooldown must be between 0 and 60000 ms, not {Number(c)}.");
        }

        if (runs is < 1)
        {
            throw new CliUsageException($"--runs must be at least 1, not {runs}.");
        }

        if (warmup is < 0)
        {
            throw new CliUsageException($"--warmup must be 0 or more, not {warmup}.");
        }

        if (LightNet.Backends.InferenceOptions.ThreadsProblem(threads) is string threadsProblem)
        {
            throw new CliUsageException($"--{threadsProblem}.");
        }

        if (batch is < 1 or > 4096)
        {
            throw new CliUsageException($"--batch must be between 1 and 4096, not {batch}.");
        }

        if (minTime is double min && (min < 0 || !double.IsFinite(min)))
        {
            throw new CliUsageException($"--min-time must be 0 or more seconds, not {Number(min)}.");
        }

        if (maxTime is double max && (max <= 0 || !double.IsFinite(max)))
        {
            throw new CliUsageException($"--max-time must be a positive number of seconds, not {Number(max)}.");
        }

        if (minTime is double lo && maxTime is double hi && hi < lo)
        {
            throw new CliUsageException($"--max-time ({Number(hi)} s) is below --min-time ({Number(lo)} s).");
        }

        ProfileOptions options = quick ? ProfileOptions.Quick : ProfileOptions.Default;
        if (warmup is int w)
        {
            options = options with { WarmupRuns = w, WarmupSeconds = 0 };
        }

        if (runs is int r)
        {
            options = options with { Runs = r };
        }

        if (minTime is double minSeconds)
        {
            options = options with { MinSeconds = minSeconds, MaxSeconds = Math.Max(options.MaxSeconds, minSeconds) };
        }

        if (maxTime is double maxSeconds)
        {
            options = options with { MaxSeconds = maxSeconds, MinSeconds = Math.Min(options.MinSeconds, maxSeconds) };
        }

        if (cooldownMs is double cooldown)
        {
            options = options with { Cooldown = TimeSpan.FromMilliseconds(cooldown) };
        }

        options = options with { Threads = threads, BatchSize = batch ?? 1 };
        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new CliUsageException("Invalid measurement settings: " + string.Join("; ", problems) + ".");
        }

        return options;
    }

    /// <summary>
    /// Loads the models of a multi-model command (verify, compare), every one before anything runs. The --shape values
    /// are matched by input name: each file takes the shapes of its own inputs (read off by the measurement, symbolic
    /// dimensions included), and <c>input=Nx3xHxH</c> sets a zoo network's batch and resolution.
    /// </summary>
    /// <param name="specs">Zoo names or .onnx paths.</param>
    /// <param name="batch">--batch, if given.</param>
    /// <param name="shapes">--shape values by input name.</param>
    /// <returns>Each model with its label and the shapes of its inputs to measure with (empty for zoo networks).</returns>
    /// <exception cref="CliUsageException">A shape names an input of none of the models.</exception>
    public static List<(string Label, Model Model, IReadOnlyDictionary<string, long[]> Shapes)> LoadModels(IEnumerable<string> specs, int? batch,
        IReadOnlyDictionary<string, long[]> shapes)
    {
        var loaded = new List<(string Label, Model Model, IReadOnlyDictionary<string, long[]> Shapes)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (string spec in specs)
        {
            if (ModelSource.IsFile(spec))
            {
                Model model = ModelSource.Load(spec, batch, shapes);
                var own = shapes.Where(p => model.Graph.Inputs.Any(i => i.Name == p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                used.UnionWith(own.Keys);
                loaded.Add((Path.GetFileName(spec), model, own));
            }
            else
            {
                var zoo = shapes.Where(p => p.Key == ModelSource.ZooInput).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                used.UnionWith(zoo.Keys);
                loaded.Add((spec, ModelSource.Load(spec, batch, zoo), new Dictionary<string, long[]>()));
            }
        }

        foreach (string name in shapes.Keys.Where(n => !used.Contains(n)))
        {
            throw new CliUsageException($"--shape gives '{name}', which is not an input of any of the models "
                + $"(inputs: {string.Join(", ", loaded.SelectMany(m => m.Model.Graph.Inputs.Select(i => i.Name)).Distinct(StringComparer.Ordinal))}).");
        }

        return loaded;
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}

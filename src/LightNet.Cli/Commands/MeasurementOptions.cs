using System.CommandLine;
using LightNet.Isolation;
using LightNet.Profiling;

namespace LightNet.Cli.Commands;

/// <summary>The measurement flags that profile and compare share.</summary>
internal sealed class MeasurementOptions
{
    private readonly Option<bool> _quick = new("--quick") { Description = "A quick look: at least 3 warm-up runs until steady (at most 3 s), at least 10 runs or 0.5 s, at most 5 s (other flags override it)." };
    private readonly Option<int?> _warmup = new("--warmup") { HelpName = "N", Description = "Warm-up runs before timing, at least (default 10, and at least 1 s); the warm-up then goes on until the runs stop getting faster." };
    private readonly Option<int?> _runs = new("--runs", "-n") { HelpName = "N", Description = "Timed runs, at least (default 50; 10 with --quick)." };
    private readonly Option<double?> _minTime = new("--min-time") { HelpName = "seconds", Description = "Time for at least this many seconds (default 2; 0.5 with --quick)." };
    private readonly Option<double?> _maxTime = new("--max-time") { HelpName = "seconds", Description = "Stop after this many seconds even if the runs are not done (default 30; 5 with --quick)." };
    private readonly Option<double?> _cooldown = new("--cooldown") { HelpName = "ms", Description = "Idle time after each timed run, in milliseconds, so that one backend's spinning threads have gone to sleep before the next run (default 0)." };
    private readonly Option<int?> _threads = new("--threads", "-t") { HelpName = "N", Description = "Threads per inference (default: the backend's choice)." };
    private readonly Option<int?> _batch = new("--batch") { HelpName = "N", Description = "Batch size: a symbolic first dimension of a file's input, or the zoo network's batch (default 1)." };
    private readonly Option<string[]> _shape = InfoCommand.ShapeOption();
    private readonly Option<bool> _isolate = new("--isolate") { Description = "Run the session in a separate LightNet worker process: a native crash, hang or memory blow-up there is reported as an error (BackendCrashed, Timeout, ResourceLimit) instead of ending this process. Times include the round trip to the worker." };

    /// <summary>Adds the flags to a command.</summary>
    public void AddTo(Command command, bool withShapes, bool withBatch)
    {
        command.Options.Add(_quick);
        command.Options.Add(_warmup);
        command.Options.Add(_runs);
        command.Options.Add(_minTime);
        command.Options.Add(_maxTime);
        command.Options.Add(_cooldown);
        command.Options.Add(_isolate);
        command.Options.Add(_threads);
        if (withBatch)
        {
            command.Options.Add(_batch);
        }

        if (withShapes)
        {
            command.Options.Add(_shape);
        }
    }

    /// <summary>The measurement options the flags describe; a bad value is a usage error.</summary>
    public ProfileOptions Build(ParseResult parse) => CommandSupport.BuildOptions(parse.GetValue(_quick), parse.GetValue(_warmup),
        parse.GetValue(_runs), parse.GetValue(_minTime), parse.GetValue(_maxTime), parse.GetValue(_threads), Batch(parse), parse.GetValue(_cooldown))
        with { Isolation = parse.GetValue(_isolate) ? IsolationMode.Process : IsolationMode.InProcess };

    /// <summary>The flags given that decide what a session runs (--threads, --batch, --shape), as arguments for a child lightnet.</summary>
    public IEnumerable<string> ForwardedArguments(ParseResult parse)
    {
        if (parse.GetValue(_threads) is int threads)
        {
            yield return "--threads";
            yield return threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Batch(parse) is int batch)
        {
            yield return "--batch";
            yield return batch.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (parse.GetResult(_shape) is not null)
        {
            foreach (string shape in parse.GetValue(_shape) ?? [])
            {
                yield return "--shape";
                yield return shape;
            }
        }
    }

    /// <summary>--batch, if given.</summary>
    public int? Batch(ParseResult parse) => parse.GetResult(_batch) is null ? null : parse.GetValue(_batch);

    /// <summary>The --shape values.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes(ParseResult parse) =>
        parse.GetResult(_shape) is null ? new Dictionary<string, long[]>() : ModelSource.ParseShapes(parse.GetValue(_shape));
}

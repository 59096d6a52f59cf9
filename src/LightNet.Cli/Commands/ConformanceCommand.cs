using System.CommandLine;
using System.Globalization;
using LightNet.Backends;
using LightNet.Conformance;

namespace LightNet.Cli.Commands;

/// <summary>
/// <c>lightnet conformance DIR [-b cpu-simd,ort-cpu] [--filter REGEX] [--json F] [--md F] [--timeout S] [--baseline F]
/// [--reference B] [--min-pass B=N] [--fail-on-crash] [--fail-on-wrong-where-reference-passes] [--fail-on-regression]</c>:
/// runs the ONNX backend test cases under DIR on each backend, each backend's cases in one isolated worker process
/// (the hidden <c>conformance-worker</c> command of this executable) that is restarted after a crash or a timeout, and prints
/// totals, the cases where a backend is wrong while the reference passes, refusals and a per-operator table.
/// Exit code 1 when a CI check given by a flag fails.
/// </summary>
internal static class ConformanceCommand
{
    /// <summary>The hidden subcommand a worker process runs.</summary>
    public const string WorkerCommandName = "conformance-worker";

    public static Command Create(CliContext context)
    {
        var dir = new Argument<string>("dir") { Description = "The folder of test cases, searched recursively (each case: model.onnx and test_data_set_*/input_N.pb, output_N.pb)." };
        var backends = new Option<string[]>("--backends", "-b")
        {
            HelpName = "x,y,...",
            Description = "The backends to check, comma-separated or repeated (default cpu-simd,ort-cpu).",
            Arity = ArgumentArity.OneOrMore,
        };
        var filter = new Option<string?>("--filter") { HelpName = "regex", Description = "Run only the cases whose path under DIR (e.g. node/test_abs) matches this regular expression." };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Write every result as JSON (schema lightnet.conformance/1) to this file." };
        var md = new Option<string?>("--md") { HelpName = "file", Description = "Write the report as Markdown to this file." };
        var timeout = new Option<double>("--timeout") { HelpName = "seconds", Description = "Longest time one case may run before its worker is killed and the case counts as a timeout.", DefaultValueFactory = _ => 20 };
        var baseline = new Option<string?>("--baseline") { HelpName = "file", Description = "An earlier --json report: list the cases whose outcome changed since." };
        var failOnRegression = new Option<bool>("--fail-on-regression") { Description = "Exit with 1 when a case that passed in --baseline does not pass now." };
        var reference = new Option<string?>("--reference") { HelpName = "backend", Description = "The backend whose passes count as right, for the 'wrong where the reference is right' list (default ort-cpu when it runs)." };
        var minPass = new Option<string[]>("--min-pass") { HelpName = "backend=N", Description = "Exit with 1 when a backend passes fewer than N cases; comma-separated or repeated.", Arity = ArgumentArity.ZeroOrMore };
        var failOnCrash = new Option<bool>("--fail-on-crash") { Description = "Exit with 1 when any case crashes or times out." };
        var failOnWrong = new Option<bool>("--fail-on-wrong-where-reference-passes") { Description = "Exit with 1 when a backend is wrong, crashes or times out on a case the reference passes." };
        var threads = new Option<int>("--threads", "-t") { HelpName = "N", Description = "Threads per inference.", DefaultValueFactory = _ => 1 };
        var workers = new Option<int>("--workers", "-j") { HelpName = "N", Description = "Worker processes per backend, each running a share of the cases.", DefaultValueFactory = _ => 1 };
        var inProcess = new Option<bool>("--in-process") { Description = "Run the cases in this process: no worker start, but a crash ends the run and hangs are not stopped." };
        var rtol = new Option<double>("--rtol") { HelpName = "R", Description = "Relative tolerance for floating-point outputs.", DefaultValueFactory = _ => ConformanceOptions.DefaultRelativeTolerance };
        var atol = new Option<double>("--atol") { HelpName = "A", Description = "Absolute tolerance for floating-point outputs.", DefaultValueFactory = _ => ConformanceOptions.DefaultAbsoluteTolerance };
        var command = new Command("conformance", "Run the ONNX backend test cases under a folder on each backend, each case isolated (a crash or hang is counted, "
            + "not fatal): pass, wrong, refused, crashed or timeout per case, with per-operator tables and the cases where a backend is wrong while the reference is right.")
        {
            dir, backends, filter, json, md, timeout, baseline, failOnRegression, reference, minPass, failOnCrash, failOnWrong, threads, workers, inProcess, rtol, atol,
        };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, new Settings(
            parse.GetValue(dir)!,
            CommandSupport.SplitBackends(parse.GetValue(backends), Backend.Names),
            parse.GetValue(filter), parse.GetValue(json), parse.GetValue(md), parse.GetValue(timeout), parse.GetValue(baseline), parse.GetValue(failOnRegression),
            parse.GetValue(reference), CommandSupport.SplitList(parse.GetValue(minPass)), parse.GetValue(failOnCrash), parse.GetValue(failOnWrong),
            parse.GetValue(threads), parse.GetValue(workers), parse.GetValue(inProcess), parse.GetValue(rtol), parse.GetValue(atol)))));
        return command;
    }

    /// <summary>The hidden worker command: runs the cases listed on standard input, one result line each on standard output.</summary>
    public static Command CreateWorker(CliContext context)
    {
        var command = new Command(WorkerCommandName, "Internal: the worker process of 'lightnet conformance'.") { Hidden = true };
        command.SetAction(_ => ConformanceRunner.RunWorker(Console.In, context.Stdout));
        return command;
    }

    private sealed record Settings(string Dir, List<string> Backends, string? Filter, string? Json, string? Md, double Timeout, string? Baseline,
        bool FailOnRegression, string? Reference, List<string> MinPass, bool FailOnCrash, bool FailOnWrong, int Threads, int Workers, bool InProcess,
        double Rtol, double Atol);

    private static int Run(CliContext context, Settings s)
    {
        List<string> backendNames = s.Backends.Count > 0 ? s.Backends.Distinct(StringComparer.Ordinal).ToList() : ["cpu-simd", "ort-cpu"];
        if (!(s.Timeout > 0) || double.IsInfinity(s.Timeout))
        {
            throw new CliUsageException($"--timeout must be a positive number of seconds, not {s.Timeout.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (s.Threads is < 1 or > 1024)
        {
            throw new CliUsageException($"--threads must be between 1 and 1024, not {s.Threads}.");
        }

        if (s.Workers is < 1 or > 64)
        {
            throw new CliUsageException($"--workers must be between 1 and 64, not {s.Workers}.");
        }

        if (!(s.Rtol >= 0) || !(s.Atol >= 0) || double.IsInfinity(s.Rtol) || double.IsInfinity(s.Atol))
        {
            throw new CliUsageException("--rtol and --atol must be finite and 0 or more.");
        }

        // Canonical names, so that "ORT-CPU" and "ort-cpu" are the same backend everywhere below.
        List<string> names = backendNames.Select(n => Backend.Parse(n).Name).Distinct(StringComparer.Ordinal).ToList();
        var floors = new List<(string Backend, int Min)>();
        foreach (string item in s.MinPass)
        {
            int eq = item.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(item[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int min))
            {
                throw new CliUsageException($"--min-pass takes BACKEND=N, such as cpu-simd=70, not '{item}'.");
            }

            string name = Backend.Parse(item[..eq]).Name;
            if (!names.Contains(name))
            {
                throw new CliUsageException($"--min-pass names '{name}', which is not among the backends checked ({string.Join(", ", names)}).");
            }

            floors.Add((name, min));
        }

        string? reference = s.Reference is { Length: > 0 } r ? Backend.Parse(r).Name : names.Contains("ort-cpu") ? "ort-cpu" : null;
        if (reference is not null && !names.Contains(reference))
        {
            throw new CliUsageException($"--reference '{reference}' is not among the backends checked ({string.Join(", ", names)}); add it to -b.");
        }

        if (s.FailOnWrong && reference is null)
        {
            throw new CliUsageException("--fail-on-wrong-where-reference-passes needs a reference backend: give --reference and check it with -b.");
        }

        if (s.FailOnRegression && s.Baseline is null)
        {
            throw new CliUsageException("--fail-on-regression needs --baseline FILE.");
        }

        ConformanceReport? baseline = s.Baseline is { Length: > 0 } b ? ConformanceJson.Read(b) : null;
        var options = new ConformanceOptions
        {
            TestRoot = s.Dir,
            Backends = names,
            Filter = s.Filter,
            CaseTimeout = TimeSpan.FromSeconds(s.Timeout),
            Threads = s.Threads,
            Workers = s.Workers,
            RelativeTolerance = s.Rtol,
            AbsoluteTolerance = s.Atol,
            Isolation = s.InProcess ? ConformanceIsolation.InProcess : ConformanceIsolation.Isolated,
            WorkerCommand = s.InProcess ? null : WorkerCommand(),
        };

        int total = ConformanceRunner.DiscoverCases(s.Dir, s.Filter).Count;
        context.Stderr.WriteLine($"{total} cases on {string.Join(", ", names)}{(s.InProcess ? " (in-process)" : "")}.");
        var progress = new PlainProgress(context.Stderr, total);
        ConformanceReport report = ConformanceRunner.Run(options, progress, context.CancellationToken);

        TextWriter o = context.Stdout;
        o.Write(ConformanceMarkdown.TotalsTable(report));
        if (reference is not null)
        {
            IReadOnlyList<ConformanceCaseResult> wrong = report.WrongWhereReferencePasses(reference);
            o.WriteLine();
            o.WriteLine($"Wrong where {reference} is right: {wrong.Count}");
            foreach (ConformanceCaseResult w in wrong)
            {
                o.WriteLine($"  {w.Backend} {w.Case} [{ConformanceJson.OutcomeName(w.Outcome)}]: {w.Reason}");
            }
        }

        var crashes = report.Results.Where(x => x.Outcome is ConformanceOutcome.Crashed or ConformanceOutcome.Timeout).ToList();
        o.WriteLine();
        o.WriteLine($"Crashed or timed out: {crashes.Count}");
        foreach (ConformanceCaseResult c in crashes)
        {
            o.WriteLine($"  {c.Backend} {c.Case} [{ConformanceJson.OutcomeName(c.Outcome)}] {c.ErrorCode}: {c.Reason}");
        }

        IReadOnlyList<ConformanceChange> changes = baseline is null ? [] : report.CompareTo(baseline);
        if (baseline is not null)
        {
            o.WriteLine();
            o.WriteLine($"Since the baseline: {changes.Count(c => c.IsRegression)} regressed, {changes.Count(c => c.IsImprovement)} newly passing, {changes.Count} changed.");
            foreach (ConformanceChange c in changes.Where(c => c.IsRegression || c.IsImprovement))
            {
                o.WriteLine($"  {(c.IsRegression ? "regressed" : "now passes")}: {c.Backend} {c.Case} ({(c.Before is { } before ? ConformanceJson.OutcomeName(before) : "not run")} -> {ConformanceJson.OutcomeName(c.After)})");
            }
        }

        o.WriteLine();
        o.WriteLine("Unsupported operators named in refusals (top 25 per backend):");
        o.Write(ConformanceMarkdown.UnsupportedOperatorTable(report, top: 25));
        o.WriteLine();
        o.WriteLine("Most common refusal reasons (top 15 per backend):");
        o.Write(ConformanceMarkdown.RefusalReasonTable(report, top: 15));
        o.WriteLine();
        o.WriteLine("Refusals per operator (top 20 per backend):");
        o.Write(ConformanceMarkdown.RefusalTable(report, top: 20));
        o.WriteLine();
        o.WriteLine("Per operator (passed/cases):");
        o.Write(ConformanceMarkdown.OperatorTable(report));

        if (s.Json is { Length: > 0 })
        {
            ConformanceJson.Write(report, s.Json);
            context.Stderr.WriteLine($"Wrote {s.Json}.");
        }

        if (s.Md is { Length: > 0 })
        {
            ConformanceMarkdown.Write(report, s.Md, reference, baseline);
            context.Stderr.WriteLine($"Wrote {s.Md}.");
        }

        // The CI checks.
        var failures = new List<string>();
        foreach ((string backend, int min) in floors)
        {
            int pass = report.Totals(backend).Pass;
            if (pass < min)
            {
                failures.Add($"{backend} passes {pass} cases, below the floor of {min} (--min-pass).");
            }
        }

        if (s.FailOnCrash)
        {
            var crashed = report.Results.Where(x => x.Outcome is ConformanceOutcome.Crashed or ConformanceOutcome.Timeout).ToList();
            if (crashed.Count > 0)
            {
                failures.Add($"{crashed.Count} case(s) crashed or timed out (--fail-on-crash): "
                    + string.Join(", ", crashed.Take(10).Select(x => $"{x.Backend} {x.Case}")) + (crashed.Count > 10 ? ", …" : "") + ".");
            }
        }

        if (s.FailOnWrong && reference is not null)
        {
            IReadOnlyList<ConformanceCaseResult> wrong = report.WrongWhereReferencePasses(reference);
            if (wrong.Count > 0)
            {
                failures.Add($"{wrong.Count} case(s) wrong, crashed or timed out where {reference} passes (--fail-on-wrong-where-reference-passes).");
            }
        }

        if (s.FailOnRegression)
        {
            int regressed = changes.Count(c => c.IsRegression);
            if (regressed > 0)
            {
                failures.Add($"{regressed} case(s) passed in the baseline and do not pass now (--fail-on-regression).");
            }
        }

        o.WriteLine();
        foreach (string f in failures)
        {
            o.WriteLine("FAILED: " + f);
        }

        o.WriteLine(string.Join("; ", names.Select(n => $"{n}: {report.Totals(n).Pass} of {report.Totals(n).Total} passed")) + ".");
        return failures.Count == 0 ? CliApp.Success : CliApp.Failure;
    }

    /// <summary>How to start this executable as a worker: its app host when there is one next to it, else <c>dotnet LightNet.Cli.dll</c>.</summary>
    internal static ConformanceWorkerCommand WorkerCommand()
    {
        Isolation.WorkerCommand command = Isolation.WorkerCommand.ForAssembly(typeof(ConformanceCommand).Assembly, [WorkerCommandName]);
        return new ConformanceWorkerCommand(command.FileName, command.Arguments);
    }

    /// <summary>A progress line on standard error every few hundred cases and at the end of each backend.</summary>
    private sealed class PlainProgress(TextWriter stderr, int total) : IProgress<ConformanceCaseResult>
    {
        private readonly Dictionary<string, int> _done = new(StringComparer.Ordinal);
        private readonly object _lock = new();

        public void Report(ConformanceCaseResult value)
        {
            lock (_lock)
            {
                int n = _done[value.Backend] = _done.GetValueOrDefault(value.Backend) + 1;
                if (n % 250 == 0 || n == total)
                {
                    stderr.WriteLine($"{value.Backend}: {n}/{total} cases");
                }
            }
        }
    }
}

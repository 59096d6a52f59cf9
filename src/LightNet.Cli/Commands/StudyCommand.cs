using System.CommandLine;
using System.Globalization;
using LightNet.Backends;
using LightNet.Evaluation;
using LightNet.Profiling;
using LightNet.Study;
using Spectre.Console;

namespace LightNet.Cli.Commands;

/// <summary>
/// <c>lightnet study [--models ...] [--backends ...] [--precisions fp32,fp16,int8] [--threads N] [--budget-ms X] [--budget-mb Y]
/// [--quick] [--compare old.json] [--eval DIR] [--pretrained] [--keep-models] -o report/</c>: the seed study on this machine, as index.html,
/// summary.md and results.json; <c>lightnet study merge a/results.json b/results.json -o fleet</c>: several devices in one report.
/// </summary>
internal static class StudyCommand
{
    public static Command Create(CliContext context)
    {
        var models = new Option<string[]>("--models", "-m")
        {
            HelpName = "a,b,...",
            Description = $"Zoo models, comma-separated or repeated (name@width for a width multiplier; default: the seed study's {string.Join(",", StudyOptions.SeedModels)}).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var backends = new Option<string[]>("--backends", "-b")
        {
            HelpName = "x,y,...",
            Description = $"Backends (default: every backend; those that cannot run here are listed with the reason). {StudyOptions.PlainBaseline} always runs as the baseline.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var baseline = new Option<string?>("--baseline") { HelpName = "backend", Description = $"The backend whose FP32 speed is 1.00× (default {StudyOptions.PlainBaseline}, plain execution)." };
        var precisions = new Option<string[]>("--precisions", "-p")
        {
            HelpName = "fp32,fp16,int8",
            Description = "Precisions (default all three): FP16 by Float16Converter, INT8 by static quantization calibrated on synthetic inputs.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var threads = new Option<int?>("--threads", "-t") { HelpName = "N", Description = "Threads per inference (default: the backend's choice)." };
        var runs = new Option<int?>("--runs", "-n") { HelpName = "N", Description = "Timed runs per cell, at least (default 20; 8 with --quick)." };
        var resolution = new Option<int?>("--resolution") { HelpName = "pixels", Description = "Input height and width (default: each network's; 112 with --quick). Networks that cannot take it use the largest half of it they take, else their default." };
        var quick = new Option<bool>("--quick") { Description = "A quick study (under two minutes on 2 cores): 112×112 inputs (VGG16 56×56), 8 runs of at most 1 s per cell, fewer calibration and fidelity samples." };
        var breakdown = new Option<string?>("--breakdown") { HelpName = "model", Description = "The model whose operators are profiled (default: the first)." };
        var output = new Option<string>("--output", "-o") { HelpName = "folder", Description = "Where to write index.html, summary.md and results.json.", DefaultValueFactory = _ => "report" };
        var compare = new Option<string?>("--compare") { HelpName = "old.json", Description = "An earlier study's results.json: list regressions and improvements with confidence intervals." };
        var eval = new Option<string?>("--eval")
        {
            HelpName = "folder|csv",
            Description = "Measure top-1/top-5 of every precision on a labelled image set: a folder with one sub-folder per class (WordNet id, class index or ImageNet name) or a CSV of file,label lines.",
        };
        var synsets = new Option<string?>("--synsets") { HelpName = "file", Description = "With --eval: WordNet ids in class order, one per line (ImageNet's LOC_synset_mapping.txt), for a set with fewer than all 1000 classes." };
        var evalImages = new Option<int?>("--eval-images") { HelpName = "N", Description = "With --eval: at most N images, taken in turn from each class (default: all)." };
        var pretrained = new Option<bool>("--pretrained") { Description = "Measure the zoo's pretrained ONNX files (downloaded once into the cache, SHA-256 checked) instead of synthetic weights." };
        var cache = new Option<string?>("--cache") { HelpName = "folder", Description = "Download cache of the pretrained files (default: LIGHTNET_CACHE, else ~/.cache/lightnet/models)." };
        var isolate = new Option<bool>("--isolate")
        {
            Description = "Measure the cells of native backends (ONNX Runtime, cuDNN) in a separate LightNet worker process: a native crash, hang or memory " +
                "blow-up fails that cell instead of the study. Each such cell pays a worker start (about 1 s); times include the round trip to the worker.",
        };
        var keep = new Option<bool>("--keep-models") { Description = "Keep every measured variant in <output>/models/ (recommend --emit then ships that file; without it the variant is made again and checked)." };
        var budget = new BudgetOptions();
        var command = new Command("study", "Measure the seed study's networks on every backend and precision that can run here, and write an HTML report "
            + "with charts, a Markdown summary and a JSON results file, ending with the model that fits the budgets.")
        {
            models, backends, baseline, precisions, threads, runs, resolution, quick, breakdown, output, compare, eval, synsets, evalImages, pretrained, cache, keep, isolate,
        };
        command.Subcommands.Add(MergeCommand(context));
        budget.AddTo(command);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
        {
            StudyOptions options = parse.GetValue(quick) ? StudyOptions.Quick : StudyOptions.Default;
            List<string> modelList = CommandSupport.SplitList(parse.GetValue(models));
            List<string> backendList = CommandSupport.SplitBackends(parse.GetValue(backends), Backend.Names);
            List<string> precisionList = CommandSupport.SplitList(parse.GetValue(precisions));
            int? n = parse.GetValue(runs);
            if (n is < 1)
            {
                throw new CliUsageException($"--runs must be at least 1, not {n}.");
            }

            options = options with
            {
                // --pretrained alone: the seed networks that have a pretrained file (MobileNet v1 has none).
                Models = modelList.Count > 0 ? modelList.Distinct(StringComparer.OrdinalIgnoreCase).ToList()
                    : parse.GetValue(pretrained) ? options.Models.Where(m => Zoo.ModelZoo.Get(m).Pretrained is not null).ToList()
                    : options.Models,
                Backends = backendList.Count > 0 ? backendList : null,
                Baseline = parse.GetValue(baseline) ?? options.Baseline,
                Precisions = precisionList.Count > 0 ? precisionList.Select(ParsePrecision).Distinct().ToList() : options.Precisions,
                Threads = parse.GetValue(threads),
                Resolution = parse.GetValue(resolution) ?? options.Resolution,
                Measurement = n is int r ? options.Measurement with { Runs = r } : options.Measurement,
                BreakdownModel = parse.GetValue(breakdown),
                Constraints = budget.Build(parse),
                Command = CommandLine(parse),
                Pretrained = parse.GetValue(pretrained),
                PretrainedCache = parse.GetValue(cache),
                ModelsFolder = parse.GetValue(keep) ? Path.Combine(parse.GetValue(output)!, "models") : null,
                Isolation = parse.GetValue(isolate) ? Isolation.IsolationMode.Process : Isolation.IsolationMode.InProcess,
            };
            if (parse.GetValue(eval) is string set)
            {
                // Read (and check) the labelled set before minutes of measuring.
                options = options with { Evaluation = LabelledImageSet.Load(set, new LabelledSetOptions { SynsetFile = parse.GetValue(synsets), MaxImages = parse.GetValue(evalImages) }) };
            }
            else if (parse.GetValue(synsets) is not null || parse.GetValue(evalImages) is not null)
            {
                throw new CliUsageException("--synsets and --eval-images need --eval.");
            }

            return Run(context, options, parse.GetValue(output)!, parse.GetValue(compare));
        }));
        return command;
    }

    /// <summary><c>lightnet study merge [name=]a/results.json [name=]b/results.json ... -o fleet</c>.</summary>
    private static Command MergeCommand(CliContext context)
    {
        var inputs = new Argument<string[]>("results")
        {
            HelpName = "[name=]results.json",
            Description = "Two or more studies' results.json, one per device; a device is named by its folder unless given as name=path.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output", "-o") { HelpName = "folder", Description = "Where to write the fleet's index.html, summary.md and results.json.", DefaultValueFactory = _ => "fleet" };
        var force = new Option<bool>("--allow-mismatch") { Description = "Merge studies that are not comparable (other LightNet version, resolution, variant files); the report says what differs." };
        var budget = new BudgetOptions();
        var command = new Command("merge", "Merge studies made on several devices into one report: each device's environment, the same cells compared across "
            + "devices with ratios and intervals, and a recommendation per device.") { inputs, output, force };
        budget.AddTo(command);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
        {
            var devices = new List<(string Name, StudyResults Results)>();
            var sources = new List<string>();
            foreach (string input in parse.GetValue(inputs) ?? [])
            {
                int eq = input.IndexOf('=', StringComparison.Ordinal);
                string path = eq > 0 ? input[(eq + 1)..] : input;
                string name = eq > 0 ? input[..eq] : DeviceName(path, devices.Select(d => d.Name));
                devices.Add((name, StudyJson.Read(path)));
                sources.Add(Path.GetFullPath(path));
            }

            FleetResults fleet = StudyFleet.Merge(devices, budget.Build(parse), parse.GetValue(force), sources);
            IReadOnlyList<string> written = StudyFleet.Write(fleet, parse.GetValue(output)!);
            foreach (string problem in fleet.Incompatibilities)
            {
                context.Console.WriteText($"warning: not comparable: {problem}");
            }

            foreach (string difference in fleet.Differences)
            {
                context.Console.WriteText($"note: {difference}");
            }

            foreach (FleetDevice d in fleet.Devices)
            {
                context.Console.WriteText($"{d.Name}: {d.Recommendation?.Summary ?? "nothing measured."}");
            }

            context.Console.WriteText($"Wrote {string.Join(", ", written)}.");
            return CliApp.Success;
        }));
        return command;
    }

    /// <summary>A device's default name: the folder of its results.json ("a" for a/results.json), made unique with a number.</summary>
    private static string DeviceName(string path, IEnumerable<string> taken)
    {
        string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) is { Length: > 0 } f ? f : "device";
        string name = folder;
        for (int i = 2; taken.Contains(name, StringComparer.OrdinalIgnoreCase); i++) name = $"{folder}-{i}";
        return name;
    }

    private static int Run(CliContext context, StudyOptions options, string output, string? comparePath)
    {
        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid study: " + string.Join("; ", problems) + ".");
        }

        // Everything that can fail on bad input fails before minutes of measuring: the old results and the output folder.
        StudyResults? old = comparePath is null ? null : StudyJson.Read(comparePath);
        StudyReport.EnsureWritable(output);

        StudyResults results = ShowProgress(context, progress => StudyRunner.Run(options, progress, context.CancellationToken));
        StudyComparison? comparison = old is null ? null : StudyComparison.Compare(old, results);
        IReadOnlyList<string> written = StudyReport.Write(results, output, comparison);
        Print(context, results, comparison);
        context.Console.WriteText($"Wrote {string.Join(", ", written)}.");
        return CliApp.Success;
    }

    private static void Print(CliContext context, StudyResults results, StudyComparison? comparison)
    {
        IReadOnlyList<string> backends = results.Settings.Backends;
        var table = Formatting.NewTable("Median latency (ms) by backend and precision", ["Model", .. backends.SelectMany(b =>
            results.Settings.Precisions.Where(p => results.Cells.Any(c => c.Backend == b && c.Precision == p)).Select(p => $">{b} {Label(p)}"))]);
        foreach (StudyModel m in results.Models)
        {
            var row = new List<string> { m.Name };
            foreach (string b in backends)
            {
                foreach (Precision p in results.Settings.Precisions.Where(p => results.Cells.Any(c => c.Backend == b && c.Precision == p)))
                {
                    StudyCell? cell = results.Cell(m.Name, b, p);
                    row.Add(cell?.Report?.LatencyMs is { } l ? Formatting.Ms(l.Median) : cell is null ? "—" : "failed");
                }
            }

            table.AddTextRow([.. row]);
        }

        context.Console.Write(table);
        foreach (StudyCell cell in results.Cells.Where(c => c.Report is { Warnings.Count: > 0 }))
        {
            foreach (string warning in cell.Report!.Warnings)
            {
                context.Console.WriteText($"warning: {cell.Model} {Label(cell.Precision)} on {cell.Backend}: {CliApp.OneLine(warning)}");
            }
        }

        if (results.Unavailable.Count > 0)
        {
            context.Console.WriteText($"Cannot run here (the report says why): {string.Join(", ", results.Unavailable.Select(u => u.Name))}.");
        }

        if (comparison is not null)
        {
            context.Console.WriteText($"Compared with the study of {comparison.OldCreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC: "
                + $"{comparison.Regressions.Count()} regressions, {comparison.Improvements.Count()} improvements.");
            foreach (StudyChange c in comparison.Changes.Where(c => c.Kind is ChangeKind.Regression or ChangeKind.Improvement))
            {
                context.Console.WriteText($"  {(c.Kind == ChangeKind.Regression ? "slower" : "faster")}: {c.Model} {Label(c.Precision)} on {c.Backend}: "
                    + $"{Formatting.Ms(c.OldMeanMs)} → {Formatting.Ms(c.NewMeanMs)} ms, ×{Formatting.Fixed(c.Ratio, "F2")} {Formatting.Interval(c.RatioCi, "F2")}");
            }

            if (comparison.EnvironmentNote is not null)
            {
                context.Console.WriteText(comparison.EnvironmentNote);
            }
        }

        context.Console.WriteText("Recommendation: " + (results.Recommendation?.Summary ?? "nothing was measured."));
    }

    /// <summary>Runs the study on the thread pool, showing a progress bar with the time left (or plain lines when not a terminal).</summary>
    private static StudyResults ShowProgress(CliContext context, Func<IProgress<StudyProgress>, StudyResults> work)
    {
        var sink = new LastValue();
        Task<StudyResults> task = Task.Run(() => work(sink), context.CancellationToken);
        if (context.Interactive)
        {
            context.Console.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(progress =>
                {
                    ProgressTask bar = progress.AddTask("starting", maxValue: 1000);
                    while (!Wait(task, TimeSpan.FromMilliseconds(150)))
                    {
                        if (sink.Value is { } p)
                        {
                            bar.Description = Markup.Escape($"[{p.Step}/{p.Steps}] {p.Description}");
                            bar.Value = Math.Round(1000 * p.Fraction);
                        }
                    }

                    bar.Value = bar.MaxValue;
                });
        }
        else
        {
            int shown = -1;
            while (!Wait(task, TimeSpan.FromMilliseconds(250)))
            {
                if (sink.Value is { } p && p.Step != shown)
                {
                    shown = p.Step;
                    string left = p.Remaining is TimeSpan r ? $", about {Seconds(r)} left" : "";
                    context.Stderr.WriteLine($"[{p.Step}/{p.Steps}] {p.Description} ({Seconds(p.Elapsed)} elapsed{left})");
                }
            }
        }

        return task.GetAwaiter().GetResult();
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + " s";

    private static bool Wait(Task task, TimeSpan timeout)
    {
        try
        {
            return task.Wait(timeout);
        }
        catch (AggregateException)
        {
            return true;
        }
    }

    internal static Precision ParsePrecision(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => Precision.Fp32,
        "fp16" or "float16" or "half" => Precision.Fp16,
        "int8" or "i8" or "q8" => Precision.Int8,
        _ => throw new CliUsageException($"Unknown precision '{text}': use fp32, fp16 or int8."),
    };

    /// <summary>The command as typed, for the report: "lightnet study --quick -o report".</summary>
    internal static string CommandLine(ParseResult parse) =>
        "lightnet " + string.Join(' ', parse.Tokens.Select(t => t.Value.Contains(' ', StringComparison.Ordinal) || t.Value.Length == 0 ? $"\"{t.Value}\"" : t.Value));

    private static string Label(Precision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>Keeps the last report (the study reports from its own thread; the display reads from this one).</summary>
    private sealed class LastValue : IProgress<StudyProgress>
    {
        private readonly Lock _lock = new();
        private StudyProgress? _value;

        public StudyProgress? Value
        {
            get
            {
                lock (_lock)
                {
                    return _value;
                }
            }
        }

        public void Report(StudyProgress value)
        {
            lock (_lock)
            {
                _value = value;
            }
        }
    }
}

/// <summary>The budget flags that study and recommend share.</summary>
internal sealed class BudgetOptions
{
    private readonly Option<double?> _ms = new("--budget-ms") { HelpName = "ms", Description = "Latency budget: the largest median latency in milliseconds." };
    private readonly Option<double?> _mb = new("--budget-mb") { HelpName = "MiB", Description = "Size budget: the largest model file in MiB." };
    private readonly Option<double?> _fidelity = new("--min-fidelity") { HelpName = "0..1", Description = "Smallest top-1 agreement of a compressed model with its FP32 original." };
    private readonly Option<double?> _accuracy = new("--min-accuracy") { HelpName = "percent", Description = "Smallest estimated ImageNet top-1 accuracy (published value adjusted by the measured fidelity)." };
    private readonly Option<string?> _objective = new("--objective") { HelpName = "fastest|accurate", Description = "What to pick among the candidates that fit (default: most accurate under a latency budget alone, else fastest)." };

    public void AddTo(Command command)
    {
        command.Options.Add(_ms);
        command.Options.Add(_mb);
        command.Options.Add(_fidelity);
        command.Options.Add(_accuracy);
        command.Options.Add(_objective);
    }

    /// <summary>The constraints the flags describe; a bad value is a usage error.</summary>
    public SelectionConstraints Build(ParseResult parse)
    {
        var constraints = new SelectionConstraints
        {
            MaxLatencyMs = parse.GetValue(_ms),
            MaxModelMiB = parse.GetValue(_mb),
            MinFidelity = parse.GetValue(_fidelity),
            MinAccuracy = parse.GetValue(_accuracy),
            Objective = parse.GetValue(_objective)?.Trim().ToLowerInvariant() switch
            {
                null or "" or "auto" => SelectionObjective.Auto,
                "fastest" or "fast" => SelectionObjective.Fastest,
                "accurate" or "most-accurate" => SelectionObjective.MostAccurate,
                string other => throw new CliUsageException($"Unknown objective '{other}': use fastest or accurate."),
            },
        };
        IReadOnlyList<string> problems = constraints.Validate();
        if (problems.Count > 0)
        {
            throw new CliUsageException("Invalid budget: " + string.Join("; ", problems) + ".");
        }

        return constraints;
    }
}

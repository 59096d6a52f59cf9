using System.CommandLine;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using Spectre.Console;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet compare [--models ...] [--backends ...] [--baseline B] [options]</c>: a model × backend matrix with speed-ups.</summary>
internal static class CompareCommand
{
    /// <summary>The models compared when none are named: the study's light networks and a heavier reference.</summary>
    public static readonly IReadOnlyList<string> DefaultModels = ["mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0", "resnet18"];

    public static Command Create(CliContext context)
    {
        var models = new Option<string[]>("--models", "-m")
        {
            HelpName = "a,b,...",
            Description = $"Models, comma-separated or repeated: zoo names (name@width) or .onnx files (default: {string.Join(",", DefaultModels)}).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var backends = new Option<string[]>("--backends", "-b")
        {
            HelpName = "x,y,...",
            Description = "Backends, comma-separated or repeated (default: every backend; those that cannot run here are listed with the reason).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var baseline = new Option<string?>("--baseline") { HelpName = "backend", Description = "The backend whose speed is 1.00× (default: ort-cpu:opt=none, plain execution, when --backends is not given; else the first available)." };
        var measure = new MeasurementOptions();
        var settle = new Option<double?>("--settle")
        {
            HelpName = "ms",
            Description = "Untimed runs after switching backends, for this long, so the previous backend's spinning threads have gone quiet; "
                + "each backend is then timed for twice as long before the next one's turn (default 50; 0 alternates single runs).",
        };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Write the comparison as JSON to this file ('-' for standard output instead of the table)." };
        var md = new Option<string?>("--md") { HelpName = "file", Description = "Write the comparison as Markdown to this file." };
        var perLayer = new Option<bool>("--per-layer", "--layers")
        {
            Description = "Also profile every backend per operator (a separate, untimed pass after the timed runs) and show where each model's "
                + "time goes by layer kind (conv 1×1, conv 3×3 depthwise, fully connected, ...), with each kind's ratio to the baseline.",
        };
        var command = new Command("compare", "Measure models on several backends with interleaved runs and report each backend's "
            + "speed-up over a baseline with a 95% confidence interval.")
        {
            models, backends, baseline,
        };
        measure.AddTo(command, withShapes: true, withBatch: true);
        command.Options.Add(settle);
        command.Options.Add(json);
        command.Options.Add(md);
        command.Options.Add(perLayer);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context,
            CommandSupport.SplitList(parse.GetValue(models)), CommandSupport.SplitBackends(parse.GetValue(backends), Backend.Names),
            parse.GetValue(baseline), WithSettle(measure.Build(parse), parse.GetValue(settle)) with { PerOperatorProfile = parse.GetValue(perLayer) }, measure.Batch(parse), measure.Shapes(parse),
            parse.GetValue(json), parse.GetValue(md)),
            missingDimensionHint: "A symbolic first dimension is the batch (--batch); give the other dimensions with --shape NAME=1x3x224x224 "
                + "(repeat it for each input; each model takes the shapes of its own inputs), or profile the model on its own with 'lightnet profile'."));
        return command;
    }

    private static ProfileOptions WithSettle(ProfileOptions options, double? settleMs)
    {
        if (settleMs is not double ms)
        {
            return options;
        }

        if (ms < 0 || ms > 10_000 || !double.IsFinite(ms))
        {
            throw new CliUsageException($"--settle must be between 0 and 10000 ms, not {ms.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        return options with { SwitchSettle = TimeSpan.FromMilliseconds(ms) };
    }

    /// <summary>The default baseline: ONNX Runtime CPU without graph optimisations ("plain execution").</summary>
    internal const string PlainBaseline = "ort-cpu:opt=none";

    private static int Run(CliContext context, List<string> modelSpecs, List<string> backendNames, string? baseline, ProfileOptions options,
        int? batch, IReadOnlyDictionary<string, long[]> shapes, string? json, string? md)
    {
        if (modelSpecs.Count == 0)
        {
            modelSpecs = [.. DefaultModels];
        }

        modelSpecs = modelSpecs.Distinct(StringComparer.Ordinal).ToList();
        List<Backend> backends = backendNames.Count == 0 ? [.. Backend.All] : backendNames.Select(Backend.Parse).ToList();
        if (backendNames.Count == 0 && baseline is null)
        {
            // The seed study's "plain = 1": ONNX Runtime on the CPU with every graph optimisation off is the baseline,
            // so that even a machine with only a CPU shows what each backend and optimisation level buys.
            backends.Insert(0, Backend.Parse(PlainBaseline));
            baseline = PlainBaseline;
        }

        if (baseline is not null)
        {
            Backend b = Backend.Parse(baseline);
            if (backends.All(x => x.Name != b.Name))
            {
                backends.Insert(0, b);
            }
        }

        // Build or load every model first, so that a bad name fails before minutes of measuring.
        var models = CommandSupport.LoadModels(modelSpecs, batch, shapes);
        List<Model> loaded = models.Select(m => m.Model).ToList();
        List<string> labels = models.Select(m => m.Label).ToList();
        // Each file takes the shapes of its own inputs (the comparison matches them by name, model by model).
        var fileShapes = models.SelectMany(m => m.Shapes).DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (fileShapes.Count > 0)
        {
            options = options with { InputShapes = fileShapes };
        }

        int available = backends.DistinctBy(b => b.Name).Count(b => b.CheckAvailability().IsAvailable); // cached probes
        if (available == 0)
        {
            // Say so at once, before any progress output: nothing would be measured.
            throw new LightNetException(ErrorCode.BackendUnavailable, "None of the backends can run here: "
                + string.Join("; ", backends.DistinctBy(b => b.Name).Select(b => $"{b.Name}: {b.CheckAvailability().Reason}")));
        }

        ComparisonReport report = ProgressDisplay.Run(context, labels, available == 1 ? "1 backend" : $"{available} backends", options with { WarmupSeconds = 0 },
            progress => Profiler.Compare(loaded, backends, options, baseline, progress, context.CancellationToken));

        bool jsonToStdout = json == "-";
        if (jsonToStdout)
        {
            context.Stdout.WriteLine(ComparisonJson.Format(report));
        }
        else
        {
            Print(context.Console, report, labels);
        }

        var written = new List<string>();
        if (json is { Length: > 0 } && !jsonToStdout)
        {
            ComparisonJson.Write(report, json);
            written.Add(json);
        }

        if (md is { Length: > 0 })
        {
            ComparisonMarkdown.Write(report, md);
            written.Add(md);
        }

        if (written.Count > 0)
        {
            (jsonToStdout ? (Action<string>)context.Stderr.WriteLine : context.Console.WriteText)($"Wrote {string.Join(", ", written)}.");
        }

        return CliApp.Success;
    }

    private static void Print(IAnsiConsole console, ComparisonReport report, List<string> labels)
    {
        // Cells come model by model, each model's cells together: label them with the names given on the command line.
        var rows = new List<(string Label, List<ComparisonCell> Cells)>();
        ModelSummary? current = null;
        foreach (ComparisonCell cell in report.Cells)
        {
            if (!ReferenceEquals(cell.Model, current))
            {
                current = cell.Model;
                rows.Add((rows.Count < labels.Count ? labels[rows.Count] : cell.Model.Name, []));
            }

            rows[^1].Cells.Add(cell);
        }

        List<string> backends = report.Cells.Select(c => c.Backend.Name).Distinct(StringComparer.Ordinal)
            .OrderBy(b => b == report.Baseline ? 0 : 1).ToList();
        console.WriteText($"Median latency and speed-up over {report.Baseline} with its 95% confidence interval:");
        var table = Formatting.NewTable(null, ["Model", .. backends.Select(b => ">" + b + (b == report.Baseline ? " (baseline)" : ""))]);
        foreach ((string label, List<ComparisonCell> cells) in rows)
        {
            var values = new List<string> { label };
            foreach (string backend in backends)
            {
                ComparisonCell? cell = cells.FirstOrDefault(c => c.Backend.Name == backend);
                values.Add(cell is null ? "—"
                    : cell.LatencyMs is null ? "failed"
                    : $"{Formatting.Ms(cell.LatencyMs.Median)} ms  {Formatting.SpeedUp(cell, backend == report.Baseline)}");
            }

            table.AddTextRow([.. values]);
        }

        console.Write(table);
        console.WriteText($"Speed-up: baseline mean latency / the backend's (above 1.00× is faster). "
            + $"At least {report.Settings.MinRuns} interleaved runs per cell ({report.Settings.Runs} in the smallest), "
            + $"threads {(report.Settings.Threads is int t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default")}.");

        if (backends.Count == 1)
        {
            console.WriteText($"Only {backends[0]} ran, so there is nothing to compare it with; name more backends, "
                + "for example --backends ort-cpu,ort-cpu:opt=none (see 'lightnet backends').");
        }

        foreach (ComparisonCell failed in report.Cells.Where(c => c.Error is not null))
        {
            console.WriteText($"failed: {failed.Model.Name} on {failed.Backend.Name}: {CliApp.OneLine(failed.Error!)}");
        }

        foreach (ComparisonCell cell in report.Cells)
        {
            foreach (string warning in cell.Warnings)
            {
                console.WriteText($"warning: {cell.Model.Name} on {cell.Backend.Name}: {CliApp.OneLine(warning)}");
            }
        }

        foreach (LayerBreakdown layers in report.Layers)
        {
            console.WriteText(LayerBreakdownTable.Caption(layers));
            IReadOnlyList<string> header = LayerBreakdownTable.Header(layers);
            var layerTable = Formatting.NewTable(null, [header[0], .. header.Skip(1).Select(h => ">" + h)]);
            foreach (IReadOnlyList<string> row in LayerBreakdownTable.Rows(layers))
            {
                layerTable.AddTextRow([.. row]);
            }

            console.Write(layerTable);
            foreach (string note in LayerBreakdownTable.Notes(layers))
            {
                console.WriteText(note);
            }
        }

        if (report.Unavailable.Count > 0)
        {
            var unavailable = Formatting.NewTable("Unavailable backends", "Backend", "Reason");
            foreach (UnavailableBackend u in report.Unavailable)
            {
                unavailable.AddTextRow(u.Name, CliApp.OneLine(u.Reason));
            }

            console.Write(unavailable);
        }
    }
}

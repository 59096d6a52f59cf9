using System.CommandLine;
using System.Globalization;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using Spectre.Console;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet profile &lt;model&gt; [options]</c>: measures one model on one backend.</summary>
internal static class ProfileCommand
{
    private const int TopOperators = 10;

    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = InfoCommand.ModelHelp };
        var backend = new Option<string>("--backend", "-b") { HelpName = "name", Description = "Backend name with options (see 'lightnet backends').", DefaultValueFactory = _ => "ort-cpu" };
        var measure = new MeasurementOptions();
        var perOp = new Option<bool>("--per-op") { Description = "Also time every operator in a separate, untimed pass and list the most expensive." };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Write the report as JSON to this file ('-' for standard output instead of the table)." };
        var csv = new Option<string?>("--csv") { HelpName = "file", Description = "Write the report as one CSV row (with a header) to this file." };
        var md = new Option<string?>("--md") { HelpName = "file", Description = "Write the report as Markdown to this file." };
        var image = new Option<string?>("--image") { HelpName = "file", Description = "Time the whole pipeline on this photo instead: decode, preprocess, "
            + "inference and postprocess (softmax, top-5), each stage separately, and print the top-5 classes. With --json only." };
        var command = new Command("profile", "Measure a model on a backend: load time, first run, latency with confidence intervals, "
            + "throughput, memory, stability and, with --per-op, the most expensive operators.")
        {
            model, backend,
        };
        measure.AddTo(command, withShapes: true, withBatch: true);
        command.Options.Add(perOp);
        command.Options.Add(json);
        command.Options.Add(csv);
        command.Options.Add(md);
        command.Options.Add(image);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, new Request(
            parse.GetValue(model)!, parse.GetValue(backend) ?? "ort-cpu", measure, parse, parse.GetValue(perOp),
            parse.GetValue(json), parse.GetValue(csv), parse.GetValue(md), parse.GetValue(image)))));
        return command;
    }

    private sealed record Request(string Model, string Backend, MeasurementOptions Measure, ParseResult Parse, bool PerOp, string? Json, string? Csv, string? Md, string? Image);

    private static int Run(CliContext context, Request request)
    {
        if (request.Image is string imagePath)
        {
            return RunPipeline(context, request, imagePath);
        }

        ProfileOptions options = request.Measure.Build(request.Parse) with { PerOperatorProfile = request.PerOp };
        IReadOnlyDictionary<string, long[]> shapes = request.Measure.Shapes(request.Parse);
        bool isFile = ModelSource.IsFile(request.Model);
        if (isFile && shapes.Count > 0)
        {
            options = options with { InputShapes = shapes };
        }

        Backend backend = AvailableBackend(request.Backend);
        Model model = ModelSource.Load(request.Model, request.Measure.Batch(request.Parse), shapes);
        string label = isFile ? Path.GetFileName(request.Model) : request.Model;
        ProfileReport report = ProgressDisplay.Run(context, [label], backend.Name, options,
            progress => Profiler.Measure(model, backend, options, progress, context.CancellationToken));

        bool jsonToStdout = request.Json == "-";
        if (jsonToStdout)
        {
            context.Stdout.WriteLine(ReportJson.Serialize(report));
        }
        else
        {
            Print(context.Console, label, report);
        }

        var written = new List<string>();
        if (request.Json is { Length: > 0 } jsonPath && !jsonToStdout)
        {
            ReportJson.Write(report, jsonPath);
            written.Add(jsonPath);
        }

        if (request.Csv is { Length: > 0 } csvPath)
        {
            ReportCsv.Write([report], csvPath);
            written.Add(csvPath);
        }

        if (request.Md is { Length: > 0 } mdPath)
        {
            ReportMarkdown.Write(report, mdPath);
            written.Add(mdPath);
        }

        if (written.Count > 0)
        {
            (jsonToStdout ? (Action<string>)context.Stderr.WriteLine : context.Console.WriteText)($"Wrote {string.Join(", ", written)}.");
        }

        return CliApp.Success;
    }

    private static int RunPipeline(CliContext context, Request request, string imagePath)
    {
        if (imagePath.Length == 0)
        {
            throw new CliUsageException("--image needs a file.");
        }

        if (request.PerOp || request.Csv is not null || request.Md is not null)
        {
            throw new CliUsageException("--per-op, --csv and --md are not available with --image; use --json for the pipeline report.");
        }

        ProfileOptions options = request.Measure.Build(request.Parse);
        IReadOnlyDictionary<string, long[]> shapes = request.Measure.Shapes(request.Parse);
        Backend backend = AvailableBackend(request.Backend);
        Model model = ModelSource.Load(request.Model, request.Measure.Batch(request.Parse), shapes);
        string label = ModelSource.IsFile(request.Model) ? Path.GetFileName(request.Model) : request.Model;
        PipelineReport report = ProgressDisplay.Run(context, [label], backend.Name, options,
            progress => Profiler.MeasurePipeline(model, backend, imagePath, null, options, progress, context.CancellationToken));

        bool synthetic = model.Metadata.TryGetValue("lightnet.weights", out string? weights) && weights == "synthetic";
        bool jsonToStdout = request.Json == "-";
        if (jsonToStdout)
        {
            context.Stdout.WriteLine(ReportJson.SerializePipeline(report));
        }
        else
        {
            PrintPipeline(context.Console, label, report, synthetic);
        }

        if (request.Json is { Length: > 0 } jsonPath && !jsonToStdout)
        {
            ReportJson.WritePipeline(report, jsonPath);
            context.Console.WriteText($"Wrote {jsonPath}.");
        }
        else if (jsonToStdout && synthetic)
        {
            context.Stderr.WriteLine($"warning: {SyntheticWarning}");
        }

        return CliApp.Success;
    }

    private const string SyntheticWarning = "this zoo model has synthetic (random, untrained) weights: the classes above mean nothing; only the times do.";

    private static void PrintPipeline(IAnsiConsole console, string label, PipelineReport r, bool synthetic)
    {
        MeasurementSettings s = r.Settings;
        console.WriteText($"{label} on {r.Backend.Name} ({r.Backend.Kind}, {r.Backend.Precision}, {r.Backend.Device}): pipeline on "
            + $"{r.Image} ({r.ImageWidth}×{r.ImageHeight}, {Formatting.Count(r.ImageBytes)} bytes), preprocessing {r.Preprocessing}");
        console.WriteText($"{s.Runs} timed runs after {s.WarmupRuns} warm-up runs, threads {(s.Threads is int t ? t.ToString(CultureInfo.InvariantCulture) : "default")}; "
            + $"load {Formatting.Ms(r.LoadMs)} ms, first pass {Formatting.Ms(r.FirstRunMs)} ms");
        console.WriteLine();

        var stages = Formatting.NewTable("Pipeline stages (ms)", "Stage", ">median", ">p90", ">mean", "95% CI of mean", ">% of total");
        double totalMean = r.TotalMs.Mean;
        foreach ((string name, LatencySummary l) in new[]
        {
            ("decode", r.DecodeMs), ("preprocess", r.PreprocessMs), ("inference", r.InferenceMs), ("postprocess", r.PostprocessMs), ("total", r.TotalMs),
        })
        {
            stages.AddTextRow(name, Formatting.Ms(l.Median), Formatting.Ms(l.P90), Formatting.Ms(l.Mean), Formatting.Interval(l.MeanCi),
                totalMean > 0 ? Formatting.Fixed(100 * l.Mean / totalMean, "F1") : "");
        }

        console.Write(stages);
        var top = Formatting.NewTable("Top 5 (last run)", ">#", "Label", ">Index", ">Probability");
        for (int i = 0; i < r.TopClasses.Count; i++)
        {
            Postprocessing.Classification c = r.TopClasses[i];
            top.AddTextRow((i + 1).ToString(CultureInfo.InvariantCulture), c.Label, c.Index.ToString(CultureInfo.InvariantCulture),
                Formatting.Fixed(c.Probability * 100, "F2") + " %");
        }

        console.Write(top);
        if (synthetic)
        {
            console.WriteText("warning: " + SyntheticWarning);
        }

        foreach (string warning in r.Warnings)
        {
            console.WriteText("warning: " + CliApp.OneLine(warning));
        }
    }

    private static void Print(IAnsiConsole console, string label, ProfileReport r)
    {
        MeasurementSettings s = r.Settings;
        string shapes = string.Join(", ", r.Model.InputShapes.Select(p => $"{p.Key} {ModelSource.FormatShape(p.Value)}"));
        console.WriteText($"{label} on {r.Backend.Name} ({r.Backend.Kind}, {r.Backend.Precision}, {r.Backend.Device})");
        console.WriteText($"{Formatting.Count(r.Model.Parameters)} parameters, {Formatting.Macs(r.Model.Macs)} MACs, inputs: {shapes}; "
            + $"{s.Runs} timed runs after {s.WarmupRuns} warm-up runs, batch {s.BatchSize}, threads {(s.Threads is int t ? t.ToString(CultureInfo.InvariantCulture) : "default")}");
        console.WriteLine();

        LatencySummary l = r.LatencyMs;
        var latency = Formatting.NewTable("Latency (ms)", "Statistic", ">ms", "95% CI");
        latency.AddTextRow("mean", Formatting.Ms(l.Mean), Formatting.Interval(l.MeanCi));
        latency.AddTextRow("median", Formatting.Ms(l.Median), Formatting.Interval(l.MedianCi));
        latency.AddTextRow("p90", Formatting.Ms(l.P90), "");
        latency.AddTextRow("p95", Formatting.Ms(l.P95), "");
        latency.AddTextRow("p99", Formatting.Ms(l.P99), "");
        latency.AddTextRow("min", Formatting.Ms(l.Min), "");
        latency.AddTextRow("max", Formatting.Ms(l.Max), "");
        latency.AddTextRow("std", Formatting.Ms(l.StandardDeviation), "");

        var other = Formatting.NewTable("Load, throughput, memory, stability", "Measure", ">Value");
        other.AddTextRow("load (session creation)", Formatting.Ms(r.LoadMs) + " ms");
        other.AddTextRow("first run", Formatting.Ms(r.FirstRunMs) + " ms");
        other.AddTextRow("throughput", Formatting.Fixed(r.ThroughputPerSecond, "F1") + " inferences/s");
        other.AddTextRow("items/s (× batch)", Formatting.Fixed(r.ItemsPerSecond, "F1"));
        other.AddTextRow("peak RSS", Formatting.Mib(r.Memory.PeakRssBytes));
        other.AddTextRow("RSS before / after load", $"{Formatting.Mib(r.Memory.RssBeforeLoadBytes)} / {Formatting.Mib(r.Memory.RssAfterLoadBytes)}");
        other.AddTextRow("managed bytes per run", Formatting.Fixed(r.Memory.ManagedBytesPerRun, "F0"));
        other.AddTextRow("coefficient of variation", Formatting.Fixed(r.Stability.CoefficientOfVariation * 100, "F1") + " %");
        other.AddTextRow("drift (last ¼ / first ¼)", Formatting.Fixed(r.Stability.Drift, "F3")
            + (r.Stability.PossibleThrottling ? " slowed down: possible throttling"
                : r.Stability.Drift < 1 / LatencyStatistics.DefaultDriftThreshold ? " sped up (warm-up or noise)" : ""));

        console.Write(new Columns(latency, other) { Expand = false });
        if (r.Operators.Count > 0)
        {
            int shown = Math.Min(TopOperators, r.Operators.Count);
            var ops = Formatting.NewTable($"Top {shown} of {r.Operators.Count} operators", ">#", "Node", "Op", "Provider", ">Mean ms", ">%");
            for (int i = 0; i < shown; i++)
            {
                OperatorTiming op = r.Operators[i];
                ops.AddTextRow((i + 1).ToString(CultureInfo.InvariantCulture), op.Name, op.OpType, op.Provider, Formatting.Ms(op.MeanMs),
                    Formatting.Fixed(op.Percent, "F1"));
            }

            console.Write(ops);
            if (r.OperatorTypes.Count > 0)
            {
                var types = Formatting.NewTable("Operator types", "Op", ">Nodes", ">Total ms", ">%");
                foreach (OperatorTypeTiming type in r.OperatorTypes)
                {
                    types.AddTextRow(type.OpType, type.Nodes.ToString(CultureInfo.InvariantCulture), Formatting.Ms(type.TotalMs), Formatting.Fixed(type.Percent, "F1"));
                }

                console.Write(types);
            }
        }

        foreach (string warning in r.Warnings)
        {
            console.WriteText("warning: " + CliApp.OneLine(warning));
        }
    }

    /// <summary>The backend, or its unavailability at once, before any model is built or progress shown.</summary>
    private static Backend AvailableBackend(string name)
    {
        Backend backend = Backend.Parse(name);
        BackendAvailability availability = backend.CheckAvailability();
        return availability.IsAvailable
            ? backend
            : throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{backend.Name}' is not available on this machine: {availability.Reason}");
    }
}

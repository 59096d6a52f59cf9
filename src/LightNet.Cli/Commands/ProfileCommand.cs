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
        var html = new Option<string?>("--html") { HelpName = "file", Description = "Write the report as a self-contained HTML page (with the sustained run's timeline drawn) to this file." };
        var cold = new Option<int?>("--cold") { HelpName = "N", Description = "Also measure N cold starts, each in a fresh lightnet process: process start to model loaded, session created, first and second inference." };
        var sustained = new Option<double?>("--sustained") { HelpName = "seconds", Description = "Also run back to back for this long and record a per-second timeline (latency, CPU clock, temperature, power where readable) and throttling." };
        var timeline = new Option<string?>("--timeline") { HelpName = "file", Description = "With --sustained: write the timeline as CSV to this file." };
        var concurrency = new Option<int?>("--concurrency") { HelpName = "N", Description = "Also measure throughput and latency with N requests in flight on one session (and 1..N on the way, for the knee)." };
        var rate = new Option<double?>("--rate") { HelpName = "per-second", Description = "Also measure an open loop: requests arrive at this rate whatever the answers (served by --concurrency threads, default 1); latency counts from arrival." };
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
        command.Options.Add(html);
        command.Options.Add(image);
        command.Options.Add(cold);
        command.Options.Add(sustained);
        command.Options.Add(timeline);
        command.Options.Add(concurrency);
        command.Options.Add(rate);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, new Request(
            parse.GetValue(model)!, parse.GetValue(backend) ?? "ort-cpu", measure, parse, parse.GetValue(perOp),
            parse.GetValue(json), parse.GetValue(csv), parse.GetValue(md), parse.GetValue(image))
        {
            Html = parse.GetValue(html),
            Cold = parse.GetValue(cold),
            Sustained = parse.GetValue(sustained),
            Timeline = parse.GetValue(timeline),
            Concurrency = parse.GetValue(concurrency),
            Rate = parse.GetValue(rate),
        })));
        return command;
    }

    /// <summary>
    /// The hidden <c>cold-start-probe</c> command that <c>profile --cold</c> starts in fresh processes: loads the model, creates
    /// a session, runs it twice and prints the probe's result line (<see cref="Profiler.RunColdStartProbe"/>).
    /// </summary>
    public static Command CreateColdStartProbe(CliContext context)
    {
        var model = new Argument<string>("model");
        var backend = new Option<string>("--backend", "-b") { DefaultValueFactory = _ => "ort-cpu" };
        var measure = new MeasurementOptions();
        var command = new Command(ColdStartProbeCommand, "Internal: one cold start, for 'profile --cold'.") { model, backend };
        command.Hidden = true;
        measure.AddTo(command, withShapes: true, withBatch: true);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
        {
            ProfileOptions options = measure.Build(parse);
            string spec = parse.GetValue(model)!;
            IReadOnlyDictionary<string, long[]> shapes = measure.Shapes(parse);
            if (ModelSource.IsFile(spec) && shapes.Count > 0)
            {
                options = options with { InputShapes = shapes };
            }

            Profiler.RunColdStartProbe(() => ModelSource.Load(spec, measure.Batch(parse), shapes), Backend.Parse(parse.GetValue(backend) ?? "ort-cpu"), options, context.Stdout);
            return CliApp.Success;
        }));
        return command;
    }

    private const string ColdStartProbeCommand = "cold-start-probe";

    private sealed record Request(string Model, string Backend, MeasurementOptions Measure, ParseResult Parse, bool PerOp, string? Json, string? Csv, string? Md, string? Image)
    {
        public string? Html { get; init; }

        public int? Cold { get; init; }

        public double? Sustained { get; init; }

        public string? Timeline { get; init; }

        public int? Concurrency { get; init; }

        public double? Rate { get; init; }
    }

    private static int Run(CliContext context, Request request)
    {
        if (request.Image is string imagePath)
        {
            return RunPipeline(context, request, imagePath);
        }

        CheckExtras(request);

        ProfileOptions options = request.Measure.Build(request.Parse) with { PerOperatorProfile = request.PerOp };
        IReadOnlyDictionary<string, long[]> shapes = request.Measure.Shapes(request.Parse);
        bool isFile = ModelSource.IsFile(request.Model);
        if (isFile && shapes.Count > 0)
        {
            options = options with { InputShapes = shapes };
        }

        Backend backend = Profiler.RequireAvailable(Backend.Parse(request.Backend));
        Model model = ModelSource.Load(request.Model, request.Measure.Batch(request.Parse), shapes);
        string label = isFile ? Path.GetFileName(request.Model) : request.Model;
        ProfileReport report = ProgressDisplay.Run(context, [label], backend.Name, options,
            progress => Profiler.Measure(model, backend, options, progress, context.CancellationToken));
        report = MeasureExtras(context, request, label, model, backend, options, report);

        bool jsonToStdout = request.Json == "-";
        if (jsonToStdout)
        {
            context.Stdout.WriteLine(ReportJson.Format(report));
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

        if (request.Html is { Length: > 0 } htmlPath)
        {
            ReportHtml.Write(report, htmlPath);
            written.Add(htmlPath);
        }

        if (request.Timeline is { Length: > 0 } timelinePath && report.Sustained is { } sustainedRun)
        {
            ReportCsv.WriteTimeline(sustainedRun, timelinePath);
            written.Add(timelinePath);
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

        if (request.PerOp || request.Csv is not null || request.Md is not null || request.Html is not null
            || request.Cold is not null || request.Sustained is not null || request.Timeline is not null || request.Concurrency is not null || request.Rate is not null)
        {
            throw new CliUsageException("--per-op, --csv, --md, --html, --cold, --sustained, --timeline, --concurrency and --rate are not available with --image; use --json for the pipeline report.");
        }

        ProfileOptions options = request.Measure.Build(request.Parse);
        IReadOnlyDictionary<string, long[]> shapes = request.Measure.Shapes(request.Parse);
        Backend backend = Profiler.RequireAvailable(Backend.Parse(request.Backend));
        Model model = ModelSource.Load(request.Model, request.Measure.Batch(request.Parse), shapes);
        string label = ModelSource.IsFile(request.Model) ? Path.GetFileName(request.Model) : request.Model;
        PipelineReport report = ProgressDisplay.Run(context, [label], backend.Name, options,
            progress => Profiler.MeasurePipeline(model, backend, imagePath, null, options, progress, context.CancellationToken));

        bool synthetic = model.Metadata.TryGetValue("lightnet.weights", out string? weights) && weights == "synthetic";
        bool jsonToStdout = request.Json == "-";
        if (jsonToStdout)
        {
            context.Stdout.WriteLine(ReportJson.Format(report));
        }
        else
        {
            PrintPipeline(context.Console, label, report, synthetic);
        }

        if (request.Json is { Length: > 0 } jsonPath && !jsonToStdout)
        {
            ReportJson.Write(report, jsonPath);
            context.Console.WriteText($"Wrote {jsonPath}.");
        }
        else if (jsonToStdout && synthetic)
        {
            context.Stderr.WriteLine($"warning: {SyntheticWarning}");
        }

        return CliApp.Success;
    }

    private static void CheckExtras(Request request)
    {
        if (request.Cold is < 1 or > 100)
        {
            throw new CliUsageException($"--cold must be between 1 and 100 processes, not {request.Cold}.");
        }

        if (request.Sustained is double seconds && (!(seconds > 0) || seconds > 86_400 || !double.IsFinite(seconds)))
        {
            throw new CliUsageException($"--sustained must be more than 0 and at most 86400 seconds, not {seconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (request.Timeline is not null && request.Sustained is null)
        {
            throw new CliUsageException("--timeline needs --sustained SECONDS.");
        }

        if (request.Concurrency is < 1 or > 256)
        {
            throw new CliUsageException($"--concurrency must be between 1 and 256, not {request.Concurrency}.");
        }

        if (request.Rate is double rate && (!(rate > 0) || rate > 1e6 || !double.IsFinite(rate)))
        {
            throw new CliUsageException($"--rate must be a positive number of requests per second up to 1000000, not {rate.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>The cold starts, the sustained run and the load the flags ask for, added to the report.</summary>
    private static ProfileReport MeasureExtras(CliContext context, Request request, string label, Model model, Backend backend, ProfileOptions options, ProfileReport report)
    {
        if (request.Cold is int processes)
        {
            ColdStartOptions cold = ColdStartCommandLine(request, backend, options) with { Processes = processes };
            report = report with
            {
                ColdStart = ProgressDisplay.Run(context, [label + " (cold starts)"], backend.Name, options,
                    progress => Profiler.MeasureColdStart(cold, progress, context.CancellationToken)),
            };
        }

        if (request.Sustained is double seconds)
        {
            report = report with
            {
                Sustained = ProgressDisplay.Run(context, [label + " (sustained)"], backend.Name, options,
                    progress => Profiler.MeasureSustained(model, backend, seconds, options, 1, progress, context.CancellationToken)),
            };
        }

        if (request.Concurrency is not null || request.Rate is not null)
        {
            var load = new LoadOptions { Concurrency = request.Concurrency ?? 1, RateRps = request.Rate, SecondsPerStep = Math.Max(1, options.MinSeconds) };
            report = report with
            {
                Load = ProgressDisplay.Run(context, [label + " (load)"], backend.Name, options,
                    progress => Profiler.MeasureLoad(model, backend, load, options, progress, context.CancellationToken)),
            };
        }

        return report;
    }

    /// <summary>This lightnet, started again with the hidden probe command and the same model, backend and measurement flags.</summary>
    private static ColdStartOptions ColdStartCommandLine(Request request, Backend backend, ProfileOptions options)
    {
        string host = Environment.ProcessPath ?? throw new LightNetException(ErrorCode.InvalidOperation, "Cannot tell which program is running, so --cold cannot start it again.");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            arguments.Add(typeof(ProfileCommand).Assembly.Location); // run as 'dotnet lightnet.dll'
        }

        arguments.AddRange([ColdStartProbeCommand, request.Model, "--backend", backend.Name]);
        arguments.AddRange(request.Measure.ForwardedArguments(request.Parse));
        return new ColdStartOptions { FileName = host, Arguments = arguments };
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

    /// <summary>The warm-up line and the cold-start, sustained and load sections, as the Markdown report words them.</summary>
    private static void PrintExtras(IAnsiConsole console, ProfileReport r)
    {
        foreach (ReportSection section in ProfileSections.Extras(r))
        {
            console.WriteText(section.Title + ": " + string.Join(" ", section.Notes));
            if (section.Header.Count > 0 && section.Title != "Sustained run")
            {
                var table = Formatting.NewTable(section.Title, [.. section.Header]);
                foreach (string[] row in section.Rows)
                {
                    table.AddTextRow(row);
                }

                console.Write(table);
            }
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

        PrintExtras(console, r);
        foreach (string warning in ProfileSections.AllWarnings(r))
        {
            console.WriteText("warning: " + CliApp.OneLine(warning));
        }
    }
}

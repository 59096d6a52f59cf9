using System.CommandLine;
using System.Globalization;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Zoo;

namespace LightNet.Cli.Commands;

/// <summary>
/// <c>lightnet verify -b B1,B2 [--reference R] [-m ...] [--min-cosine C] [--md file]</c>: runs each model on each backend and on a
/// reference backend with the same seeded inputs and checks that the outputs agree — FP32 backends elementwise
/// (<c>allclose</c>, rtol 1e-3, atol 1e-4), FP16 and INT8 backends by cosine similarity. Exit code 1 when a check fails
/// or a named backend cannot run here.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var models = new Option<string[]>("--models", "-m")
        {
            HelpName = "a,b,...",
            Description = "Models, comma-separated or repeated: zoo names (name@width) or .onnx files (default: every zoo network).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var backends = new Option<string[]>("--backends", "-b")
        {
            HelpName = "x,y,...",
            Description = "The backends to check, comma-separated or repeated.",
            Arity = ArgumentArity.OneOrMore,
            Required = true,
        };
        var reference = new Option<string>("--reference") { HelpName = "backend", Description = "The backend whose outputs count as right (default cpu-simd).", DefaultValueFactory = _ => "cpu-simd" };
        var minCosine = new Option<double>("--min-cosine") { HelpName = "0..1", Description = "Smallest cosine similarity an FP16 or INT8 backend's outputs must reach (default 0.999).", DefaultValueFactory = _ => OutputCheck.DefaultMinCosine };
        var threads = new Option<int?>("--threads", "-t") { HelpName = "N", Description = "Threads per inference (default: each backend's choice)." };
        var shape = InfoCommand.ShapeOption(); // a file's inputs by name, or input=Nx3xHxH for the zoo networks
        var md = new Option<string?>("--md") { HelpName = "file", Description = "Also write the table as Markdown to this file." };
        var command = new Command("verify", "Check that backends give the same outputs as a reference backend on the same inputs: "
            + $"FP32 elementwise (rtol {FidelityReport.RelativeTolerance.ToString(CultureInfo.InvariantCulture)}, atol {FidelityReport.AbsoluteTolerance.ToString(CultureInfo.InvariantCulture)}), "
            + "FP16 and INT8 by cosine similarity. Exits with 1 when a check fails or a backend cannot run here.")
        {
            models, backends, reference, minCosine, threads, shape, md,
        };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context,
            CommandSupport.SplitList(parse.GetValue(models)), CommandSupport.SplitBackends(parse.GetValue(backends), Backend.Names),
            parse.GetValue(reference)!, parse.GetValue(minCosine), parse.GetValue(threads),
            parse.GetResult(shape) is null ? new Dictionary<string, long[]>() : ModelSource.ParseShapes(parse.GetValue(shape)), parse.GetValue(md))));
        return command;
    }

    private static int Run(CliContext context, List<string> modelSpecs, List<string> backendNames, string referenceName, double minCosine,
        int? threads, IReadOnlyDictionary<string, long[]> shapes, string? md)
    {
        if (!(minCosine is >= 0 and <= 1))
        {
            throw new CliUsageException($"--min-cosine must be between 0 and 1, not {minCosine.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (modelSpecs.Count == 0)
        {
            modelSpecs = [.. ModelZoo.Names];
        }

        Backend reference = Backend.Parse(referenceName);
        List<Backend> backends = backendNames.Distinct(StringComparer.Ordinal).Select(Backend.Parse).ToList();
        BackendAvailability referenceAvailability = reference.CheckAvailability();
        if (!referenceAvailability.IsAvailable)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable, $"The reference backend '{reference.Name}' cannot run here: {referenceAvailability.Reason}");
        }

        var unavailable = backends.Select(b => (Backend: b, Availability: b.CheckAvailability())).Where(x => !x.Availability.IsAvailable).ToList();
        var runnable = backends.Except(unavailable.Select(u => u.Backend)).ToList();

        // Load every model first, so that a bad name fails before anything runs.
        var loaded = CommandSupport.LoadModels(modelSpecs.Distinct(StringComparer.Ordinal), null, shapes);
        ProfileOptions options = CommandSupport.BuildOptions(quick: false, warmup: null, runs: null, minTime: null, maxTime: null, threads, batch: null);
        var checks = new List<OutputCheck>();
        foreach ((string label, Model model, IReadOnlyDictionary<string, long[]> modelShapes) in loaded)
        {
            // A file's --shape values resolve its symbolic dimensions, for the inputs and for every backend's session.
            ProfileOptions modelOptions = modelShapes.Count > 0 ? options with { InputShapes = modelShapes } : options;
            foreach (Backend backend in runnable)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                context.Stderr.WriteLine($"{label} on {backend.Name} against {reference.Name}…");
                try
                {
                    checks.Add(new OutputCheck(label, backend.Name, backend.Precision, Profiler.CompareOutputs(model, backend, reference, modelOptions), null));
                }
                catch (LightNetException e)
                {
                    checks.Add(new OutputCheck(label, backend.Name, backend.Precision, [], e.Message));
                }
            }
        }

        string table = OutputCheckMarkdown.Format(checks, reference.Name, minCosine);
        context.Stdout.Write(table);
        foreach (var (backend, availability) in unavailable)
        {
            context.Stdout.WriteLine($"cannot run here: {backend.Name}: {CliApp.OneLine(availability.Reason)}");
        }

        int failed = checks.Count(c => !c.Passed(minCosine));
        context.Stdout.WriteLine($"{checks.Count - failed} of {checks.Count} checks passed"
            + (unavailable.Count > 0 ? $"; {unavailable.Count} backend(s) could not run" : "") + ".");
        if (md is { Length: > 0 })
        {
            OutputCheckMarkdown.Write(checks, reference.Name, minCosine, md);
            context.Stderr.WriteLine($"Wrote {md}.");
        }

        return failed == 0 && unavailable.Count == 0 ? CliApp.Success : CliApp.Failure;
    }
}

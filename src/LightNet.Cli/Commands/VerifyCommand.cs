using System.CommandLine;
using System.Globalization;
using System.Text;
using LightNet.Backends;
using LightNet.Profiling;
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
        var minCosine = new Option<double>("--min-cosine") { HelpName = "0..1", Description = "Smallest cosine similarity an FP16 or INT8 backend's outputs must reach (default 0.999).", DefaultValueFactory = _ => 0.999 };
        var threads = new Option<int?>("--threads", "-t") { HelpName = "N", Description = "Threads per inference (default: each backend's choice)." };
        var shape = InfoCommand.ShapeOption();
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

    /// <summary>One model × backend check.</summary>
    internal sealed record Check(string Model, string Backend, Precision Precision, IReadOnlyList<FidelityReport> Outputs, string? Problem)
    {
        public bool Passed(double minCosine) => Problem is null && Outputs.Count > 0 && Outputs.All(o => Precision == Precision.Fp32
            ? o.AllCloseRatio <= 1
            : o.CosineSimilarity >= minCosine);
    }

    private static int Run(CliContext context, List<string> modelSpecs, List<string> backendNames, string referenceName, double minCosine,
        int? threads, IReadOnlyDictionary<string, long[]> shapes, string? md)
    {
        if (!(minCosine is >= 0 and <= 1))
        {
            throw new CliUsageException($"--min-cosine must be between 0 and 1, not {minCosine.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (threads is < 1 or > 1024)
        {
            throw new CliUsageException($"--threads must be between 1 and 1024, not {threads}.");
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
        var loaded = modelSpecs.Distinct(StringComparer.Ordinal)
            .Select(spec => (Label: ModelSource.IsFile(spec) ? Path.GetFileName(spec) : spec, Model: ModelSource.Load(spec, null, shapes))).ToList();
        var options = ProfileOptions.Default with { Threads = threads };
        var checks = new List<Check>();
        foreach ((string label, Model model) in loaded)
        {
            foreach (Backend backend in runnable)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                context.Stderr.WriteLine($"{label} on {backend.Name} against {reference.Name}…");
                try
                {
                    checks.Add(new Check(label, backend.Name, backend.Precision, Profiler.CompareOutputs(model, backend, reference, options), null));
                }
                catch (LightNetException e)
                {
                    checks.Add(new Check(label, backend.Name, backend.Precision, [], e.Message));
                }
            }
        }

        string table = Markdown(checks, reference.Name, minCosine);
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
            WriteAtomically(md, table);
            context.Stderr.WriteLine($"Wrote {md}.");
        }

        return failed == 0 && unavailable.Count == 0 ? CliApp.Success : CliApp.Failure;
    }

    // Temp file in the same folder, then rename: a reader never sees half a table.
    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot write '{path}': the folder '{folder}' does not exist.");
        }

        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot write '{path}': {e.Message}", e);
        }
    }

    /// <summary>The checks as a Markdown table, one row per model × backend × output.</summary>
    internal static string Markdown(IReadOnlyList<Check> checks, string reference, double minCosine)
    {
        static string G(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("| Model | Backend | Output | Max abs error | allclose ratio | Cosine | Top-1 | Rule | Result |\n");
        sb.Append("|---|---|---|---:|---:|---:|---:|---|---|\n");
        foreach (Check c in checks)
        {
            string rule = c.Precision == Precision.Fp32 ? "allclose ≤ 1" : $"cosine ≥ {minCosine.ToString(CultureInfo.InvariantCulture)}";
            if (c.Problem is not null)
            {
                sb.Append($"| {c.Model} | {c.Backend} | — | — | — | — | — | {rule} | failed: {CliApp.OneLine(c.Problem).Replace("|", "\\|", StringComparison.Ordinal)} |\n");
                continue;
            }

            foreach (FidelityReport o in c.Outputs)
            {
                bool ok = c.Precision == Precision.Fp32 ? o.AllCloseRatio <= 1 : o.CosineSimilarity >= minCosine;
                string top1 = o.Top1Agreement is double t ? (t * 100).ToString("F0", CultureInfo.InvariantCulture) + " %" : "—";
                sb.Append($"| {c.Model} | {c.Backend} | {o.Output} | {G(o.MaxAbsoluteError)} | {G(o.AllCloseRatio)} | {o.CosineSimilarity.ToString("F6", CultureInfo.InvariantCulture)} | {top1} | {rule} | {(ok ? "pass" : "FAIL")} |\n");
            }
        }

        sb.Append($"\nReference: {reference}. allclose ratio = max |a − r| / (1e-4 + 1e-3·|r|); 1 or below passes.\n");
        return sb.ToString();
    }
}

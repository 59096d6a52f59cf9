using System.CommandLine;
using LightNet.Deployment;
using LightNet.Study;

namespace LightNet.Cli.Commands;

/// <summary>
/// <c>lightnet recommend [results.json] [--device NAME] --budget-ms X --budget-mb Y [--min-fidelity Z] [--min-accuracy A] [--emit DIR]</c>:
/// the model × backend × precision of a study (or of one device of a fleet) that fits the budgets, with the reason for each rejected
/// candidate; with --emit, the model file as measured and its manifest.json, ready for the device.
/// </summary>
internal static class RecommendCommand
{
    public static Command Create(CliContext context)
    {
        var results = new Argument<string>("results")
        {
            HelpName = "results.json",
            Description = "A study's results.json (default: report/results.json).",
            DefaultValueFactory = _ => Path.Combine("report", StudyReport.JsonFile),
        };
        var top = new Option<int?>("--top") { HelpName = "N", Description = "List only the first N candidates (default: all)." };
        var json = new Option<bool>("--json") { Description = "Print the recommendation as JSON." };
        var cache = new Option<string?>("--cache") { HelpName = "folder", Description = "With --emit, for a study made with --pretrained: the download cache of the pretrained files (default as for study)." };
        var device = new Option<string?>("--device") { HelpName = "name", Description = "With a fleet's results.json (study merge): the device to pick for." };
        var emit = new Option<string?>("--emit")
        {
            HelpName = "folder",
            Description = "Write the picked model file (the variant measured, byte for byte, SHA-256 checked), its preprocessing and manifest.json into the folder; load it with Model.LoadFromManifest or Classifier.FromManifest.",
        };
        var budget = new BudgetOptions();
        var command = new Command("recommend", "Pick, from a study's measurements on this device, the best model × backend × precision that meets the budgets "
            + "(fastest above an accuracy floor, or most accurate within a latency budget), with the reason for every rejected candidate.")
        {
            results, top, json, device, emit, cache,
        };
        budget.AddTo(command);
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
            Run(context, parse.GetValue(results)!, budget.Build(parse), parse.GetValue(top), parse.GetValue(json), parse.GetValue(device), parse.GetValue(emit), parse.GetValue(cache))));
        return command;
    }

    private static int Run(CliContext context, string path, SelectionConstraints constraints, int? top, bool json, string? device, string? emit, string? cache)
    {
        if (top is < 1)
        {
            throw new CliUsageException($"--top must be at least 1, not {top}.");
        }

        (StudyResults results, string modelsFolder) = StudyFleet.Open(path, device);
        Recommendation recommendation = ModelSelector.Recommend(results, constraints);
        if (json)
        {
            context.Stdout.WriteLine(StudyJson.Format(recommendation));
        }
        else
        {
            var table = Formatting.NewTable($"Candidates against {constraints}", "Candidate", ">Median ms", ">File MiB", ">Agreement", ">Est. top-1 %", "Verdict");
            foreach (CandidateVerdict v in recommendation.Verdicts.Take(top ?? int.MaxValue))
            {
                Candidate c = v.Candidate;
                table.AddTextRow(c.ToString(), Formatting.Ms(c.MedianMs), Formatting.Fixed(c.FileBytes / (1024.0 * 1024.0), "F2"),
                    c.Fidelity is double f ? Formatting.Fixed(f, "F3") : "n/a", c.EstimatedTop1 is double t ? Formatting.Fixed(t, "F1") : "n/a",
                    v.Accepted ? (c == recommendation.Best ? "recommended" : "meets the budget") : "rejected: " + string.Join("; ", v.Reasons));
            }

            context.Console.Write(table);
        }

        if (recommendation.Best is null)
        {
            // Nothing fits: a failure, with the nearest miss named in the one error line.
            throw new LightNetException(ErrorCode.InvalidArgument, recommendation.Summary);
        }

        if (!json)
        {
            context.Console.WriteText("Recommendation: " + recommendation.Summary);
        }

        if (emit is not null)
        {
            DeploymentManifest manifest = ModelEmitter.Emit(results, recommendation.Best, emit, modelsFolder, cache, context.CancellationToken);
            string line = $"Wrote {Path.Combine(emit, manifest.ModelFile)} (SHA-256 {manifest.Sha256}) and {Path.Combine(emit, DeploymentManifest.FileName)}.";
            if (json)
            {
                context.Stderr.WriteLine(line);
            }
            else
            {
                context.Console.WriteText(line);
            }
        }

        return CliApp.Success;
    }
}

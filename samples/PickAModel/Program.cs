// Pick a model for this machine, as the seed study's cloud→device loop does: measure a few light networks in FP32,
// FP16 and INT8 on the backends that can run here, write the report, and ask for the best one within a budget.
//
//   dotnet run -c Release --project samples/PickAModel -- [budget-ms] [budget-MiB]
using System.Globalization;
using LightNet.Study;

double budgetMs = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
double budgetMiB = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 8;

var options = StudyOptions.Quick with
{
    Models = ["mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0"],
    Backends = ["ort-cpu", "cpu-simd"],
    Threads = 1,
    Constraints = new SelectionConstraints { MaxLatencyMs = budgetMs, MaxModelMiB = budgetMiB },
};

var progress = new Progress<StudyProgress>(p => Console.Error.Write($"\r{p.Fraction,4:P0} {p.Description,-60}"));
StudyResults results = StudyRunner.Run(options, progress);
Console.Error.WriteLine();

string folder = Path.Combine(Path.GetTempPath(), "lightnet-pick-a-model");
Directory.CreateDirectory(folder);
foreach (string file in StudyReport.Write(results, folder))
{
    Console.WriteLine($"wrote {file}");
}

// The same question again, from the measured results, with a stricter latency budget and an accuracy floor.
Recommendation recommendation = ModelSelector.Recommend(results, options.Constraints);
Console.WriteLine(recommendation.Summary);
Recommendation strict = ModelSelector.Recommend(results, new SelectionConstraints { MaxLatencyMs = budgetMs / 2, MinAccuracy = 70 });
Console.WriteLine(strict.Summary);
foreach (CandidateVerdict rejected in strict.Verdicts.Where(v => !v.Accepted).Take(5))
{
    Candidate c = rejected.Candidate;
    Console.WriteLine($"  rejected {c.Model} · {c.Precision} on {c.Backend}: {string.Join("; ", rejected.Reasons)}");
}

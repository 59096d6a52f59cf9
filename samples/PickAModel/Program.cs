// Pick a model for this machine, as the seed study's cloud→device loop does: measure a few light networks in FP32,
// FP16 and INT8 on the backends that can run here, write the report, ask for the best one within a budget, ship it
// (the file measured, with its manifest) and load it as the device would.
//
//   dotnet run -c Release --project samples/PickAModel -- [budget-ms] [budget-MiB]
using System.Globalization;
using LightNet.Deployment;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Study;

double budgetMs = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
double budgetMiB = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 8;

string folder = Path.Combine(Path.GetTempPath(), "lightnet-pick-a-model");
var options = StudyOptions.Quick with
{
    ModelsFolder = Path.Combine(folder, "models"),   // keep every variant measured, byte for byte
    Models = ["mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0"],
    Backends = ["ort-cpu", "cpu-simd"],
    Threads = 1,
    Constraints = new SelectionConstraints { MaxLatencyMs = budgetMs, MaxModelMiB = budgetMiB },
};

var progress = new Progress<StudyProgress>(p => Console.Error.Write($"\r{p.Fraction,4:P0} {p.Description,-60}"));
StudyResults results = StudyRunner.Run(options, progress);
Console.Error.WriteLine();

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

// Ship the pick: the file measured and its manifest (recommend --emit does the same), then load it as the device would,
// in one line; the manifest's SHA-256 is checked first.
if (recommendation.Best is { } best)
{
    string deploy = Path.Combine(folder, "deploy");
    DeploymentManifest manifest = ModelEmitter.Emit(results, best, deploy, options.ModelsFolder);
    Console.WriteLine($"shipped {manifest.ModelFile} ({manifest.Precision}, SHA-256 {manifest.Sha256[..16]}…), expected {manifest.ExpectedLatencyMs:F2} ms on {manifest.Backend}");

    using Classifier classifier = Classifier.FromManifest(deploy);
    var frame = new RawImage(new byte[64 * 48 * 3], 64, 48, RawPixelFormat.Rgb24);   // a black camera frame
    Classification top = classifier.Classify(frame, k: 1)[0];
    Console.WriteLine($"on the device: {top.Label} ({top.Probability:P1}; synthetic weights, so any class)");
}

// Classifies a photo with a model you name and prints the top-5 classes and the time of each stage of the pipeline:
// decode, preprocess, inference, postprocess (Profiler.MeasurePipeline with ProfileOptions.Quick).
//
//   dotnet run -c Release --project samples/ClassifyImage -- model.onnx photo.jpg       an ONNX classifier (1000 ImageNet classes)
//   dotnet run -c Release --project samples/ClassifyImage -- squeezenet1_1 photo.jpg    a zoo network (synthetic weights)
//   dotnet run -c Release --project samples/ClassifyImage -- resnet18 photo.jpg --pretrained
//                                                  the zoo network's published pretrained file (online; cached)
//
// A zoo network built by ModelZoo.Create has seeded random weights: its times are real, its labels mean nothing.

using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Profiling;
using LightNet.Zoo;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
bool pretrained = args.Contains("--pretrained");
string[] positional = args.Where(a => a != "--pretrained").ToArray();
if (positional.Length != 2)
{
    Console.Error.WriteLine("usage: ClassifyImage <model.onnx | zoo name> <photo> [--pretrained]");
    return 2;
}

try
{
    string modelSpec = positional[0], photo = positional[1];
    bool isFile = modelSpec.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(modelSpec);
    string cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "lightnet", "models");
    Model model = isFile ? Model.Load(modelSpec)
        : pretrained ? ModelZoo.LoadPretrained(modelSpec, cache)
        : ModelZoo.Create(modelSpec);
    bool synthetic = model.Metadata.TryGetValue("lightnet.weights", out string? weights) && weights == "synthetic";

    Console.Error.WriteLine($"classifying {Path.GetFileName(photo)} with {(isFile ? Path.GetFileName(modelSpec) : modelSpec)} on ort-cpu ...");
    // Quick, but with at least 1 s of warm-up: decode and preprocess are managed code, and .NET's tiered JIT only
    // swaps in their optimised versions after a few dozen calls (with 3 warm-up runs they look many times slower).
    PipelineReport report = Profiler.MeasurePipeline(model, Backend.Parse("ort-cpu"), photo, options: ProfileOptions.Quick with { WarmupSeconds = 1 });

    Console.WriteLine($"{report.Image} ({report.ImageWidth}×{report.ImageHeight}) → {report.Preprocessing}");
    Console.WriteLine();
    Console.WriteLine("Top 5 (last run):");
    for (int i = 0; i < report.TopClasses.Count; i++)
    {
        Classification c = report.TopClasses[i];
        Console.WriteLine($"  {i + 1}. {c.Label,-30} (class {c.Index,4})  {c.Probability * 100,6:F2} %");
    }

    if (synthetic)
    {
        Console.WriteLine();
        Console.WriteLine($"NOTE: '{modelSpec}' from the zoo has SYNTHETIC (random, untrained) weights, so these labels mean nothing.");
        Console.WriteLine("      Only the times below are meaningful. Pass a trained .onnx classifier, or add --pretrained, for real predictions.");
    }

    Console.WriteLine();
    Console.WriteLine($"Time per stage over {report.Settings.Runs} runs (ms; load {report.LoadMs:F1}, first pass {report.FirstRunMs:F1}):");
    Console.WriteLine($"  {"stage",-12} {"median",8} {"p90",8} {"mean",8}");
    foreach ((string stage, LatencySummary l) in new[]
    {
        ("decode", report.DecodeMs), ("preprocess", report.PreprocessMs), ("inference", report.InferenceMs),
        ("postprocess", report.PostprocessMs), ("total", report.TotalMs),
    })
    {
        Console.WriteLine($"  {stage,-12} {l.Median,8:F3} {l.P90,8:F3} {l.Mean,8:F3}");
    }

    foreach (string warning in report.Warnings)
    {
        Console.WriteLine($"warning: {warning}");
    }

    return 0;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"error [{e.Code}]: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}

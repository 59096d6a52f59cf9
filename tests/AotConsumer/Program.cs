// A consumer app published with NativeAOT against the packed LightNet package (.ci/aot-consumer.sh runs it both ways:
// `dotnet run` under the JIT and the NativeAOT executable, and compares what they print).
// It builds a zoo model, round-trips it through ONNX bytes, runs it on cpu-simd and ort-cpu, and classifies a photo.
using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Zoo;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string photo = args[0];
Model model = Model.Load(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64 }).ToArray().AsMemory(), sourceName: "squeezenet1_1.onnx");
Console.WriteLine($"model {model.Info.Parameters} parameters, {model.Info.Macs} MACs");
foreach (string name in new[] { "cpu-simd:threads=1", "ort-cpu:threads=1" })
{
    Backend backend = Backend.Parse(name);
    BackendAvailability availability = backend.CheckAvailability();
    if (!availability.IsAvailable)
    {
        Console.Error.WriteLine($"{name} unavailable: {availability.Reason}");
        return 1;
    }

    using var classifier = new Classifier(model, backend);
    IReadOnlyList<Classification> top = classifier.Classify(photo, 3);
    // Five significant digits: the same code under the JIT and NativeAOT may differ in the last bits (FMA contraction).
    Console.WriteLine($"{name}: " + string.Join("; ", top.Select(c => $"{c.Index} {c.Label} {c.Probability:G5}")));
}

return 0;

// A consumer app built against the packed LightNet.nupkg (see .ci/verify-package.sh): it proves the package
// restores from a feed like any NuGet package, brings its dependencies, runs cpu-simd and ONNX Runtime, and that
// the ONNX Runtime build the app chose is the one loaded.
//   dotnet run                      the default: LightNet alone, ONNX Runtime's CPU build
//   dotnet run -- gpu-linux         the app added Microsoft.ML.OnnxRuntime.Gpu.Linux (the documented way)
using LightNet;
using LightNet.Backends;
using LightNet.Zoo;

string flavour = args.Length > 0 ? args[0] : "default";
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failures++;
}

Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64 });
Model reloaded = Model.Load(model.ToArray().AsMemory(), sourceName: "squeezenet1_1.onnx");
Check(reloaded.Info.Parameters == 1_235_496, $"squeezenet1_1: {reloaded.Info.Parameters:N0} parameters, {reloaded.Info.Macs:N0} MACs at 64x64");

try
{
    Model.Load(new byte[] { 1, 2, 3 }.AsMemory(), sourceName: "garbage.onnx");
    Check(false, "garbage was accepted");
}
catch (LightNetException e) when (e.Code == ErrorCode.InvalidModel)
{
    Check(true, $"garbage rejected: {e.Code}");
}

// Both CPU backends run the model and agree.
var outputs = new Dictionary<string, float[]>();
foreach (string name in new[] { "cpu-simd", "ort-cpu" })
{
    Backend backend = Backend.Parse(name);
    BackendAvailability availability = backend.CheckAvailability();
    Check(availability.IsAvailable, $"{name}: {availability.Reason}");
    if (!availability.IsAvailable) continue;
    using IInferenceSession session = backend.CreateSession(reloaded);
    long[] shape = session.Inputs[0].Shape.Select(d => d.Value ?? 1).ToArray();
    float[] values = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(i => (i % 17) / 17f - 0.5f).ToArray();
    IReadOnlyDictionary<string, TensorBuffer> result = session.Run(new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = TensorBuffer.FromFloats(values, shape) });
    outputs[name] = result.Values.First().ToFloatArray();
}

if (outputs.Count == 2)
{
    float maxDiff = outputs["cpu-simd"].Zip(outputs["ort-cpu"], (a, b) => Math.Abs(a - b)).Max();
    Check(maxDiff < 1e-3f, $"cpu-simd and ort-cpu agree (max |diff| {maxDiff:G3})");
}

// The library that was loaded is the one the app chose, and the messages say so.
string ortCpu = Backend.Parse("ort-cpu").CheckAvailability().Reason;
string cuda = Backend.Parse("ort-cuda").CheckAvailability().Reason;
Console.WriteLine($"ort-cuda: {cuda}");
string runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
Check(!Directory.Exists(Path.Combine(runtimes, "android")) && !Directory.Exists(Path.Combine(runtimes, "ios")),
    "no Android or iOS natives in the build output");
switch (flavour)
{
    case "default":
        Check(ortCpu.Contains("CPU build", StringComparison.Ordinal) && ortCpu.Contains("onnxruntime", StringComparison.Ordinal),
            "ort-cpu names the CPU build and the library's path");
        Check(cuda.Contains("does not include the provider", StringComparison.Ordinal) && cuda.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", StringComparison.Ordinal),
            "ort-cuda says the CPU build lacks CUDA and which package to add");
        break;
    case "gpu-linux":
        Check(ortCpu.Contains("CUDA", StringComparison.Ordinal), "the GPU build was loaded, not the CPU one");
        Check(!cuda.Contains("does not include", StringComparison.Ordinal) && !cuda.Contains("not enabled in this build", StringComparison.Ordinal),
            "ort-cuda no longer says the build lacks CUDA");
        Check(cuda.Contains("libcu", StringComparison.Ordinal) || cuda.Contains("CUDA driver", StringComparison.OrdinalIgnoreCase) || Backend.Parse("ort-cuda").CheckAvailability().IsAvailable,
            "ort-cuda names the missing CUDA driver or library (or runs)");
        break;
    default:
        Check(false, $"unknown flavour '{flavour}'");
        break;
}

Console.WriteLine(failures == 0 ? $"package consumer ({flavour}) OK" : $"package consumer ({flavour}): {failures} check(s) failed");
return failures == 0 ? 0 : 1;

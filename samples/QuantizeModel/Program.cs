// Quantizes a zoo model to INT8 (and converts it to FP16), then prints what each costs: file size, fidelity against the
// FP32 model and ONNX Runtime latency before and after (1 thread, interleaved runs).
//
//   dotnet run -c Release --project samples/QuantizeModel                          mobilenet_v2, synthetic calibration
//   dotnet run -c Release --project samples/QuantizeModel -- resnet18 photos/      resnet18, calibrated on a folder of images
//
// Zoo models carry random weights unless pretrained ones are downloaded: the numbers show the mechanics and the speed;
// for accuracy, calibrate a trained model on real images.

using System.Globalization;
using LightNet;
using LightNet.Compression;
using LightNet.Profiling;
using LightNet.Zoo;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string name = args.Length > 0 ? args[0] : "mobilenet_v2";
string? folder = args.Length > 1 ? args[1] : null;

try
{
    Model model = ModelZoo.Create(name);
    CalibrationData calibration = folder is null ? CalibrationData.Synthetic(model, 16) : CalibrationData.FromImages(folder);
    var progress = new Progress<CalibrationProgress>(p => Console.Error.Write($"\rcalibrating: pass {p.Pass}/{p.Passes}, {p.Samples} samples   "));
    var options = new QuantizationOptions
    {
        // 7-bit weights unless the CPU has VNNI: without it ONNX Runtime's UINT8 × INT8 kernels can saturate.
        ReduceRange = !(System.Runtime.Intrinsics.X86.AvxVnni.IsSupported || System.Runtime.Intrinsics.X86.Avx10v1.IsSupported),
    };
    Model int8 = Quantizer.QuantizeStatic(model, calibration, options, progress);
    Console.Error.WriteLine();
    Model fp16 = Float16Converter.Convert(model);

    var measure = new CompressionMeasureOptions
    {
        Inputs = CalibrationData.Synthetic(model, 4, seed: 99),
        LatencyBackend = "ort-cpu",
        Profile = ProfileOptions.Quick with { Threads = 1 },
    };
    foreach (Model compressed in new[] { int8, fp16 })
    {
        CompressionReport report = CompressionReport.Measure(model, compressed, measure);
        Console.WriteLine(CompressionMarkdown.Format(report));
    }

    return 0;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"error [{e.Code}]: {e.Message}");
    return 1;
}

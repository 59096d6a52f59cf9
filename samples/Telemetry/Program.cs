// LightNet's metrics and traces through OpenTelemetry: the meter and activity source "LightNet" (docs/telemetry.md).
// Runs a zoo network on cpu-simd and ort-cpu, then prints the p50/p99 of lightnet.inference.duration per backend from
// the in-memory exporter, and the spans to the console exporter.
//
//   dotnet run -c Release --project samples/Telemetry              200 runs per backend
//   dotnet run -c Release --project samples/Telemetry -- 50         50 runs per backend

using System.Diagnostics;
using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Telemetry;
using LightNet.Zoo;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;

// The providers come first: backends parsed while nothing listens stay uninstrumented.
var metrics = new List<Metric>();
using MeterProvider meterProvider = Sdk.CreateMeterProviderBuilder()
    .AddMeter(LightNetTelemetry.Name)
    .AddInMemoryExporter(metrics)
    .Build();
using TracerProvider tracerProvider = Sdk.CreateTracerProviderBuilder()
    .AddSource(LightNetTelemetry.Name, "Sample")
    .SetSampler(new AlwaysOnSampler())
    .AddConsoleExporter()
    .Build();
LightNetTelemetry.RunSpanInterval = runs; // one run span per session, besides those inside "classify" below

using var sampleSource = new ActivitySource("Sample");
Model model = Model.Load(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 112 }).ToArray().AsMemory(), sourceName: "squeezenet1_1.onnx");
foreach (string name in new[] { "cpu-simd", "ort-cpu" })
{
    using IInferenceSession session = Backend.Parse(name).CreateSession(model, new InferenceOptions { Threads = 1 });
    var input = TensorBuffer.Allocate(session.Inputs[0].ElementType, [1, 3, 112, 112]);
    using IPreparedRun run = session.Prepare(new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = input });
    for (int i = 0; i < runs; i++) run.Run();
    using (sampleSource.StartActivity("classify")) run.Run(); // a run inside the app's own span always gets one
}

meterProvider.ForceFlush();
Console.WriteLine();
Console.WriteLine("lightnet.inference.duration (ms)      count     p50      p99");
foreach (Metric metric in metrics.Where(m => m.Name == "lightnet.inference.duration"))
{
    foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
    {
        string backend = "?";
        foreach (KeyValuePair<string, object?> tag in point.Tags) if (tag.Key == "lightnet.backend") backend = (string)tag.Value!;
        Console.WriteLine($"  {backend,-34} {point.GetHistogramCount(),6} {Percentile(point, 0.50) * 1000,8:F2} {Percentile(point, 0.99) * 1000,8:F2}");
    }
}

return 0;

// The upper bound of the histogram bucket that holds the q-th quantile (what a Prometheus histogram_quantile approximates).
static double Percentile(in MetricPoint point, double q)
{
    long target = (long)Math.Ceiling(q * point.GetHistogramCount()), seen = 0;
    foreach (HistogramBucket bucket in point.GetHistogramBuckets())
    {
        seen += bucket.BucketCount;
        if (seen >= target) return bucket.ExplicitBound;
    }

    return double.NaN;
}

// Check a backend against ONNX's own conformance cases, as a backend author would: register the backend, run every
// case under a folder of ONNX backend test data (onnx/backend/test/data/node and friends) on it and on ONNX Runtime,
// and list where it is wrong while ONNX Runtime is right. The backend here is a stand-in that forwards to cpu-simd;
// put your own engine's sessions behind it.
//
//   dotnet run -c Release --project samples/CheckABackend -- <onnx-backend-test-data-folder> [filter-regex]
using LightNet;
using LightNet.Backends;
using LightNet.Conformance;
using LightNet.Operators;

if (args.Length < 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: CheckABackend <folder of ONNX backend test cases> [filter-regex]");
    Console.Error.WriteLine($"cpu-simd implements {OperatorSupport.CpuSimd.Count} operators (opsets {OperatorSupport.MinOpset} to {OperatorSupport.MaxOpset}); see docs/operators.md.");
    return 2;
}

Backend.Register("my-engine", spec => new MyEngine(spec));

var options = new ConformanceOptions
{
    TestRoot = args[0],
    Filter = args.Length > 1 ? args[1] : null,
    Backends = ["my-engine", "ort-cpu"],
    // In-process is simplest; the lightnet CLI isolates each backend in a worker process so that a native crash or a
    // hang is counted instead of ending the run (ConformanceIsolation.Isolated with a ConformanceWorkerCommand).
    Isolation = ConformanceIsolation.InProcess,
};

var progress = new Progress<ConformanceCaseResult>(r => Console.Error.Write($"\r{r.Backend,-10} {r.Case,-70}"));
ConformanceReport report = ConformanceRunner.Run(options, progress);
Console.Error.WriteLine();
Console.WriteLine(ConformanceMarkdown.TotalsTable(report));
IReadOnlyList<ConformanceCaseResult> regressions = report.WrongWhereReferencePasses("ort-cpu");
Console.WriteLine($"my-engine is wrong or crashes on {regressions.Count} case(s) that ONNX Runtime passes.");
foreach (ConformanceCaseResult r in regressions.Take(20))
{
    Console.WriteLine($"  {r.Case}: {r.Outcome} {r.Reason}");
}

string markdown = Path.Combine(Path.GetTempPath(), "my-engine-conformance.md");
ConformanceMarkdown.Write(report, markdown, reference: "ort-cpu");
Console.WriteLine($"wrote {markdown}");
return regressions.Count == 0 ? 0 : 1;

/// <summary>A third-party backend: here it forwards to LightNet's cpu-simd engine.</summary>
internal sealed class MyEngine(BackendSpec spec) : Backend(spec)
{
    private readonly Backend _inner = Backend.Parse("cpu-simd");

    public override BackendKind Kind => BackendKind.Managed;

    public override Precision Precision => Precision.Fp32;

    public override string Device => "my engine (cpu-simd inside)";

    public override IReadOnlyDictionary<string, string> EffectiveOptions => _inner.EffectiveOptions;

    public override BackendAvailability CheckAvailability() => _inner.CheckAvailability();

    public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null) => _inner.CreateSession(model, options);
}

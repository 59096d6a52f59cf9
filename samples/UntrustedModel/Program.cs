// Run a model you do not trust (an upload, a plug-in's model) without risking this process: LightNet's own checks
// refuse malformed files in-process, and the session runs in a LightNet worker process, so that a crash in native code,
// a hang or a memory blow-up there becomes a LightNetException here (BackendCrashed, Timeout, ResourceLimit).
// The worker is this same program started with --lightnet-worker: the first line of Main hands that case over.
//
//   dotnet run -c Release --project samples/UntrustedModel -- <model.onnx> [backend, default ort-cpu]
using LightNet;
using LightNet.Backends;
using LightNet.Isolation;
using LightNet.Onnx;

if (IsolationWorker.TryRun(args, out int workerExitCode))
{
    return workerExitCode;
}

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: UntrustedModel <model.onnx> [backend]");
    return 2;
}

var options = new InferenceOptions
{
    Isolation = IsolationMode.Process,
    IsolationSettings = IsolationSettings.Default with { RunTimeout = TimeSpan.FromSeconds(30), MaxWorkerMemoryBytes = 2L << 30 },
};

try
{
    Model model = Model.Load(args[0]);
    using IInferenceSession session = Backend.Parse(args.Length > 1 ? args[1] : "ort-cpu").CreateSession(model, options);

    // Zeros for every input, symbolic dimensions set to 1.
    var inputs = session.Inputs.ToDictionary(i => i.Name, i => TensorBuffer.Allocate(i.ElementType, i.Shape.Select(d => d.Value ?? 1).ToArray()));
    foreach ((string name, TensorBuffer output) in session.Run(inputs))
    {
        Console.WriteLine($"{name}: {output}");
    }

    return 0;
}
catch (LightNetException e) when (e.Code is ErrorCode.BackendCrashed or ErrorCode.Timeout or ErrorCode.ResourceLimit)
{
    Console.Error.WriteLine($"contained [{e.Code}]: {e.Message}");
    return 1;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"refused [{e.Code}]: {e.Message}");
    return 1;
}

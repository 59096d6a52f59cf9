// Soak test (issue 19): many runs of a small model per backend, then many session create/dispose cycles, sampling
// resident memory (RSS), the managed heap after a full collection and the open handles (file descriptors on Linux),
// and reporting the least-squares slope of each per run or cycle. A leak shows as a slope that stays positive as the
// run count grows; a bounded cache shows as a step early and a flat slope after it.
//
//   dotnet run -c Release --project tests/soak -- [--runs 20000] [--cycles 1000] [--backends cpu-simd,ort-cpu]
using System.Diagnostics;
using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Onnx;

int runs = 20_000, cycles = 1_000;
string[] backends = ["cpu-simd", "ort-cpu"];
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--cycles": cycles = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--backends": backends = args[i + 1].Split(','); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

Model model = SmallModel();
var input = new Dictionary<string, TensorBuffer>
{
    ["x"] = TensorBuffer.FromFloats(Enumerable.Range(0, 8 * 16 * 16).Select(i => (i % 13) * 0.1f - 0.6f).ToArray(), [1, 8, 16, 16]),
};
var options = new InferenceOptions { Threads = 1 };
Console.WriteLine($"soak: {runs} runs and {cycles} create/dispose cycles per backend; model '{model.Graph.Name}' ({model.Graph.Nodes.Count} nodes); " +
    $".NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs");
Console.WriteLine("| Backend | What | Count | RSS start → end (MiB) | RSS slope (bytes each) | GC heap slope (bytes each) | Handles start → end | Handle slope (each) | Seconds |");
Console.WriteLine("|---|---|---:|---|---:|---:|---|---:|---:|");
foreach (string name in backends)
{
    Backend backend = Backend.Parse(name);
    if (!backend.CheckAvailability().IsAvailable)
    {
        Console.WriteLine($"| {name} | unavailable | | | | | | | |");
        continue;
    }

    using (IInferenceSession session = backend.CreateSession(model, options))
    {
        for (int i = 0; i < 500; i++)
        {
            session.Run(input); // warm-up: JIT, pools, first-run caches
        }

        Report(name, "runs", runs, Math.Max(1, runs / 40), () => session.Run(input));
    }

    for (int i = 0; i < 20; i++)
    {
        backend.CreateSession(model, options).Dispose();
    }

    Report(name, "create/dispose", cycles, Math.Max(1, cycles / 40), () =>
    {
        using IInferenceSession s = backend.CreateSession(model, options);
        s.Run(input);
    });
}

return 0;

static void Report(string backend, string what, int count, int every, Action step)
{
    var samples = new List<(double X, double Rss, double Heap, double Handles)>();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i <= count; i++)
    {
        if (i % every == 0)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using Process self = Process.GetCurrentProcess();
            samples.Add((i, self.WorkingSet64, GC.GetTotalMemory(false), OpenHandles(self)));
        }

        if (i < count)
        {
            step();
        }
    }

    // The first quarter holds the step to a steady state (pools, caches, tiered JIT): the slope is taken after it.
    var steady = samples.Skip(samples.Count / 4).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {backend} | {what} | {count} | {samples[0].Rss / 1048576:F1} → {samples[^1].Rss / 1048576:F1} | {Slope(steady, s => s.Rss):F2} | " +
        $"{Slope(steady, s => s.Heap):F2} | {samples[0].Handles} → {samples[^1].Handles} | {Slope(steady, s => s.Handles):F5} | {clock.Elapsed.TotalSeconds:F1} |"));
}

static double Slope(List<(double X, double Rss, double Heap, double Handles)> points, Func<(double X, double Rss, double Heap, double Handles), double> y)
{
    double mx = points.Average(p => p.X), my = points.Average(y);
    double sxy = points.Sum(p => (p.X - mx) * (y(p) - my)), sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
    return sxx == 0 ? 0 : sxy / sxx;
}

static int OpenHandles(Process self) =>
    Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : self.HandleCount;

static Model SmallModel()
{
    var b = new ModelBuilder("soak_conv", 17);
    b.AddInput("x", TensorElementType.Float, 1, 8, 16, 16);
    b.AddInitializer(TensorData.FromFloats("w", [8, 8, 3, 3], Enumerable.Range(0, 8 * 8 * 9).Select(i => ((i * 7) % 11 - 5) * 0.02f).ToArray()));
    b.AddNode("Conv", ["x", "w"], ["c"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
    b.AddNode("Relu", ["c"], ["r"], "relu");
    b.AddNode("GlobalAveragePool", ["r"], ["y"], "pool");
    b.AddOutput("y", TensorElementType.Float, 1, 8, 1, 1);
    return b.Build();
}

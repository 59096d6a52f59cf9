// Profiles zoo models on ONNX Runtime's CPU backend with Profiler.Measure and compares them side by side:
// cost (parameters, MACs), start-up (load, first run), steady-state latency with its 95% interval, throughput
// and memory, then which model is faster and by how much.
//
//   dotnet run -c Release --project samples/ProfileComparison                                mobilenet_v2 vs squeezenet1_1
//   dotnet run -c Release --project samples/ProfileComparison -- shufflenet_v2_x1_0 resnet18  any zoo models (two or more)

using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Zoo;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string[] names = args.Length > 0 ? args : ["mobilenet_v2", "squeezenet1_1"];
const string BackendName = "ort-cpu";

try
{
    Backend backend = Backend.Parse(BackendName);
    var reports = new List<ProfileReport>();
    foreach (string name in names)
    {
        Model model = ModelZoo.Create(name);
        Console.Error.WriteLine($"profiling {name} on {BackendName} ...");
        // Raw samples are kept for the speed-up interval below.
        reports.Add(Profiler.Measure(model, backend, ProfileOptions.Quick with { KeepRawSamples = true }));
    }

    PrintTable(reports, backend);
    PrintVerdict(reports);
    return 0;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"error [{e.Code}]: {e.Message}");
    return 1;
}

static void PrintTable(List<ProfileReport> reports, Backend backend)
{
    ProfileReport first = reports[0];
    Console.WriteLine($"{backend} on {first.Environment.CpuModel}, ProfileOptions.Quick "
        + $"({first.Settings.WarmupRuns} warm-up runs, >= {first.Settings.MinRuns} runs and >= {first.Settings.MinSeconds} s, threads: backend default)");
    Console.WriteLine();
    Console.WriteLine($"{"model",-20} {"params",11} {"MACs",8} {"load ms",8} {"first ms",9} {"median ms [95% CI]",26} {"p90 ms",8} {"runs",5} {"inf/s",7} {"peak RSS",9}");
    foreach (ProfileReport r in reports)
    {
        LatencySummary l = r.LatencyMs;
        string median = $"{l.Median:F2} [{l.MedianCi.Lower:F2}, {l.MedianCi.Upper:F2}]";
        Console.WriteLine($"{r.Model.Name,-20} {r.Model.Parameters,11:N0} {r.Model.Macs / 1e6,7:F0}M {r.LoadMs,8:F1} {r.FirstRunMs,9:F1} {median,26} {l.P90,8:F2} {l.Count,5} {r.ThroughputPerSecond,7:F1} {r.Memory.PeakRssBytes / (1024.0 * 1024.0),6:F0} MiB");
    }

    foreach (ProfileReport r in reports)
    {
        foreach (string warning in r.Warnings)
        {
            Console.WriteLine($"  warning ({r.Model.Name}): {warning}");
        }
    }
}

static void PrintVerdict(List<ProfileReport> reports)
{
    if (reports.Count < 2)
    {
        return;
    }

    Console.WriteLine();
    ProfileReport fastest = reports.MinBy(r => r.LatencyMs.Median)!;
    LatencyStatistics fast = LatencyStatistics.FromSamples(fastest.RawSamplesMs!.ToArray());
    foreach (ProfileReport other in reports.Where(r => !ReferenceEquals(r, fastest)))
    {
        double medianRatio = other.LatencyMs.Median / fastest.LatencyMs.Median;
        LatencyStatistics slow = LatencyStatistics.FromSamples(other.RawSamplesMs!.ToArray());
        ConfidenceInterval ci = LatencyStatistics.RatioConfidenceInterval(slow, fast);
        string verdict = ci.Lower > 1
            ? $"{fastest.Model.Name} is {medianRatio:F2}x faster than {other.Model.Name}"
            : $"{fastest.Model.Name} and {other.Model.Name} are within noise of each other";
        Console.WriteLine($"{verdict} (ratio of medians {medianRatio:F2}x; ratio of means {slow.Mean / fast.Mean:F2}x, 95% CI [{ci.Lower:F2}, {ci.Upper:F2}])");
        if (fastest.Model.Macs > 0 && other.Model.Macs > 0)
        {
            Console.WriteLine($"  MACs: {other.Model.Name} {other.Model.Macs / 1e6:F0} M, {fastest.Model.Name} {fastest.Model.Macs / 1e6:F0} M "
                + $"({other.Model.Macs / (double)fastest.Model.Macs:F2}x); effective speed {GMacsPerSecond(other):F1} vs {GMacsPerSecond(fastest):F1} GMAC/s");
        }
    }
}

static double GMacsPerSecond(ProfileReport r) => r.Model.Macs / 1e9 / (r.LatencyMs.Median / 1000.0);

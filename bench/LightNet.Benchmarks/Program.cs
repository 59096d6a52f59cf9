// LightNet's BenchmarkDotNet suites, plus the end-to-end profiler overhead check.
//
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*'                  every suite, BDN's default job
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*Overhead*' --quick  1 launch, 3 warm-ups, 5 iterations
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --overhead [--model m] [--rounds N] [--runs R] [--seconds S]
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --filter '*ZooInference*resnet18*"ort-cpu"*' --quick   one zoo case
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --kernel-check [--case text] [--rounds N] [--threads 1,2]   kernels, interleaved, GMAC/s
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --telemetry-overhead [--model m] [--resolution r] [--rounds N]   telemetry cost, ratio with 95% CI
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --alloc-check [--frames N] [--windows W]   camera loop: bytes per frame, thread and process
//   dotnet run -c Release --project bench/LightNet.Benchmarks -- --warmup-check [--model m@res|file.onnx,...] [--runs N] [--repeat K]   first runs vs steady state
//
// Suites: ZooInferenceBenchmarks (zoo model × available backend, with LightNet.BenchmarkDotNet's columns),
// PreprocessingBenchmarks, PipelineBenchmarks (a photo end to end, with per-operator profiles), FrameBenchmarks,
// TelemetryOverheadBenchmarks, ProfilerOverheadBenchmarks. Exit code 3 when a benchmark failed.
//
// Results land in artifacts/bench/ (git-ignored). Every other argument goes to BenchmarkDotNet's own command line (--list flat, --exporters json, --job short, ...).

using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LightNet;
using LightNet.Benchmarks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length > 0 && args[0] == "--warmup-child")
{
    return WarmupCheck.Child(args[1..]);
}

if (args.Contains("--warmup-check"))
{
    return WarmupCheck.Run(args.Where(a => a != "--warmup-check").ToArray());
}

if (args.Contains("--kernel-check"))
{
    return KernelCheck.Run(args.Where(a => a != "--kernel-check").ToArray());
}

if (args.Contains("--alloc-check"))
{
    return AllocationCheck.Run(args.Where(a => a != "--alloc-check").ToArray());
}

if (args.Contains("--telemetry-overhead"))
{
    return TelemetryOverheadCheck.Run(args.Where(a => a != "--telemetry-overhead").ToArray());
}

if (args.Contains("--overhead"))
{
    try
    {
        return OverheadCheck.Run(args.Where(a => a != "--overhead").ToArray());
    }
    catch (LightNetException e)
    {
        Console.Error.WriteLine($"error [{e.Code}]: {e.Message}");
        return 1;
    }
}

bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
IConfig config = DefaultConfig.Instance;
if (!rest.Contains("--artifacts") && RepositoryRoot() is string root)
{
    // Results go to artifacts/bench (git-ignored), wherever the command is run from; --artifacts overrides.
    config = config.WithArtifactsPath(Path.Combine(root, "artifacts", "bench"));
}

if (quick)
{
    // Like BDN's ShortRun (1 launch, 3 warm-ups), with 5 measured iterations instead of 3.
    config = config.AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Quick"));
}

Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(ProfilerOverheadBenchmarks).Assembly).Run(rest, config).ToArray();

// Exit code 3 when a benchmark failed (validation error, build or run error, no measurement), so scripts can tell.
bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success || r.ResultStatistics is null));
return failed ? 3 : 0;

static string? RepositoryRoot()
{
    for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
    {
        if (File.Exists(Path.Combine(d.FullName, "LightNet.sln")))
        {
            return d.FullName;
        }
    }

    return null;
}

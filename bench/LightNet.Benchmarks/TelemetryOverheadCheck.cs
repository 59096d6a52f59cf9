using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.Intrinsics.X86;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Telemetry;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// What LightNet's telemetry costs per inference, as ratios with 95% intervals. Phase 1 times three prepared runs of one
/// model, each on a session of its own, run after run in rotating order (so that other load on the machine, and the
/// cache misses of switching sessions, touch each alike): P and P2, sessions parsed while nothing listened (LightNet's
/// own sessions: what an app without OpenTelemetry gets), and I, an instrumented session (parsed while a listener was
/// attached) with no listener left. P2/P is the null control (two identical sessions); I/P is the overhead of the
/// instrumentation with no listener. Phase 2 times I alone with and without a <see cref="MeterListener"/> recording every
/// measurement, in ABBA order: L/I is the cost of recording. Each verdict is the median of the per-round ratios with its
/// distribution-free 95% interval (order statistics).
/// </summary>
/// <remarks>
/// <c>--telemetry-overhead [--model m] [--resolution r] [--rounds N] [--backend b]</c> (defaults squeezenet1_1, 112,
/// 1000, cpu-simd:threads=1). Exit code 0 when the upper end of I/P's interval is at most 1.01, 2 otherwise.
/// </remarks>
internal static class TelemetryOverheadCheck
{
    private const double Tolerance = 0.01;

    public static int Run(string[] args)
    {
        string name = OverheadCheck.Option(args, "--model", "squeezenet1_1");
        int resolution = int.Parse(OverheadCheck.Option(args, "--resolution", "112"));
        int rounds = int.Parse(OverheadCheck.Option(args, "--rounds", "1000"));
        string backendName = OverheadCheck.Option(args, "--backend", "cpu-simd:threads=1");

        Console.WriteLine($"Telemetry overhead: {name} at {resolution}x{resolution} on {backendName}, {rounds} rounds");
        Console.WriteLine($"CPU: {OverheadCheck.CpuName()}, {Environment.ProcessorCount} logical cores, AVX-512F {Avx512F.IsSupported}; .NET {Environment.Version}; load average {LoadAverage()}");

        Model model = ModelZoo.Create(name, new ZooOptions { Resolution = resolution });
        using IInferenceSession plain = Backend.Parse(backendName).CreateSession(model);
        using IInferenceSession instrumented = TelemetryOverheadBenchmarks.CreateInstrumentedSession(model, backendName);
        Console.WriteLine($"P: {plain.GetType().Name}; I and L: {instrumented.GetType().Name}");
        if (plain.GetType() == instrumented.GetType())
        {
            Console.Error.WriteLine("The instrumented session is not wrapped: nothing to compare.");
            return 1;
        }

        Dictionary<string, TensorBuffer> inputs = BenchmarkDotNet.BenchmarkModels.CreateInputs(plain);
        using IPreparedRun p = plain.Prepare(inputs);
        using IPreparedRun i = instrumented.Prepare(inputs);
        long measurements = 0;
        MeterListener Listen()
        {
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == LightNetTelemetry.Name) l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<double>((_, _, _, _) => measurements++);
            listener.SetMeasurementEventCallback<long>((_, _, _, _) => measurements++);
            listener.Start();
            return listener;
        }

        using IInferenceSession plain2 = Backend.Parse(backendName).CreateSession(model);
        using IPreparedRun p2 = plain2.Prepare(inputs);
        for (int k = 0; k < 20; k++)
        {
            p.Run();
            p2.Run();
            i.Run();
        }

        Action[] arms = [p.Run, p2.Run, i.Run];
        double[][] times = [new double[rounds], new double[rounds], new double[rounds]];
        for (int n = 0; n < rounds; n++)
        {
            for (int k = 0; k < 3; k++)
            {
                int arm = (n + k) % 3;
                times[arm][n] = OverheadCheck.Time(arms[arm]);
            }
        }

        var quiet = new double[rounds];
        var listening = new double[rounds];
        for (int n = 0; n < rounds; n++)
        {
            bool listenFirst = n % 2 == 1; // ABBA: each side follows the other as often as itself
            for (int k = 0; k < 2; k++)
            {
                if ((k == 0) == listenFirst)
                {
                    using MeterListener listener = Listen();
                    listening[n] = OverheadCheck.Time(i.Run);
                }
                else
                {
                    quiet[n] = OverheadCheck.Time(i.Run);
                }
            }
        }

        Console.WriteLine($"median run: P {OverheadCheck.Quantile(times[0], 0.5):F3} ms, P2 {OverheadCheck.Quantile(times[1], 0.5):F3} ms, I {OverheadCheck.Quantile(times[2], 0.5):F3} ms; "
            + $"phase 2: I {OverheadCheck.Quantile(quiet, 0.5):F3} ms, L {OverheadCheck.Quantile(listening, 0.5):F3} ms ({measurements} measurements recorded)");
        OverheadCheck.PrintPaired("P2/P (null control: two plain sessions)", OverheadCheck.Ratios(times[1], times[0]));
        OverheadCheck.PrintPaired("I/P  (instrumented, no listener, vs plain)", OverheadCheck.Ratios(times[2], times[0]));
        OverheadCheck.PrintPaired("L/I  (MeterListener recording vs not, same session)", OverheadCheck.Ratios(listening, quiet));
        LatencyStatistics noListener = LatencyStatistics.FromSamples(OverheadCheck.Ratios(times[2], times[0]));
        bool within = noListener.MedianConfidenceInterval.Upper <= 1 + Tolerance;
        Console.WriteLine(within
            ? $"WITHIN 1%: the upper end of I/P's interval is at most {1 + Tolerance:F2}"
            : $"NOT SHOWN WITHIN 1%: I/P's interval reaches {noListener.MedianConfidenceInterval.Upper:F4} (a loaded machine widens it: add rounds)");
        return within ? 0 : 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

using System.Diagnostics;
using LightNet.Backends;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// How far the first runs of a fresh cpu-simd session are from its steady state (issue 15, "Full speed from the
/// start"): in a fresh process per model (this one re-launches itself with <c>--warmup-child</c>), times
/// <c>CreateSession</c>, then runs 1..N one by one with a Stopwatch, and prints median(1–20), median(21–100),
/// median(500–600) and first/steady = median(1–20) / median(500–600).
/// </summary>
/// <remarks>
/// <c>--warmup-check [--model m@res[,m2@res...]] [--runs N] [--backend spec] [--repeat K]</c> (a model is a zoo name at a
/// resolution or an .onnx file, e.g. one from <c>lightnet quantize</c>); defaults: mobilenet_v2@224,
/// squeezenet1_1@224, shufflenet_v2_x1_0@224, resnet18@224, mobilenet_v2@112; 600 runs; cpu-simd:threads=1; 1 repetition.
/// Exit code 0 when every first/steady ratio is at most 1.10, 2 otherwise (a report, not a gate: the machine is noisy).
/// </remarks>
internal static class WarmupCheck
{
    private const string DefaultModels = "mobilenet_v2@224,squeezenet1_1@224,shufflenet_v2_x1_0@224,resnet18@224,mobilenet_v2@112";

    public static int Run(string[] args)
    {
        string[] models = Option(args, "--model", DefaultModels).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int runs = Math.Max(600, int.Parse(Option(args, "--runs", "600")));
        string backend = Option(args, "--backend", "cpu-simd:threads=1");
        int repeat = int.Parse(Option(args, "--repeat", "1"));
        Console.WriteLine($"Warm-up check: {backend}, {runs} runs after CreateSession, a fresh process per model; .NET {Environment.Version}, {Environment.ProcessorCount} logical cores");
        Console.WriteLine($"{"model",-26} {"create ms",10} {"run 1 ms",9} {"med 1-20",9} {"med 21-100",11} {"med 500-600",12} {"first/steady",13}");
        bool ok = true;
        for (int r = 0; r < repeat; r++)
        {
            foreach (string m in models)
            {
                var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
                string dll = typeof(WarmupCheck).Assembly.Location;
                if (Path.GetFileName(Environment.ProcessPath!).StartsWith("dotnet", StringComparison.OrdinalIgnoreCase))
                {
                    psi.ArgumentList.Add(dll); // running under the dotnet host
                }

                foreach (string a in new[] { "--warmup-child", m, runs.ToString(), backend })
                {
                    psi.ArgumentList.Add(a);
                }

                using Process p = Process.Start(psi)!;
                string line = p.StandardOutput.ReadToEnd().TrimEnd();
                p.WaitForExit();
                Console.WriteLine(line);
                if (p.ExitCode != 0)
                {
                    ok = false;
                }
            }
        }

        return ok ? 0 : 2;
    }

    /// <summary>The child: one model, one session, one line.</summary>
    public static int Child(string[] args)
    {
        string[] spec = args[0].Split('@');
        string name = spec[0];
        int resolution = spec.Length > 1 ? int.Parse(spec[1]) : 224;
        int runs = int.Parse(args[1]);
        Model model = name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? Model.Load(name) : ModelZoo.Create(name, new ZooOptions { Resolution = resolution });
        Backend backend = Backend.Parse(args[2]);
        var clock = Stopwatch.StartNew();
        using IInferenceSession session = backend.CreateSession(model);
        double createMs = clock.Elapsed.TotalMilliseconds;
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (TensorSpec s in session.Inputs)
        {
            long[] dims = s.Shape.Select(d => d.Value ?? 1).ToArray();
            TensorBuffer t = TensorBuffer.Allocate(s.ElementType, dims);
            inputs[s.Name] = t;
        }

        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            session.Run(inputs);
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        double first = Median(ms[..20]);
        double early = Median(ms[20..100]);
        double steady = Median(ms[499..600]);
        double ratio = first / steady;
        Console.WriteLine($"{args[0],-26} {createMs,10:F1} {ms[0],9:F2} {first,9:F2} {early,11:F2} {steady,12:F2} {ratio,13:F2}");
        return ratio <= 1.10 ? 0 : 2;
    }

    private static double Median(double[] values)
    {
        double[] s = (double[])values.Clone();
        Array.Sort(s);
        int n = s.Length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}

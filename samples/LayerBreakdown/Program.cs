// Where does a model's time go on each backend? Runs Profiler.Compare with a per-operator pass and prints the model's
// layers grouped by kind (conv 1×1, conv 3×3 depthwise, dense k×k, fully connected, pooling, ...): each backend's
// milliseconds, share and GMAC/s per kind and its ratio to the baseline, then the single layers that cost the most
// beyond the baseline. The same table as `lightnet compare --per-layer`.
//
//   dotnet run -c Release --project samples/LayerBreakdown                                 mobilenet_v2, cpu-simd vs ort-cpu, 1 thread
//   dotnet run -c Release --project samples/LayerBreakdown -- resnet18 cpu-simd,ort-cpu 2   a zoo model, backends, threads

using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Zoo;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string modelName = args.Length > 0 ? args[0] : "mobilenet_v2";
string[] backendNames = (args.Length > 1 ? args[1] : "cpu-simd,ort-cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
int threads = args.Length > 2 && int.TryParse(args[2], out int t) ? t : 1;

try
{
    Model model = ModelZoo.Create(modelName);
    Backend[] backends = backendNames.Select(Backend.Parse).ToArray();
    // The last backend is the baseline (1.00×): ONNX Runtime by default.
    string baseline = backends[^1].Name;
    ProfileOptions options = ProfileOptions.Quick with { Threads = threads, PerOperatorProfile = true };
    Console.Error.WriteLine($"profiling {modelName} on {string.Join(", ", backendNames)} ({threads} thread(s)) ...");
    ComparisonReport report = Profiler.Compare([model], backends, options, baseline);

    foreach (ComparisonCell cell in report.Cells.Where(c => c.LatencyMs is not null))
    {
        Console.WriteLine($"{cell.Backend.Name,-12} median {cell.LatencyMs!.Median,8:F3} ms");
    }

    foreach (LayerBreakdown layers in report.Layers)
    {
        Console.WriteLine();
        Console.WriteLine(LayerBreakdownTable.Caption(layers));
        IReadOnlyList<string> header = LayerBreakdownTable.Header(layers);
        IReadOnlyList<IReadOnlyList<string>> rows = LayerBreakdownTable.Rows(layers);
        int[] widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        foreach (IReadOnlyList<string> row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        }

        foreach (string note in LayerBreakdownTable.Notes(layers))
        {
            Console.WriteLine(note);
        }
    }

    return 0;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"error [{e.Code}]: {e.Message}");
    return 1;
}

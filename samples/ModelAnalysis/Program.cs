// Builds the lightweight-network study's zoo (or loads an ONNX file) and prints what each model costs:
// parameters, multiply-accumulates, weight and activation memory, and the heaviest layers.
//
//   dotnet run -c Release --project samples/ModelAnalysis                 all zoo models, then mobilenet_v2 in detail
//   dotnet run -c Release --project samples/ModelAnalysis -- resnet18     one zoo model in detail
//   dotnet run -c Release --project samples/ModelAnalysis -- model.onnx   any ONNX file

using System.Diagnostics;
using System.Globalization;
using LightNet;
using LightNet.Analysis;
using LightNet.Zoo;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string subject = args.Length > 0 ? args[0] : "mobilenet_v2";

try
{
    if (args.Length == 0)
    {
        PrintZooTable();
        Console.WriteLine();
    }

    Model model = File.Exists(subject) ? Model.Load(subject) : ModelZoo.Create(subject);
    PrintDetails(subject, model);
    return 0;
}
catch (LightNetException e)
{
    Console.Error.WriteLine($"error [{e.Code}]: {e.Message}");
    return 1;
}

static void PrintZooTable()
{
    Console.WriteLine("LightNet model zoo (synthetic seeded weights; 1000 classes; MACs at the default resolution)");
    Console.WriteLine();
    Console.WriteLine($"{"model",-20} {"input",7} {"params",13} {"ref params",13} {"MACs",9} {"ref MACs",9} {"weights",10} {"peak act.",10} {"build",8}");
    foreach (ZooEntry entry in ModelZoo.Entries)
    {
        var clock = Stopwatch.StartNew();
        ModelInfo info = ModelZoo.Create(entry.Name).Info;
        clock.Stop();
        Console.WriteLine(
            $"{entry.Name,-20} {entry.DefaultResolution,7} {info.Parameters,13:N0} {entry.ReferenceParameters,13:N0} " +
            $"{info.Macs / 1e9,8:F3}G {entry.ReferenceMacs / 1e9,8:F3}G {info.WeightBytes / 1048576.0,8:F1}MB " +
            $"{info.PeakActivationBytes / 1048576.0,8:F1}MB {clock.ElapsedMilliseconds,6}ms");
    }
}

static void PrintDetails(string subject, Model model)
{
    ModelInfo info = model.Info;
    Console.WriteLine($"== {subject} ==");
    Console.WriteLine(info.ToSummary());
    Console.WriteLine();
    Console.WriteLine("Heaviest layers by MACs:");
    Console.WriteLine($"{"#",4} {"op",-20} {"name",-40} {"output",-20} {"params",11} {"MACs",14} {"share",6}");
    foreach (LayerInfo layer in info.Layers.OrderByDescending(l => l.Macs).Take(10))
    {
        string shape = "[" + string.Join(",", layer.OutputShape) + "]";
        Console.WriteLine(
            $"{layer.Index,4} {layer.OpType,-20} {Truncate(layer.Name, 40),-40} {shape,-20} {layer.Parameters,11:N0} {layer.Macs,14:N0} " +
            $"{100.0 * layer.Macs / Math.Max(1, info.Macs),5:F1}%");
    }
}

static string Truncate(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];

// Which instruction set cpu-simd picks in this process, and how fast it runs MobileNetV2 with it: run it under the JIT
// (dotnet run) and as a NativeAOT binary, and compare. NativeAOT compiles the kernels ahead of time for the
// instruction set it is told (IlcInstructionSet, default x86-64-v2: SSE4.2, so the Vector128 kernels) and never
// enables a higher one at run time; see docs/performance.md.
//
//   dotnet run -c Release --project samples/AotIsa -- [runs]
//   dotnet publish samples/AotIsa -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=x86-64-v4 -o out/aot && out/aot/AotIsa [runs]
//
// Prints one line: isa=<name> aot=<true|false> median_ms=<ms> (1 thread, batch 1, 224×224, random weights).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using LightNet;
using LightNet.Backends;
using LightNet.Zoo;

int runs = args.Length > 0 ? int.Parse(args[0]) : 60;
Backend backend = Backend.Parse("cpu-simd:threads=1");
string isa = backend.EffectiveOptions["isa"];
bool aot = !RuntimeFeature.IsDynamicCodeSupported;
Model model = ModelZoo.MobileNetV2();
using IInferenceSession session = backend.CreateSession(model);
var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
foreach (TensorSpec spec in session.Inputs)
{
    inputs[spec.Name] = TensorBuffer.Allocate(spec.ElementType, spec.Shape.Select(d => d.Value ?? 1).ToArray());
}

var times = new List<double>();
for (int r = 0; r < runs + 10; r++)
{
    long start = Stopwatch.GetTimestamp();
    session.Run(inputs);
    if (r >= 10)
    {
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}

times.Sort();
Console.WriteLine($"isa={isa} aot={aot.ToString().ToLowerInvariant()} median_ms={times[times.Count / 2]:0.00}");
return 0;

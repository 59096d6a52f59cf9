// A host app's BenchmarkDotNet suite built on LightNet.BenchmarkDotNet.
//
//   dotnet run -c Release --project samples/HostBenchmarks                                   every case
//   dotnet run -c Release --project samples/HostBenchmarks -- --filter '*squeezenet*' --job short
//
// Arguments go to BenchmarkDotNet's command line.

using BenchmarkDotNet.Running;
using LightNet.Samples.HostBenchmarks;

BenchmarkSwitcher.FromAssembly(typeof(MyModelBenchmarks).Assembly).Run(args);

// A consumer app built against the packed LightNet.nupkg (see .ci/verify-package.sh): it proves the package
// restores from a feed like any NuGet package, brings its dependencies, and works.
using LightNet;
using LightNet.Zoo;

Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64 });
Model reloaded = Model.Load(model.ToArray().AsMemory(), sourceName: "squeezenet1_1.onnx");
Console.WriteLine($"squeezenet1_1: {reloaded.Info.Parameters:N0} parameters, {reloaded.Info.Macs:N0} MACs at 64x64");
if (reloaded.Info.Parameters != 1_235_496)
{
    Console.Error.WriteLine("unexpected parameter count");
    return 1;
}

try
{
    Model.Load(new byte[] { 1, 2, 3 }.AsMemory(), sourceName: "garbage.onnx");
    Console.Error.WriteLine("garbage was accepted");
    return 1;
}
catch (LightNetException e) when (e.Code == ErrorCode.InvalidModel)
{
    Console.WriteLine($"garbage rejected: {e.Code}");
}

Console.WriteLine("package consumer OK");
return 0;

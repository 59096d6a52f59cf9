using System.CommandLine;
using LightNet.Backends;

namespace LightNet.Cli.Commands;

/// <summary>
/// <c>lightnet backends [--json] [--probe]</c>: every registered backend, whether it can run here, and why (not). A
/// listing loads no native library from a configured folder (<see cref="Backend.DescribeAvailability"/>); <c>--probe</c>
/// runs every backend's full check (<see cref="Backend.CheckAvailability"/>), loading them.
/// </summary>
internal static class BackendsCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (name, kind, precision, device, available, reason) instead of a table." };
        var probe = new Option<bool>("--probe")
        {
            Description = "Also probe backends whose check loads native libraries from configured folders (cudnn: LIGHTNET_CUDA_PATH, libpath=); " +
                "without it they are listed as not probed, with the library files found on disk.",
        };
        var command = new Command("backends", "List every backend with whether it can run on this machine and why (not).") { json, probe };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, parse.GetValue(json), parse.GetValue(probe))));
        return command;
    }

    private static int Run(CliContext context, bool json, bool probe)
    {
        // Each probe is a real attempt (load the library, create a tiny session), cached per backend name; without --probe
        // a backend whose check would load libraries from user-configured folders (cudnn) answers without loading them.
        IReadOnlyList<Backend> backends = Backend.All;
        BackendAvailability[] availability = backends.Select(b => probe ? b.CheckAvailability() : b.DescribeAvailability()).ToArray();
        if (json)
        {
            IReadOnlyList<BackendJson> items = backends.Select((b, i) =>
                new BackendJson(b.Name, b.Kind.ToString(), b.Precision.ToString(), b.Device, availability[i].IsAvailable, availability[i].Reason)
                {
                    Probed = availability[i].IsProbed,
                }).ToArray();
            context.Stdout.WriteLine(CliJson.Serialize(items));
            return CliApp.Success;
        }

        var table = Formatting.NewTable(null, "Backend", "Kind", "Precision", "Device", "Available", "Reason");
        for (int i = 0; i < backends.Count; i++)
        {
            Backend b = backends[i];
            table.AddTextRow(b.Name, b.Kind.ToString(), b.Precision.ToString(), b.Device, availability[i].IsAvailable ? "yes" : availability[i].IsProbed ? "no" : "not probed",
                CliApp.OneLine(availability[i].Reason));
        }

        context.Console.Write(table);
        int available = availability.Count(a => a.IsAvailable);
        int notProbed = availability.Count(a => !a.IsProbed);
        context.Console.WriteText($"{available} of {backends.Count} backends can run here." +
            (notProbed == 0 ? "" : $" {notProbed} not probed (their native libraries are loaded only by a session or `lightnet backends --probe`)."));
        return CliApp.Success;
    }
}

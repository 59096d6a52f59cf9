using System.CommandLine;
using LightNet.Backends;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet backends [--json]</c>: every registered backend, whether it can run here, and why (not).</summary>
internal static class BackendsCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (name, kind, precision, device, available, reason) instead of a table." };
        var command = new Command("backends", "List every backend with whether it can run on this machine and why (not).") { json };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, parse.GetValue(json))));
        return command;
    }

    private static int Run(CliContext context, bool json)
    {
        // Each probe is a real attempt (load the library, create a tiny session), cached per backend name.
        IReadOnlyList<Backend> backends = Backend.All;
        BackendAvailability[] availability = backends.Select(b => b.CheckAvailability()).ToArray();
        if (json)
        {
            IReadOnlyList<BackendJson> items = backends.Select((b, i) =>
                new BackendJson(b.Name, b.Kind.ToString(), b.Precision.ToString(), b.Device, availability[i].IsAvailable, availability[i].Reason)).ToArray();
            context.Stdout.WriteLine(CliJson.Serialize(items));
            return CliApp.Success;
        }

        var table = Formatting.NewTable(null, "Backend", "Kind", "Precision", "Device", "Available", "Reason");
        for (int i = 0; i < backends.Count; i++)
        {
            Backend b = backends[i];
            table.AddTextRow(b.Name, b.Kind.ToString(), b.Precision.ToString(), b.Device, availability[i].IsAvailable ? "yes" : "no",
                CliApp.OneLine(availability[i].Reason));
        }

        context.Console.Write(table);
        int available = availability.Count(a => a.IsAvailable);
        context.Console.WriteText($"{available} of {backends.Count} backends can run here.");
        return CliApp.Success;
    }
}

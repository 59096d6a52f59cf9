using System.CommandLine;
using System.Globalization;
using LightNet.Zoo;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet zoo list [--json]</c>: the zoo's networks with their reference cost (nothing is built).</summary>
internal static class ZooCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table." };
        var list = new Command("list", "List the zoo's networks: family, parameters, MACs, default resolution, pretrained file.") { json };
        list.SetAction(parse => CommandSupport.Execute(parse, context, () => List(context, parse.GetValue(json))));
        return new Command("zoo", "The networks LightNet builds in code (with synthetic weights) and their pretrained files.") { list };
    }

    private static int List(CliContext context, bool json)
    {
        IReadOnlyList<ZooEntry> entries = ModelZoo.Entries;
        if (json)
        {
            IReadOnlyList<ZooEntryJson> items = entries.Select(e => new ZooEntryJson(e.Name, e.Family, e.ReferenceParameters, e.ReferenceMacs,
                e.DefaultResolution, e.MinResolution, e.WidthMultipliers, e.PreprocessingPreset, e.Pretrained?.FileName, e.Paper)).ToArray();
            context.Stdout.WriteLine(CliJson.Serialize(items));
            return CliApp.Success;
        }

        var table = Formatting.NewTable(null, "Name", "Family", ">Params", ">MACs", ">Resolution", "Widths (name@w)", "Pretrained file");
        foreach (ZooEntry e in entries)
        {
            table.AddTextRow(e.Name, e.Family, Formatting.Count(e.ReferenceParameters), Formatting.Macs(e.ReferenceMacs),
                e.DefaultResolution.ToString(CultureInfo.InvariantCulture),
                e.WidthMultipliers.Count == 0 ? "—" : string.Join(", ", e.WidthMultipliers.Select(w => w.ToString(CultureInfo.InvariantCulture))),
                e.Pretrained?.FileName ?? "—");
        }

        context.Console.Write(table);
        context.Console.WriteText("Parameters at 1000 classes and width 1.0; MACs at the default resolution, as published.");
        return CliApp.Success;
    }
}

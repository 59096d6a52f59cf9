using System.CommandLine;
using System.Globalization;
using LightNet.Analysis;
using LightNet.Onnx;
using Spectre.Console;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet info &lt;model&gt; [--shape NAME=DIMS]... [--batch N] [--json]</c>: what a model costs, layer by layer.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = ModelHelp };
        var shape = ShapeOption();
        var batch = new Option<int?>("--batch") { HelpName = "N", Description = "Batch size: a symbolic first dimension of a file's input, or the zoo network's batch (default 1)." };
        var json = new Option<bool>("--json") { Description = "Print the summary and every layer as JSON." };
        var command = new Command("info", "Analyse a model: parameters, MACs, weight and activation memory, operators, and every layer.")
        {
            model, shape, batch, json,
        };
        command.SetAction(parse => CommandSupport.Execute(parse, context,
            () => Run(context, parse.GetValue(model)!, ModelSource.ParseShapes(parse.GetValue(shape)), parse.GetValue(batch), parse.GetValue(json))));
        return command;
    }

    /// <summary>Help text of the model argument, shared by the commands.</summary>
    public const string ModelHelp =
        "A zoo name (mobilenet_v2; mobilenet_v1@0.5 for a width multiplier; see 'lightnet zoo list') or a path to an .onnx file.";

    /// <summary>The --shape option, shared by the commands.</summary>
    public static Option<string[]> ShapeOption() => new("--shape")
    {
        HelpName = "NAME=DIMS",
        Description = "Full shape of an input, NAME=1x3x224x224; repeat for each input with dynamic dimensions. "
            + "For a zoo network, input=Nx3xHxH sets the batch and the resolution.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static int Run(CliContext context, string spec, IReadOnlyDictionary<string, long[]> shapes, int? batch, bool json)
    {
        if (batch is < 1 or > 4096)
        {
            throw new CliUsageException($"--batch must be between 1 and 4096, not {batch}.");
        }

        bool isFile = ModelSource.IsFile(spec);
        Model model = ModelSource.Load(spec, batch, shapes);
        ModelInfo info = model.Analyze(ModelSource.AnalysisOptionsFor(model, isFile ? shapes : new Dictionary<string, long[]>(), batch));
        string name = isFile ? Path.GetFileName(spec) : spec;
        if (json)
        {
            context.Stdout.WriteLine(CliJson.Serialize(ToJson(name, info)));
            return CliApp.Success;
        }

        context.Console.WriteText($"Model:              {name}");
        context.Console.WriteText(info.ToSummary());
        context.Console.WriteLine();
        var table = Formatting.NewTable($"{info.Layers.Count} layers", ">#", "Op", "Name", "Output shape", ">Params", ">MACs");
        foreach (LayerInfo layer in info.Layers)
        {
            table.AddTextRow(layer.Index.ToString(CultureInfo.InvariantCulture), layer.OpType, layer.Name,
                Dimension.Format(layer.OutputShape.Select(Dimension.Fixed)), Formatting.Count(layer.Parameters), Formatting.Count(layer.Macs));
        }

        context.Console.Write(table);
        context.Console.WriteText($"Total: {Formatting.Count(info.Parameters)} parameters, {Formatting.Count(info.Macs)} MACs ({Formatting.Macs(info.Macs)}).");
        return CliApp.Success;
    }

    private static InfoJson ToJson(string name, ModelInfo info) => new()
    {
        Model = name,
        Producer = info.Producer,
        IrVersion = info.IrVersion,
        Opset = info.Opset,
        Parameters = info.Parameters,
        BufferValues = info.BufferValues,
        ConstantValues = info.ConstantValues,
        Macs = info.Macs,
        WeightBytes = info.WeightBytes,
        FileBytes = info.FileBytes,
        PeakActivationBytes = info.PeakActivationBytes,
        Inputs = info.Inputs.Select(Value).ToArray(),
        Outputs = info.Outputs.Select(Value).ToArray(),
        OperatorCounts = info.OperatorCounts,
        Layers = info.Layers.Select(l => new LayerJson(l.Index, l.OpType, l.Name, l.OutputShape, l.Parameters, l.Macs, l.OutputBytes)).ToArray(),
    };

    private static ValueJson Value(ValueInfo v) =>
        new(v.Name, v.ElementType.ToString(), v.Shape?.Select(d => d.ToString()).ToArray());
}

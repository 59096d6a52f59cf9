using System.CommandLine;
using System.Globalization;
using LightNet.Operators;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet operators [--md] [--json]</c>: the operators and opsets the cpu-simd engine supports.</summary>
internal static class OperatorsCommand
{
    public static Command Create(CliContext context)
    {
        var md = new Option<bool>("--md") { Description = "Print the Markdown table of docs/operators.md." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var command = new Command("operators", "The ONNX operators and opsets the cpu-simd engine supports (from its operator registry).") { md, json };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () => Run(context, parse.GetValue(md), parse.GetValue(json))));
        return command;
    }

    private static int Run(CliContext context, bool md, bool json)
    {
        if (md)
        {
            context.Stdout.Write(OperatorSupport.ToMarkdown());
            return CliApp.Success;
        }

        if (json)
        {
            context.Stdout.WriteLine(CliJson.Serialize(OperatorSupport.CpuSimd));
            return CliApp.Success;
        }

        var table = Formatting.NewTable(null, "Operator", ">Since", "Types", "Compiled", "Not supported");
        foreach (OperatorInfo o in OperatorSupport.CpuSimd)
        {
            table.AddTextRow(o.Domain.Length == 0 ? o.OpType : $"{o.Domain}.{o.OpType}", o.SinceVersion.ToString(CultureInfo.InvariantCulture),
                o.Types, o.Compiled ? "yes" : "", o.Limitations);
        }

        context.Console.Write(table);
        context.Console.WriteText($"{OperatorSupport.CpuSimd.Count} operators; models of opset {OperatorSupport.MinOpset} to {OperatorSupport.MaxOpset}.");
        return CliApp.Success;
    }
}

using System.CommandLine;
using LightNet.Compression;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet fp16 &lt;model&gt; [--keep-io-types false] [--block op,...] -o out.onnx</c>.</summary>
internal static class Fp16Command
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = InfoCommand.ModelHelp };
        var fp16Io = new Option<bool>("--fp16-io") { Description = "Make the model's inputs and outputs FP16 too (default: they stay FP32, with Cast nodes)." };
        var block = new Option<string[]>("--block") { HelpName = "op|node,...", Description = "More op types or node names to keep in FP32.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--output", "-o") { HelpName = "out.onnx", Description = "The FP16 model (written atomically; the folder must exist).", Required = true };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Also write the compression report as JSON." };
        var command = new Command("fp16", "Convert a model to FP16 and print what it costs: size, fidelity.") { model, fp16Io, block, output, json };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
        {
            string outPath = parse.GetValue(output)!;
            CompressionCli.CheckOutput(outPath);
            List<string> blocked = CommandSupport.SplitList(parse.GetValue(block));
            Model original = ModelSource.Load(parse.GetValue(model)!, null, new Dictionary<string, long[]>());
            var options = new Float16Options
            {
                KeepIOTypes = !parse.GetValue(fp16Io),
                BlockedOpTypes = [.. Float16Options.DefaultBlockedOpTypes, .. blocked],
                BlockedNodes = blocked,
                LoggerFactory = new StderrLogger(context),
            };
            Model converted = Float16Converter.Convert(original, options);
            return CompressionCli.Finish(context, original, converted, outPath, parse.GetValue(json));
        }));
        return command;
    }

    /// <summary>Prints the converter's warnings (clamped constants) to standard error; its own factory (every category logs here).</summary>
    private sealed class StderrLogger(CliContext context) : Microsoft.Extensions.Logging.ILogger, Microsoft.Extensions.Logging.ILoggerFactory
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) context.Stderr.WriteLine($"warning: {formatter(state, exception)}");
        }
    }
}

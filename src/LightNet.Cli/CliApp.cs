using System.CommandLine;
using System.CommandLine.Help;
using LightNet.Cli.Commands;
using Spectre.Console;

namespace LightNet.Cli;

/// <summary>
/// The <c>lightnet</c> command line: <c>backends</c>, <c>zoo list</c>, <c>info</c>, <c>profile</c> and <c>compare</c>.
/// Callable in-process: every invocation gets its own console over the writers it is given.
/// </summary>
/// <remarks>
/// Exit codes: 0 on success, 1 when LightNet reports an error (unknown model, missing or invalid file, unavailable
/// backend, missing dimension, ...), 2 for a usage error (unknown option, malformed value, out-of-range number), 130 when
/// cancelled. An error is one line on standard error, <c>error [Code]: message</c>, with the stack trace only under
/// <c>--verbose</c>.
/// </remarks>
public static class CliApp
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code when LightNet reports an error.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a usage error.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when the command was cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the command line with the given arguments, writing to <paramref name="stdout"/> and <paramref name="stderr"/>
    /// without colours, ANSI codes or progress bars.</summary>
    /// <param name="args">The arguments, as a shell would split them.</param>
    /// <param name="stdout">Receives tables and JSON.</param>
    /// <param name="stderr">Receives the error line and plain progress lines.</param>
    /// <returns>The exit code: 0, 1 (LightNet error), 2 (usage error) or 130 (cancelled).</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, CancellationToken.None);

    /// <summary>Runs the command line as <see cref="Run(string[], TextWriter, TextWriter)"/> does, stopping a measurement when
    /// <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="args">The arguments, as a shell would split them.</param>
    /// <param name="stdout">Receives tables and JSON.</param>
    /// <param name="stderr">Receives the error line and plain progress lines.</param>
    /// <param name="cancellationToken">Stops a measurement within one run (exit code 130).</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return Run(args, new CliContext(console, stdout, stderr, Interactive: false, cancellationToken));
    }

    /// <summary>Runs on the process's console: colours and progress bars when standard output is a terminal.</summary>
    internal static int RunOnConsole(string[] args, CancellationToken cancellationToken)
    {
        var output = new AnsiConsoleOutput(Console.Out);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = output,
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
        });
        bool interactive = !Console.IsOutputRedirected && console.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            console.Profile.Width = 200; // files and pipes: never wrap tables at 80 columns
        }

        return Run(args, new CliContext(console, Console.Out, Console.Error, interactive, cancellationToken));
    }

    private static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        Command root = BuildRoot(context);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            if (args.Length == 0)
            {
                // Bare "lightnet": show what it can do, and still fail as a usage error.
                root.Parse(["--help"]).Invoke(Invocation(context));
            }

            string command = string.Join(' ', CommandPath(parse.CommandResult.Command));
            string messages = string.Join(" ", parse.Errors.Select(e => EndSentence(e.Message)).Distinct());
            context.Stderr.WriteLine($"error [Usage]: {OneLine(messages)} See '{command} --help'.");
            return UsageError;
        }

        return parse.Invoke(Invocation(context));
    }

    private static InvocationConfiguration Invocation(CliContext context) => new()
    {
        Output = context.Stdout,
        Error = context.Stderr,
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = null,
    };

    private static Command BuildRoot(CliContext context)
    {
        // A named command rather than RootCommand, whose name would be the host process's ("testhost" in-process).
        var root = new Command("lightnet", "LightNet: analyse, profile and compare lightweight neural networks (ONNX) on this machine.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(CommandSupport.Verbose);
        root.Subcommands.Add(BackendsCommand.Create(context));
        root.Subcommands.Add(ZooCommand.Create(context));
        root.Subcommands.Add(InfoCommand.Create(context));
        root.Subcommands.Add(ProfileCommand.Create(context));
        root.Subcommands.Add(CompareCommand.Create(context));
        root.Subcommands.Add(VerifyCommand.Create(context));
        root.Subcommands.Add(OperatorsCommand.Create(context));
        root.Subcommands.Add(ConformanceCommand.Create(context));
        root.Subcommands.Add(ConformanceCommand.CreateWorker(context));
        root.Subcommands.Add(QuantizeCommand.Create(context));
        root.Subcommands.Add(Fp16Command.Create(context));
        root.Subcommands.Add(StudyCommand.Create(context));
        root.Subcommands.Add(RecommendCommand.Create(context));
        root.Subcommands.Add(ProfileCommand.CreateColdStartProbe(context));
        return root;
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        return names;
    }

    private static string EndSentence(string text)
    {
        string t = text.Trim();
        return t.Length == 0 || t.EndsWith('.') || t.EndsWith('?') || t.EndsWith('!') ? t : t + ".";
    }

    /// <summary>Joins a message's lines into one.</summary>
    internal static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

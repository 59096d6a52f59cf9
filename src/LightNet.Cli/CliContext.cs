using Spectre.Console;

namespace LightNet.Cli;

/// <summary>What one invocation of the command line writes to and how.</summary>
/// <param name="Console">Spectre console over standard output (tables, progress bars).</param>
/// <param name="Stdout">Standard output, for JSON.</param>
/// <param name="Stderr">Standard error: error lines and plain progress.</param>
/// <param name="Interactive">True when standard output is a terminal: progress bars instead of plain lines.</param>
/// <param name="CancellationToken">Stops a measurement (Ctrl+C).</param>
internal sealed record CliContext(IAnsiConsole Console, TextWriter Stdout, TextWriter Stderr, bool Interactive, CancellationToken CancellationToken);

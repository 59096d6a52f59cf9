namespace LightNet.Cli;

/// <summary>A problem with the command line itself (a malformed value, an out-of-range number): exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

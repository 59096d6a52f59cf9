namespace LightNet.Conformance;

/// <summary>
/// How to start a conformance worker process: an executable and its leading arguments. The process must call
/// <see cref="ConformanceRunner.RunWorker"/> on its standard input and output (the <c>lightnet</c> command line does so
/// under its hidden <c>conformance-worker</c> command).
/// </summary>
/// <param name="FileName">The executable, such as the <c>lightnet</c> app host or <c>dotnet</c>.</param>
/// <param name="Arguments">Arguments before anything else, such as the path of an app's .dll after <c>dotnet</c> and the worker's subcommand.</param>
public sealed record ConformanceWorkerCommand(string FileName, IReadOnlyList<string> Arguments);

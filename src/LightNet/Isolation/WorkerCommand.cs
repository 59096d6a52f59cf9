using System.Reflection;

namespace LightNet.Isolation;

/// <summary>How to start a LightNet worker process: an executable and its leading arguments.</summary>
/// <param name="FileName">The executable, such as an app host or <c>dotnet</c>.</param>
/// <param name="Arguments">Arguments before anything else, such as the path of an app's .dll after <c>dotnet</c> and the worker's argument.</param>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>
    /// The command that starts <paramref name="assembly"/>'s application with <paramref name="arguments"/>: its app host
    /// when there is one next to it, else <c>dotnet</c> with the .dll.
    /// </summary>
    /// <param name="assembly">The application's entry assembly.</param>
    /// <param name="arguments">The arguments that select the worker mode.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the assembly has no file (single-file or in-memory).</exception>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Location (single-file app) is handled: the process's own executable is the worker.")]
    public static WorkerCommand ForAssembly(Assembly assembly, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string dll = assembly.Location;
        if (string.IsNullOrEmpty(dll))
        {
            // Single-file apps: the process's own executable is the app host.
            return Environment.ProcessPath is { Length: > 0 } self
                ? new WorkerCommand(self, arguments)
                : throw new LightNetException(ErrorCode.InvalidArgument, $"Cannot tell how to start '{assembly.GetName().Name}' as a worker; set IsolationSettings.Worker.");
        }

        string folder = Path.GetDirectoryName(dll) ?? AppContext.BaseDirectory;
        string host = Path.Combine(folder, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(host))
        {
            return new WorkerCommand(host, arguments);
        }

        string? processPath = Environment.ProcessPath;
        string dotnet = processPath is not null && Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? processPath
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        return new WorkerCommand(dotnet, [dll, .. arguments]);
    }

    /// <summary>
    /// The default worker: the running application itself with <see cref="IsolationWorker.Argument"/>, which works when
    /// its <c>Main</c> first calls <see cref="IsolationWorker.TryRun"/> (the <c>lightnet</c> command line does).
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when there is no entry assembly to start.</exception>
    public static WorkerCommand ForEntryAssembly() =>
        ForAssembly(Assembly.GetEntryAssembly()
            ?? throw new LightNetException(ErrorCode.InvalidArgument, "There is no entry assembly to start as a worker; set IsolationSettings.Worker."),
            [IsolationWorker.Argument]);
}

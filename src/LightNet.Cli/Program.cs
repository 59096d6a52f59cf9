using LightNet.Cli;
using LightNet.Isolation;

// Started as the worker of an isolated session (--isolate): serve it and exit.
if (IsolationWorker.TryRun(args, out int workerExitCode))
{
    return workerExitCode;
}

// Ctrl+C stops a measurement within one run instead of killing the process mid-write.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

return CliApp.RunOnConsole(args, cancellation.Token);

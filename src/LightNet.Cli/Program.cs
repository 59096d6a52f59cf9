using LightNet.Cli;

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

namespace LightNet.Isolation;

/// <summary>How an isolated session's worker is started and watched (<see cref="Backends.InferenceOptions.IsolationSettings"/>).</summary>
public sealed record IsolationSettings
{
    /// <summary>The defaults: the running application as the worker, 60 s to start, 300 s per run, half the physical memory.</summary>
    public static IsolationSettings Default { get; } = new();

    /// <summary>How to start the worker; null for <see cref="WorkerCommand.ForEntryAssembly"/> (the running application, which must call <see cref="IsolationWorker.TryRun"/>).</summary>
    public WorkerCommand? Worker { get; init; }

    /// <summary>Longest wait for the worker to load the model and create its session.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for one run (or one operator-profile request); past it the worker is killed and the call fails with <see cref="ErrorCode.Timeout"/>.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Largest resident memory the worker may reach, in bytes, sampled every 20 ms; past it the worker is killed and the call
    /// fails with <see cref="ErrorCode.ResourceLimit"/>. Default: half the physical memory.
    /// </summary>
    public long MaxWorkerMemoryBytes { get; init; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>
    /// True (the default) to pass tensors through a memory-mapped file the session and its worker share (in
    /// <c>/dev/shm</c> on Linux), the pipe carrying only control lines; false to send them inside the pipe's lines as
    /// base64 (about 27 ms more per MB, measured in docs/reliability.md).
    /// </summary>
    public bool SharedMemory { get; init; } = true;

    internal void Validate()
    {
        if (StartTimeout <= TimeSpan.Zero || RunTimeout <= TimeSpan.Zero || StartTimeout.TotalMilliseconds > int.MaxValue
            || RunTimeout.TotalMilliseconds > int.MaxValue || MaxWorkerMemoryBytes < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Invalid isolation settings: the timeouts must be positive and at most {int.MaxValue} ms, the memory limit positive (start {StartTimeout}, run {RunTimeout}, memory {MaxWorkerMemoryBytes}).");
        }
    }
}

using System.Text.Json;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Isolation;

/// <summary>
/// A session that runs in a worker process (<see cref="IsolationMode.Process"/>): the model is written to a temporary
/// file the worker loads, each run puts the inputs into the memory both share (<see cref="SharedTensorMemory"/>, or the
/// pipe's lines when <see cref="IsolationSettings.SharedMemory"/> is off), sends a request over the worker's pipe and
/// reads the outputs back, and the worker is watched. When it dies (a native crash: <see cref="ErrorCode.BackendCrashed"/> with the exit code or signal), runs
/// past the timeout (<see cref="ErrorCode.Timeout"/>) or past the memory limit (<see cref="ErrorCode.ResourceLimit"/>),
/// the call in flight fails with that code and the session is dead: later calls fail with
/// <see cref="ErrorCode.InvalidOperation"/> naming the first failure. Runs are serialised (one request at a time).
/// </summary>
internal sealed class IsolatedSession : IInferenceSession
{
    private readonly WorkerProcess _worker;
    private readonly SharedTensorMemory? _shared;
    private readonly IsolationSettings _settings;
    private readonly object _lock = new();
    private LightNetException? _dead;
    private bool _disposed;

    private IsolatedSession(Backend backend, WorkerProcess worker, SharedTensorMemory? shared, IsolationSettings settings,
        IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
    {
        Backend = backend;
        _worker = worker;
        _shared = shared;
        _settings = settings;
        Inputs = inputs;
        Outputs = outputs;
    }

    public Backend Backend { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>The shared memory's file name (unlinked once the worker has it mapped), or null when tensors go through the pipe.</summary>
    internal string? SharedMemoryPath => _shared?.Path;

    /// <summary>The session the backend would create in this process, in a worker instead; null when <paramref name="options"/> asks for no isolation.</summary>
    public static IInferenceSession? TryCreate(Backend backend, Model model, InferenceOptions? options)
    {
        if (options?.Isolation != IsolationMode.Process)
        {
            return null;
        }

        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        IsolationSettings settings = options.IsolationSettings ?? IsolationSettings.Default;
        settings.Validate();
        WorkerCommand command = settings.Worker ?? WorkerCommand.ForEntryAssembly();
        string modelPath = Path.Combine(Path.GetTempPath(), $"lightnet-worker-{Guid.NewGuid():N}.onnx");
        model.Save(modelPath);
        WorkerProcess? worker = null;
        SharedTensorMemory? shared = null;
        try
        {
            shared = settings.SharedMemory ? SharedTensorMemory.Create() : null;
            worker = new WorkerProcess(command, IsolationProtocol.Prefix, script: null, settings.MaxWorkerMemoryBytes, "LightNet worker");
            string line = IsolationProtocol.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", modelPath);
                w.WriteString("source", model.SourcePath ?? model.Graph.Name);
                w.WriteString("backend", backend.Name);
                if (shared is not null)
                {
                    w.WriteString("shared", shared.Path);
                }

                if (options.Threads is int threads)
                {
                    w.WriteNumber("threads", threads);
                }

                w.WriteString("optimization", options.GraphOptimization.ToString());
                w.WriteBoolean("perOperator", options.PerOperatorProfiling);
                if (options.DimensionValues is { Count: > 0 } dims)
                {
                    w.WriteStartObject("dims");
                    foreach ((string name, long value) in dims)
                    {
                        w.WriteNumber(name, value);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
            });
            worker.Send(line);
            string answer = Await(worker, settings.StartTimeout, settings, $"creating a '{backend.Name}' session for model '{model.Graph.Name}'");
            if (!answer.StartsWith(IsolationProtocol.Ready, StringComparison.Ordinal))
            {
                throw Unexpected(answer);
            }

            shared?.Unlink(); // the worker has it open and mapped: no name is left behind, even if this process is killed
            using JsonDocument doc = JsonDocument.Parse(answer[IsolationProtocol.Ready.Length..]);
            var session = new IsolatedSession(backend, worker, shared, settings,
                IsolationProtocol.ReadSpecs(doc.RootElement.GetProperty("inputs")), IsolationProtocol.ReadSpecs(doc.RootElement.GetProperty("outputs")));
            (worker, shared) = (null, null);
            return session;
        }
        finally
        {
            worker?.Dispose();
            shared?.Dispose();
            if (shared is not null)
            {
                SharedTensorMemory.TryDelete(shared.Path);
            }

            File.Delete(modelPath);
        }
    }

    /// <summary>The next answer line; a worker that is gone, late or over its memory limit becomes the matching exception.</summary>
    private static string Await(WorkerProcess worker, TimeSpan timeout, IsolationSettings settings, string what)
    {
        string? line = worker.Next(timeout, CancellationToken.None);
        if (line is not null && !worker.OverMemoryLimit)
        {
            if (line.StartsWith(IsolationProtocol.Error, StringComparison.Ordinal))
            {
                throw IsolationProtocol.ReadError(line[IsolationProtocol.Error.Length..]);
            }

            return line;
        }

        worker.Kill();
        if (worker.OverMemoryLimit)
        {
            throw new LightNetException(ErrorCode.ResourceLimit,
                $"The LightNet worker went over its memory limit while {what}: {worker.PeakResidentBytes / 1048576} MiB resident, the limit is {settings.MaxWorkerMemoryBytes / 1048576} MiB (IsolationSettings.MaxWorkerMemoryBytes); it was killed.");
        }

        if (worker.TimedOut)
        {
            throw new LightNetException(ErrorCode.Timeout,
                $"The LightNet worker gave no answer within {timeout.TotalSeconds:0.###} s while {what} (IsolationSettings.{(what.StartsWith("creating", StringComparison.Ordinal) ? "StartTimeout" : "RunTimeout")}); it was killed.");
        }

        throw new LightNetException(ErrorCode.BackendCrashed,
            $"The LightNet worker ({worker.FileName} {string.Join(' ', worker.Arguments)}) died while {what}: {worker.ExitDescription()}.");
    }

    private static LightNetException Unexpected(string line) =>
        new(ErrorCode.InvalidOperation, $"The LightNet worker answered '{(line.Length > 80 ? line[..80] + "…" : line)}', which is not part of the protocol.");

    /// <summary>
    /// Sends <paramref name="request"/> (built under the lock: it writes the inputs into the shared memory) and reads the
    /// answer with <paramref name="read"/>, also under the lock (outputs in the shared memory are overwritten by the next
    /// request).
    /// </summary>
    private T Request<T>(Func<string> request, string what, string expected, Func<string, T> read)
    {
        lock (_lock)
        {
            ObjectDisposedCheck();
            if (_dead is not null)
            {
                throw new LightNetException(ErrorCode.InvalidOperation, $"The isolated session's worker failed earlier ({_dead.Code}: {_dead.Message}); create a new session.", _dead);
            }

            _worker.Send(request());
            string answer;
            try
            {
                answer = Await(_worker, _settings.RunTimeout, _settings, what);
            }
            catch (LightNetException e) when (e.Code is ErrorCode.BackendCrashed or ErrorCode.Timeout or ErrorCode.ResourceLimit or ErrorCode.InvalidOperation)
            {
                _dead = e;
                throw;
            }

            return answer.StartsWith(expected, StringComparison.Ordinal) ? read(answer[expected.Length..]) : throw Unexpected(answer);
        }
    }

    private void ObjectDisposedCheck()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(IsolatedSession), $"The isolated '{Backend.Name}' session was disposed.");
        }
    }

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Request(() => "run " + IsolationProtocol.Json(w => IsolationProtocol.WriteTensors(w, inputs, _shared)), $"running '{Backend.Name}'",
            IsolationProtocol.Result, answer =>
            {
                using JsonDocument doc = JsonDocument.Parse(answer);
                return IsolationProtocol.ReadTensors(doc.RootElement, _shared);
            });
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        lock (_lock)
        {
            ObjectDisposedCheck();
        }

        return new PreparedIsolatedRun(this, inputs, Run(inputs));
    }

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        return Request(() => "profile " + skipFirstRuns.ToString(System.Globalization.CultureInfo.InvariantCulture), "collecting the operator profile",
            IsolationProtocol.Profile, answer => JsonSerializer.Deserialize(answer, IsolationProtocol.OperatorProfileJson));
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _worker.Dispose();
        lock (_lock)
        {
            _shared?.Dispose();
        }
    }

    /// <summary>A prepared run over the pipe: each run sends the bound inputs and copies the answer into the output buffers.</summary>
    private sealed class PreparedIsolatedRun(IsolatedSession session, IReadOnlyDictionary<string, TensorBuffer> inputs,
        IReadOnlyDictionary<string, TensorBuffer> outputs) : IPreparedRun
    {
        private int _running;
        private bool _disposed;

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = outputs;

        public void Run()
        {
            if (Interlocked.Exchange(ref _running, 1) == 1)
            {
                throw new LightNetException(ErrorCode.InvalidOperation, "A prepared run was used from two threads at once.");
            }

            try
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(IPreparedRun), "The prepared run was disposed.");
                }

                foreach ((string name, TensorBuffer t) in session.Run(inputs))
                {
                    if (Outputs.TryGetValue(name, out TensorBuffer? target) && target.ByteCount == t.ByteCount)
                    {
                        t.Bytes.CopyTo(target.Bytes);
                    }
                    else
                    {
                        throw new LightNetException(ErrorCode.InvalidOperation, $"Output '{name}' changed size between runs of a prepared run ({t}).");
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        }

        public void Dispose() => _disposed = true;
    }
}

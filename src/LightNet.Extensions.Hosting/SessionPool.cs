using System.Diagnostics;
using LightNet.Backends;
using Microsoft.Extensions.Logging;

namespace LightNet.Extensions.Hosting;

/// <summary>
/// A bounded pool of sessions of one model on one backend, safe to share between requests: <see cref="RentAsync"/> waits
/// while all <see cref="Capacity"/> sessions are in use. Sessions are created on first need (all of them at start-up when
/// <see cref="LightNetOptions.WarmUp"/> is on) and disposed with the pool. Resolve it by its name:
/// <c>[FromKeyedServices("mobilenet")] SessionPool pool</c>.
/// </summary>
public sealed class SessionPool : IDisposable
{
    private readonly Func<Model> _loadModel;
    private readonly InferenceOptions? _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _free;
    private readonly Stack<IInferenceSession> _idle = new();
    private readonly List<IInferenceSession> _all = [];
    private readonly Lazy<Model> _model;
    private bool _disposed;

    internal SessionPool(string name, Func<Model> loadModel, Backend backend, int capacity, InferenceOptions? options, ILogger logger)
    {
        Name = name;
        _loadModel = loadModel;
        Backend = backend;
        Capacity = capacity;
        _options = options;
        _logger = logger;
        _free = new SemaphoreSlim(capacity, capacity);
        _model = new Lazy<Model>(() => _loadModel(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The name it was registered under.</summary>
    public string Name { get; }

    /// <summary>The backend its sessions run on.</summary>
    public Backend Backend { get; }

    /// <summary>The model (loaded on first use).</summary>
    public Model Model => _model.Value;

    /// <summary>The most sessions in use at once.</summary>
    public int Capacity { get; }

    /// <summary>Sessions created so far (≤ <see cref="Capacity"/>).</summary>
    public int Created
    {
        get
        {
            lock (_idle) return _all.Count;
        }
    }

    /// <summary>Waits for a free session and lends it; dispose the lease to give it back.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    /// <exception cref="LightNetException">The backend's errors when the session is created (<see cref="ErrorCode.BackendUnavailable"/>, ...).</exception>
    public async ValueTask<SessionLease> RentAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new SessionLease(this, TakeOrCreate());
        }
        catch
        {
            _free.Release();
            throw;
        }
    }

    /// <summary>Creates every session and runs each once on zero inputs (what start-up warm-up does).</summary>
    /// <param name="cancellationToken">Stops between sessions.</param>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        var leases = new List<SessionLease>(Capacity);
        try
        {
            for (int i = 0; i < Capacity; i++)
            {
                leases.Add(await RentAsync(cancellationToken).ConfigureAwait(false));
            }

            foreach (SessionLease lease in leases)
            {
                var inputs = lease.Session.Inputs.ToDictionary(
                    s => s.Name, s => TensorBuffer.Allocate(s.ElementType, s.Shape.Select(d => d.Value ?? 1).ToArray()), StringComparer.Ordinal);
                lease.Session.Run(inputs);
            }
        }
        finally
        {
            foreach (SessionLease lease in leases) lease.Dispose();
        }
    }

    private IInferenceSession TakeOrCreate()
    {
        lock (_idle)
        {
            if (_idle.TryPop(out IInferenceSession? session))
            {
                return session;
            }
        }

        long start = Stopwatch.GetTimestamp();
        IInferenceSession created = Backend.CreateSession(Model, _options);
        _logger.LogInformation("LightNet pool '{Pool}': session {Index} of {Capacity} on {Backend} created in {Milliseconds:F0} ms",
            Name, Created + 1, Capacity, Backend.Name, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        lock (_idle)
        {
            if (_disposed)
            {
                created.Dispose();
                throw new ObjectDisposedException(nameof(SessionPool));
            }

            _all.Add(created);
        }

        return created;
    }

    internal void Return(IInferenceSession session)
    {
        lock (_idle)
        {
            if (!_disposed)
            {
                _idle.Push(session);
            }
        }

        _free.Release();
    }

    /// <summary>Disposes every session.</summary>
    public void Dispose()
    {
        lock (_idle)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (IInferenceSession session in _all) session.Dispose();
            _all.Clear();
            _idle.Clear();
        }
    }
}

/// <summary>A session lent by a <see cref="SessionPool"/>; dispose it to give the session back.</summary>
public sealed class SessionLease : IDisposable
{
    private SessionPool? _pool;

    internal SessionLease(SessionPool pool, IInferenceSession session)
    {
        _pool = pool;
        Session = session;
    }

    /// <summary>The session: this caller's alone until the lease is disposed.</summary>
    public IInferenceSession Session { get; }

    /// <summary>Gives the session back to the pool.</summary>
    public void Dispose() => Interlocked.Exchange(ref _pool, null)?.Return(Session);
}

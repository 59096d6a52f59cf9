using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace LightNet.Engine.Kernels;

/// <summary>A unit of parallel work over a contiguous range of items; implementations are created once and reused.</summary>
internal interface IParallelWork
{
    /// <summary>Processes the items in [<paramref name="begin"/>, <paramref name="end"/>); <paramref name="threadIndex"/> is in [0, Threads).</summary>
    void Execute(int begin, int end, int threadIndex);
}

/// <summary>
/// A fixed set of persistent threads (Threads - 1 workers plus the caller). <see cref="Run"/> splits the items
/// statically into Threads contiguous ranges, thread t taking [t·items/T, (t+1)·items/T); the caller runs range 0.
/// The same split every call keeps results bit-identical for a given thread count. Allocation-free.
/// Workers spin briefly after each run (back-to-back operator calls are the common case), then block.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    // How long an idle worker (or the waiting caller) spins before blocking on its event.
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim[] _wake;
    private readonly ManualResetEventSlim _done = new(false, 0);
    private readonly Exception?[] _errors;
    private IParallelWork? _work;
    private int _items;
    private int _generation;
    private int _pending;
    private int _busy;
    private volatile bool _disposed;

    /// <summary>Creates the pool and starts <paramref name="threads"/> - 1 worker threads.</summary>
    /// <exception cref="LightNetException"><paramref name="threads"/> is below 1 or above 256.</exception>
    public WorkerPool(int threads)
    {
        if (threads < 1 || threads > 256)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The thread count must be between 1 and 256 (got {threads}).");
        }

        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _errors = new Exception?[threads];
        for (int i = 0; i < _workers.Length; i++)
        {
            _wake[i] = new ManualResetEventSlim(false, 0);
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"LightNet worker {index}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>The number of threads that share each <see cref="Run"/>, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="work"/> over [0, <paramref name="items"/>) and returns when every range is done.</summary>
    /// <exception cref="InvalidOperationException">Two threads call <see cref="Run"/> at once, or the pool is disposed.</exception>
    public void Run(IParallelWork work, int items)
    {
        if (items <= 0)
        {
            return;
        }

        int threads = Threads;
        if (threads == 1 || items == 1)
        {
            // A single item lands in the last range; run it on the caller (results do not depend on the thread).
            work.Execute(0, items, 0);
            return;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            throw new InvalidOperationException("WorkerPool.Run was called from two threads at once.");
        }

        try
        {
            // Every worker takes part in every generation (even with an empty range), so none can lag behind.
            _work = work;
            _items = items;
            _done.Reset();
            Volatile.Write(ref _pending, threads - 1);
            Interlocked.Increment(ref _generation);
            for (int i = 0; i < _wake.Length; i++)
            {
                _wake[i].Set();
            }

            try
            {
                int end = RangeBegin(1, items, threads);
                if (end > 0)
                {
                    work.Execute(0, end, 0);
                }
            }
            catch (Exception ex)
            {
                _errors[0] = ex;
            }

            WaitAllDone();
            _work = null;
            RethrowFirstError();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Stops and joins the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Increment(ref _generation);
        foreach (var wake in _wake)
        {
            wake.Set();
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }

        foreach (var wake in _wake)
        {
            wake.Dispose();
        }

        _done.Dispose();
    }

    private static int RangeBegin(int t, int items, int threads) => (int)((long)t * items / threads);

    private void WaitAllDone()
    {
        SpinThenBlock(Stopwatch.GetTimestamp(), ref _pending, 0, equal: false, _done, reset: false);
    }

    // Spins while (field == value) == equal, for SpinTicks, then blocks on the event (re-checking after each wake-up).
    private static void SpinThenBlock(long start, ref int field, int value, bool equal, ManualResetEventSlim signal, bool reset)
    {
        int spins = 0;
        while ((Volatile.Read(ref field) == value) == equal)
        {
            if (Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                Thread.SpinWait(20);
                if ((++spins & 63) == 0)
                {
                    Thread.Yield();
                }
            }
            else
            {
                signal.Wait();
                if (reset)
                {
                    signal.Reset();
                }
            }
        }
    }

    private void RethrowFirstError()
    {
        for (int i = 0; i < _errors.Length; i++)
        {
            if (_errors[i] is { } error)
            {
                Array.Clear(_errors);
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
    }

    private void WorkerLoop(int index)
    {
        var wake = _wake[index - 1];
        int seen = 0;
        while (true)
        {
            SpinThenBlock(Stopwatch.GetTimestamp(), ref _generation, seen, equal: true, wake, reset: true);

            seen = Volatile.Read(ref _generation);
            if (_disposed)
            {
                return;
            }

            int items = _items;
            int begin = RangeBegin(index, items, Threads);
            int end = RangeBegin(index + 1, items, Threads);
            try
            {
                if (begin < end)
                {
                    _work!.Execute(begin, end, index);
                }
            }
            catch (Exception ex)
            {
                _errors[index] = ex;
            }

            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }
    }
}

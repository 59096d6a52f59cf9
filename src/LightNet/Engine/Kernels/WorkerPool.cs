using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace LightNet.Engine.Kernels;

/// <summary>A unit of parallel work over a contiguous range of items; implementations are created once and reused.</summary>
internal interface IParallelWork
{
    /// <summary>Processes the items in [<paramref name="begin"/>, <paramref name="end"/>); <paramref name="threadIndex"/> is in [0, Threads).</summary>
    void Execute(int begin, int end, int threadIndex);
}

/// <summary>
/// A fixed set of persistent threads (Threads - 1 workers plus the caller). <see cref="Run(IParallelWork, int)"/> cuts the items into a
/// fixed number of contiguous chunks (chunk c is [c·items/C, (c+1)·items/C)) that the threads claim one at a time, the
/// caller included: each first the chunks of its own home range ([t·C/T, (t+1)·C/T) for thread t), in order, then
/// what is left of the others'. A worker that is still waking up, or that the OS has descheduled for another process,
/// never holds up an operator, since the others take its chunks; and a thread otherwise takes the same part of every
/// operator's items, so what it reads is mostly what it wrote the layer before, in its own cache (the two vCPUs of a
/// VM may sit on different core complexes, 400–480 ns apart for a cache line's round trip instead of 80–100). The cut
/// depends only on the item and thread counts, so results stay bit-identical for a given thread count whichever thread
/// runs a chunk. Allocation-free.
/// Workers spin briefly after each run (back-to-back operator calls are the common case), then block.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>
    /// How long an idle worker (or the waiting caller) spins before blocking, by default. Long enough to bridge the
    /// gap between operators and between runs: on a 2-core VM, 2 ms instead of 200 µs took squeezenet1_1 and resnet18
    /// at 2 threads from 1.86–2.05× ONNX Runtime's latency to 1.47–1.85× (interleaved, side by side), because a vCPU
    /// that halts is slow to get back.
    /// </summary>
    public const int DefaultSpinMicroseconds = 2000;

    private readonly long _spinTicks;

    // Chunks per thread: enough to balance uneven progress, few enough that claiming stays cheap.
    private const int ChunksPerThread = 8;

    // The low half of _state once a run is over: no chunk can be claimed until the next generation is published.
    private const long Closed = int.MaxValue;

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim[] _wake;
    private readonly ManualResetEventSlim _done = new(false, 0);
    private readonly Exception?[] _errors;
    private IParallelWork? _work;
    private int _items;
    private int _chunks;

    // Chunks finished in this run, and the generation (high 32 bits) with the next unclaimed chunk (low 32 bits),
    // claimed by compare-and-swap: each on a cache line of its own, so that claiming, finishing and the idle
    // threads' polling of the state do not make the run's other fields bounce between cores.
    private PaddedLong _completed;
    private PaddedLong _state = new() { Value = Closed };

    // Per thread, the generation (high 32 bits) with the next unclaimed chunk (low 32 bits) of the thread's home range:
    // thread t owns chunks [t·C/T, (t+1)·C/T) and claims them first, in order, before it claims what is left of the
    // others' ranges. A thread so takes the same part of every operator's items (the same rows, the same pixels) run
    // after run and layer after layer, and finds in its own cache what it wrote the layer before.
    private readonly PaddedLong[] _home;
    private int _busy;
    private volatile bool _disposed;

    /// <summary>Creates the pool and starts <paramref name="threads"/> - 1 worker threads.</summary>
    /// <exception cref="LightNetException"><paramref name="threads"/> is below 1 or above 256.</exception>
    public WorkerPool(int threads, int spinMicroseconds = DefaultSpinMicroseconds)
    {
        _spinTicks = Math.Max(0, spinMicroseconds) * Stopwatch.Frequency / 1_000_000;
        if (threads < 1 || threads > 256)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The thread count must be between 1 and 256 (got {threads}).");
        }

        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _errors = new Exception?[threads];
        _home = new PaddedLong[threads];
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

    /// <summary>The number of threads that share each <see cref="Run(IParallelWork, int)"/>, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="work"/> over [0, <paramref name="items"/>) and returns when every chunk is done.</summary>
    /// <exception cref="InvalidOperationException">Two threads call <see cref="Run(IParallelWork, int)"/> at once, or the pool is disposed.</exception>
    public void Run(IParallelWork work, int items) => Run(work, items, Threads * ChunksPerThread);

    /// <summary>
    /// Runs <paramref name="work"/> over [0, <paramref name="items"/>) cut into at most <paramref name="maxChunks"/>
    /// chunks (fewer, larger chunks when consecutive items share set-up work, as GEMM rows that share a packed panel do).
    /// </summary>
    /// <exception cref="InvalidOperationException">Two threads call <see cref="Run(IParallelWork, int)"/> at once, or the pool is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(IParallelWork work, int items, int maxChunks)
    {
        if (items <= 0)
        {
            return;
        }

        int threads = Threads;
        if (threads == 1 || items == 1)
        {
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
            int chunks = Math.Clamp(maxChunks, 1, items);
            _work = work;
            _items = items;
            _chunks = chunks;
            Volatile.Write(ref _completed.Value, 0);
            _done.Reset();
            long generation = (Volatile.Read(ref _state.Value) >> 32) + 1;
            for (int t = 0; t < threads; t++)
            {
                Volatile.Write(ref _home[t].Value, (generation << 32) | (uint)HomeStart(t, chunks, threads));
            }

            Volatile.Write(ref _state.Value, generation << 32);
            for (int i = 0; i < _wake.Length; i++)
            {
                _wake[i].Set();
            }

            ClaimAndRun(generation, work, items, chunks, 0);
            SpinThenBlock(Stopwatch.GetTimestamp(), _spinTicks, ref _completed.Value, chunks, _done);

            // Close every range before the next run's arguments are written: a worker that saw this generation late may
            // read the next run's chunk count, by which an exhausted range of this one would look unclaimed again.
            for (int t = 0; t < threads; t++)
            {
                Interlocked.Exchange(ref _home[t].Value, (generation << 32) | Closed);
            }

            Volatile.Write(ref _state.Value, (generation << 32) | Closed);
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
        Volatile.Write(ref _state.Value, (((Volatile.Read(ref _state.Value) >> 32) + 1) << 32) | Closed);
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

    /// <summary>
    /// The first chunk of thread <paramref name="t"/>'s home range (the chunks it claims first) when a run is cut into
    /// <paramref name="chunks"/> chunks; kernels that size their items by the threads' shares read it here.
    /// </summary>
    internal static int HomeStart(int t, int chunks, int threads) => (int)((long)t * chunks / threads);

    // Claims chunks of `generation` until none is left (or a newer generation has started) and runs them: first the
    // thread's home range, then what is left of the others'.
    // The run arguments were read after the generation was seen; they cannot belong to a later run while a chunk of
    // this one is still unclaimed, because the caller closes every range of a run before it changes them.
    private void ClaimAndRun(long generation, IParallelWork work, int items, int chunks, int threadIndex)
    {
        int threads = _home.Length;
        for (int i = 0; i < threads; i++)
        {
            int owner = threadIndex + i < threads ? threadIndex + i : threadIndex + i - threads;
            int last = HomeStart(owner + 1, chunks, threads);
            ref long home = ref _home[owner].Value;
            while (true)
            {
                long state = Volatile.Read(ref home);
                int chunk = (int)(state & 0xFFFF_FFFF);
                if ((state >> 32) != generation)
                {
                    return;
                }

                if (chunk >= last)
                {
                    break;
                }

                if (Interlocked.CompareExchange(ref home, state + 1, state) != state)
                {
                    continue;
                }

                try
                {
                    int begin = (int)((long)chunk * items / chunks);
                    int end = (int)((long)(chunk + 1) * items / chunks);
                    if (begin < end)
                    {
                        work.Execute(begin, end, threadIndex);
                    }
                }
                catch (Exception ex)
                {
                    // catch-all: kept and rethrown on the calling thread when the parallel section ends.
                    _errors[threadIndex] ??= ex;
                }

                if (Interlocked.Increment(ref _completed.Value) == chunks)
                {
                    _done.Set();
                }
            }
        }
    }

    // A long alone on its 64-byte cache line (with 64 bytes on either side).
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }

    // Spins until field == value, for spinTicks, then blocks on the signal, re-checking the field after each
    // wake-up. The signal is reset after every wake-up: the thread that finished a run's last chunk may set it only after
    // the caller, spinning, has seen the count and gone on to the next run, and a signal left set from that run would turn
    // the next wait into a busy loop (a reset that swallows this run's own signal is harmless: the count, set before the
    // signal, is read again before the next wait).
    private static void SpinThenBlock(long start, long spinTicks, ref long field, long value, ManualResetEventSlim signal)
    {
        int spins = 0;
        while (Volatile.Read(ref field) != value)
        {
            if (Stopwatch.GetTimestamp() - start < spinTicks)
            {
                SpinBriefly(ref spins);
            }
            else
            {
                signal.Wait();
                signal.Reset();
            }
        }
    }

    // One short spin; every 64th also yields, so a spinning thread lets a descheduled one run on a busy machine.
    private static void SpinBriefly(ref int spins)
    {
        Thread.SpinWait(20);
        if ((++spins & 63) == 0)
        {
            Thread.Yield();
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
        long seen = Volatile.Read(ref _state.Value) >> 32;
        long start = Stopwatch.GetTimestamp();
        int spins = 0;
        while (true)
        {
            long state = Volatile.Read(ref _state.Value);
            long generation = state >> 32;
            if (_disposed)
            {
                return;
            }

            if (generation == seen || (state & 0xFFFF_FFFF) >= Closed)
            {
                // Nothing new to claim: spin for a while after the last chunk, then sleep until the next Run.
                if (Stopwatch.GetTimestamp() - start < _spinTicks)
                {
                    SpinBriefly(ref spins);
                }
                else
                {
                    wake.Wait();
                    wake.Reset();
                }

                continue;
            }

            seen = generation;
            IParallelWork? work = _work;
            int items = _items, chunks = _chunks;
            if (work is not null)
            {
                ClaimAndRun(generation, work, items, chunks, index);
            }

            start = Stopwatch.GetTimestamp();
            spins = 0;
        }
    }
}

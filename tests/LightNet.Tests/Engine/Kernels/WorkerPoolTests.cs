using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

[Trait("Category", "SimdKernels")]
public sealed class WorkerPoolTests
{
    private sealed class Recorder(int items) : IParallelWork
    {
        public readonly int[] Hits = new int[items];
        public readonly int[] Thread = new int[items];

        public void Execute(int begin, int end, int threadIndex)
        {
            for (int i = begin; i < end; i++)
            {
                Interlocked.Increment(ref Hits[i]);
                Thread[i] = threadIndex;
            }
        }
    }

    private sealed class Thrower : IParallelWork
    {
        public int ThrowOn = -1;

        public void Execute(int begin, int end, int threadIndex)
        {
            if (threadIndex == ThrowOn)
            {
                throw new InvalidDataException($"thread {threadIndex}");
            }
        }
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(3, 10)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    [InlineData(2, 1001)]
    public void EveryItemRunsOnceInTheStaticSplit(int threads, int items)
    {
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads, pool.Threads);
        for (int run = 0; run < 50; run++)
        {
            var rec = new Recorder(items);
            pool.Run(rec, items);
            Assert.All(rec.Hits, h => Assert.Equal(1, h));
            if (items > 1)
            {
                for (int i = 0; i < items; i++)
                {
                    // Thread t owns [t·items/T, (t+1)·items/T).
                    int t = rec.Thread[i];
                    Assert.InRange(i, (int)((long)t * items / threads), (int)((long)(t + 1) * items / threads) - 1);
                }
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void ExceptionsAreRethrownOnTheCallerAndThePoolStaysUsable(int throwingThread)
    {
        using var pool = new WorkerPool(3);
        var ex = Assert.Throws<InvalidDataException>(() => pool.Run(new Thrower { ThrowOn = throwingThread }, 9));
        Assert.Equal($"thread {throwingThread}", ex.Message);
        var rec = new Recorder(9);
        pool.Run(rec, 9);
        Assert.All(rec.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void RunAllocatesNothingAndDisposeJoins()
    {
        var pool = new WorkerPool(2);
        var work = new Thrower();
        for (int i = 0; i < 100; i++)
        {
            pool.Run(work, 8);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            pool.Run(work, 8);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 256);
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(work, 8));
    }

    [Fact]
    public void InvalidThreadCountIsRejected()
    {
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => new WorkerPool(0)).Code);
    }
}

using LightNet.Engine.Kernels;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

[Trait("Category", "SimdKernels")]
public sealed class ElementRangesTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(16383, 2)]
    [InlineData(16384, 2)]
    [InlineData(100_003, 2)]
    [InlineData(1_048_583, 3)]
    [InlineData(1_048_583, 1)]
    public void EveryElementRunsOnceInRangesThatStartOnWholeVectors(long count, int threads)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        var starts = new System.Collections.Concurrent.ConcurrentBag<long>();
        var ranges = new ElementRanges(count, threads, (b, e) =>
        {
            starts.Add(b);
            for (long i = b; i < e; i++)
            {
                Interlocked.Increment(ref hits[i]);
            }
        });

        ranges.Run(pool);
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(starts, s => Assert.Equal(0, s % 64));

        // Shared only when there is enough to share: one range under 16,384 elements or on one thread, else at most
        // 4 per thread, none under 8,192 elements.
        int expected = count < 16384 ? 1 : (int)Math.Min(count / 8192, 4L * threads);
        Assert.Equal(expected, ranges.Ranges);
        Assert.Equal(threads == 1 ? 1 : expected, starts.Count);
        for (int i = 0; i < ranges.Ranges; i++)
        {
            Assert.True(ranges.Bound(i) <= ranges.Bound(i + 1));
        }

        Assert.Equal(0, ranges.Bound(0));
        Assert.Equal(count, ranges.Bound(ranges.Ranges));
    }
}

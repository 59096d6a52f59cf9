namespace LightNet.Tests.TestSupport;

/// <summary>Per-frame allocation, measured on the calling thread with GC.GetAllocatedBytesForCurrentThread.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="frame"/> in <paramref name="windows"/> windows of <paramref name="framesPerWindow"/> calls and
    /// returns the fewest bytes any window allocated. A steady per-frame allocation, even of one byte, shows in every
    /// window; a one-off (the JIT tiering a method up in the middle of a window) in one of them only, so the minimum is 0
    /// exactly when the frames themselves allocate nothing. Each window starts after a full garbage collection, as
    /// BenchmarkDotNet's iterations do, so that caches held weakly (reflection's, for one) and rebuilt after a collection
    /// count against the frames.
    /// </summary>
    public static long FewestBytesPerWindow(Action frame, int framesPerWindow = 10, int windows = 4)
    {
        long fewest = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < framesPerWindow; i++)
            {
                frame();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}

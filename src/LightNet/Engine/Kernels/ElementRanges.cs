using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// An element-wise operation over [0, count) shared by the pool's threads in contiguous ranges: range i is
/// [Bound(i), Bound(i + 1)) with every bound but the last a multiple of 64 elements, so each range starts on a whole
/// vector of any width and the codes (or floats) it writes do not depend on the split. Built once per plan step over
/// the step's pointers; one range under 16,384 elements, ranges of at least 8,192 above, so what stays on the calling
/// thread is what <see cref="OpShapes.Run"/> keeps off the pool anyway.
/// </summary>
internal sealed class ElementRanges : IParallelWork
{
    // Ranges below this many elements are not worth a pool pass.
    private const long MinElementsPerRange = 8192;
    private readonly long _count;
    private readonly int _ranges;
    private readonly Body _body;

    /// <summary>Prepares <paramref name="body"/> over <paramref name="count"/> elements for <paramref name="threads"/> threads.</summary>
    /// <param name="count">Elements in all.</param>
    /// <param name="threads">The pool's thread count.</param>
    /// <param name="body">Runs [begin, end).</param>
    public ElementRanges(long count, int threads, Body body)
    {
        _count = Math.Max(0, count);
        _body = body;
        _ranges = (int)Math.Clamp(_count / MinElementsPerRange, 1, Math.Max(1, threads) * 4L);
    }

    /// <summary>The operation on elements [<paramref name="begin"/>, <paramref name="end"/>).</summary>
    public delegate void Body(long begin, long end);

    /// <summary>Ranges the elements are cut into (1 when the operator is too small to share).</summary>
    public int Ranges => _ranges;

    /// <summary>Runs every range, on the pool when there is more than one (<see cref="OpShapes.Run"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(WorkerPool? pool) => OpShapes.Run(pool, this, _ranges, _count);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex) => _body(Bound(begin), Bound(end));

    /// <summary>The first element of range <paramref name="i"/> (the count for i = <see cref="Ranges"/>).</summary>
    public long Bound(int i) => i >= _ranges ? _count : (_count * i / _ranges) & ~63L;
}

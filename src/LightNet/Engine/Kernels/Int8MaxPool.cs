using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Max pooling of uint8 codes (<see cref="QuantizedElementwise.MaxPool"/>, <see cref="QuantizedElementwise.MaxPoolPixelMajor(byte*, byte*, in Pool2dShape, int)"/>)
/// shared over a pool's threads: planes of the NCHW layout (each thread with its own scratch), output rows of the
/// pixel-major one. Run is not reentrant.
/// </summary>
internal sealed unsafe class Int8MaxPool : IParallelWork
{
    private readonly Pool2dShape _s;
    private readonly int _channels; // pixel-major: channels per pixel; 0 for NCHW planes
    private readonly long _scratchPerThread;
    private byte* _x, _y, _scratch;

    /// <summary>Prepares the pool of <paramref name="s"/>; <paramref name="pixelMajorChannels"/> &gt; 0 for pixel-major codes.</summary>
    public Int8MaxPool(in Pool2dShape s, int pixelMajorChannels)
    {
        _s = s;
        _channels = pixelMajorChannels;
        _scratchPerThread = pixelMajorChannels > 0 ? 0 : MemoryPlan.Align(QuantizedElementwise.MaxPoolRowBytes(s));
    }

    /// <summary>Scratch bytes for <paramref name="threads"/> threads.</summary>
    public long ScratchBytes(int threads) => _scratchPerThread * threads;

    /// <summary>Pools <paramref name="x"/> into <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _x = x;
        _y = y;
        _scratch = scratch;
        pool.Run(this, _channels > 0 ? _s.Planes / _channels * _s.OutHeight : _s.Planes);
        _x = _y = _scratch = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_channels > 0)
        {
            QuantizedElementwise.MaxPoolPixelMajor(_x, _y, _s, _channels, begin, end);
            return;
        }

        long inPlane = (long)_s.InHeight * _s.InWidth, outPlane = (long)_s.OutHeight * _s.OutWidth;
        QuantizedElementwise.MaxPool(_x + (begin * inPlane), _y + (begin * outPlane), _s with { Planes = end - begin }, _scratch + (threadIndex * _scratchPerThread));
    }
}

using System.Runtime.InteropServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// One heavy-kernel case with its own seeded native buffers, scratch and worker pool, run by <see cref="Run"/>
/// without pointers at the call site: what the kernel benchmarks (which do not compile unsafe code) drive.
/// </summary>
internal sealed unsafe class GemmHarness : IDisposable
{
    private readonly WorkerPool _pool;
    private readonly Conv2dKernel? _conv;
    private readonly (int M, int N, int K) _gemm;
    private readonly Isa _isa;
    private float* _x, _y, _w;
    private readonly long _xFloats, _yFloats;
    private byte* _scratch;

    private GemmHarness(WorkerPool pool, Conv2dKernel? conv, (int M, int N, int K) gemm, Isa isa, long xFloats, long yFloats, long wFloats, long scratchBytes)
    {
        _pool = pool;
        _conv = conv;
        _gemm = gemm;
        _isa = isa;
        _xFloats = xFloats;
        _yFloats = yFloats;
        _x = Alloc(xFloats, 1);
        _y = Alloc(yFloats, 2);
        _w = Alloc(wFloats, 3);
        _scratch = (byte*)Alloc((scratchBytes + 3) / 4, 0);
        Macs = conv?.Macs ?? ((long)gemm.M * gemm.N * gemm.K);
        Algorithm = conv?.Algorithm ?? "sgemm-" + IsaSupport.Name(isa);
    }

    /// <summary>Multiply-accumulates of one <see cref="Run"/>.</summary>
    public long Macs { get; }

    /// <summary>The algorithm the kernel chose.</summary>
    public string Algorithm { get; }

    /// <summary>
    /// A convolution of <paramref name="shape"/> with seeded weights, zero bias and ReLU (by <paramref name="algorithm"/>);
    /// with <paramref name="blocked"/>, input and output channel-blocked (<see cref="ConvLayout"/>: pointwise and depthwise only).
    /// </summary>
    public static GemmHarness Conv(in Conv2dShape shape, Isa isa, int threads, ConvAlgorithm algorithm = ConvAlgorithm.Auto, bool blocked = false)
    {
        var rng = new Random(7);
        var w = new float[shape.OutChannels * (shape.InChannels / shape.Groups) * shape.KernelHeight * shape.KernelWidth];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)(rng.NextDouble() - 0.5);
        }

        int lanes = ConvLayout.LanesFor(isa);
        var layout = blocked ? new ConvLayout(lanes, true, true) : ConvLayout.Planar;
        var conv = Conv2dKernel.Create(shape, w, new float[shape.OutChannels], Activation.Relu, false, isa, threads, algorithm, layout);
        long inPixels = (long)shape.InHeight * shape.InWidth, outPixels = (long)shape.OutHeight * shape.OutWidth;
        return new GemmHarness(new WorkerPool(threads), conv, default, isa,
            blocked ? ConvLayout.BlockedElements(shape.InChannels, inPixels, lanes) : shape.InChannels * inPixels,
            blocked ? ConvLayout.BlockedElements(shape.OutChannels, outPixels, lanes) : shape.OutChannels * outPixels, 1, conv.ScratchBytes);
    }

    /// <summary>A run-time GEMM C[m,n] = A[m,k]·B[k,n] through <see cref="Sgemm.Multiply"/>.</summary>
    public static GemmHarness Gemm(int m, int n, int k, Isa isa, int threads) =>
        new(new WorkerPool(threads), null, (m, n, k), isa, (long)m * k, (long)m * n, (long)k * n, Sgemm.ScratchBytes(m, n, k, threads));

    /// <summary>Makes the case's GEMM pack B even where it would read it in place (<see cref="GemmWork.AllowBInPlace"/>).</summary>
    public GemmHarness ForcePackedB()
    {
        if (_conv?.Gemm is { } gemm)
        {
            gemm.AllowBInPlace = false;
        }

        return this;
    }

    /// <summary>Makes the case's GEMM compute a narrow last panel by the masked 6×8 kernel, not the strip (<see cref="GemmWork.AllowNarrowStrip"/>).</summary>
    public GemmHarness ForceMaskedEdge()
    {
        if (_conv?.Gemm is { } gemm)
        {
            gemm.AllowNarrowStrip = false;
        }

        return this;
    }

    /// <summary>
    /// Rewrites the case's input and output buffers (the same values) with the threads' shares reversed: thread t
    /// rewrites the part of each buffer that thread T − 1 − t's home range (<see cref="WorkerPool"/>) would, so the lines
    /// a thread then reads and writes sit in another core's cache, as a model's previous layer leaves them where the two
    /// layers cut their work differently. On 2 threads a kernel that cuts by channel blocks finds all its input on the
    /// other core, one that cuts by pixels about half. What <c>--kernel-check --foreign</c> runs, untimed, before each call.
    /// </summary>
    public void Foreign()
    {
        _mirror ??= new Mirror(this, _pool.Threads * MirrorChunksPerThread);
        _pool.Run(_mirror, _mirror.Items);
    }

    private const int MirrorChunksPerThread = 8;

    private Mirror? _mirror;

    // Item i of Items (one a chunk) rewrites the floats item Items − 1 − i covers.
    private sealed class Mirror(GemmHarness h, int items) : IParallelWork
    {
        public int Items => items;

        public void Execute(int begin, int end, int threadIndex)
        {
            Rewrite(h._x, h._xFloats, items - end, items - begin, items);
            Rewrite(h._y, h._yFloats, items - end, items - begin, items);
        }

        // Stores floats [first·n/items, last·n/items) back where they are.
        private static void Rewrite(float* p, long n, long first, long last, long items)
        {
            for (long j = first * n / items, e = last * n / items; j < e; j++)
            {
                Volatile.Write(ref p[j], p[j]);
            }
        }
    }

    /// <summary>Runs the case once.</summary>
    public void Run()
    {
        if (_conv != null)
        {
            _conv.Run(_x, _y, null, _scratch, _pool);
        }
        else
        {
            Sgemm.Multiply(false, false, _gemm.M, _gemm.N, _gemm.K, 1f, _x, _gemm.K, _w, _gemm.N, 0f, _y, _gemm.N, _scratch, _pool, _isa);
        }
    }

    /// <summary>Frees the buffers, the kernel and the pool.</summary>
    public void Dispose()
    {
        foreach (var p in new[] { (nint)_x, (nint)_y, (nint)_w, (nint)_scratch })
        {
            NativeMemory.AlignedFree((void*)p);
        }

        _x = _y = _w = null;
        _scratch = null;
        _conv?.Dispose();
        _pool.Dispose();
    }

    private static float* Alloc(long floats, int seed)
    {
        floats = Math.Max(floats, 16);
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        var rng = new Random(seed);
        for (long i = 0; i < floats; i++)
        {
            p[i] = seed == 0 ? 0f : (float)(rng.NextDouble() - 0.5);
        }

        return p;
    }
}

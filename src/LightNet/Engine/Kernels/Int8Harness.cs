using System.Runtime.InteropServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// One integer convolution case (<see cref="Int8Conv"/>, <see cref="Int8DirectConv"/>, <see cref="Int8Depthwise"/> or,
/// as a pixel-major chain runs them, <see cref="Int8DirectConv"/> and <see cref="Int8DepthwiseDirect"/> on [H][W][C]
/// codes in and out) with seeded uint8 activations,
/// int8 weights, its scratch and worker pool, run by <see cref="Run"/> without pointers at the call site: what the
/// int8 kernel benchmarks (which do not compile unsafe code) drive. A 1×1 convolution over an H×W grid is the GEMM
/// M = Cout, K = Cin, N = H·W.
/// </summary>
internal sealed unsafe class Int8Harness : IDisposable
{
    private readonly WorkerPool _pool;
    private readonly IInt8Convolution? _conv;
    private readonly Int8Depthwise? _depthwise;
    private byte* _x, _y, _scratch;

    private Int8Harness(in Conv2dShape shape, Int8Path path, Isa isa, int threads, bool? direct, bool pixelMajor = false, bool sevenBitWeights = false)
    {
        var rng = new Random(7);
        int depth = shape.InChannels / shape.Groups * shape.KernelHeight * shape.KernelWidth;
        int bound = sevenBitWeights ? 63 : 127;
        short[] w = Enumerable.Range(0, shape.OutChannels * depth).Select(_ => (short)rng.Next(-bound, bound + 1)).ToArray();
        int[] bias = new int[shape.OutChannels];
        float[] scale = Enumerable.Repeat(1f / (depth * 64), shape.OutChannels).ToArray();
        _pool = new WorkerPool(threads);
        long scratch;
        if (pixelMajor)
        {
            _conv = shape.IsDepthwise
                ? new Int8DepthwiseDirect(shape, w, bias, scale, 128, 0, 0, 255, isa, threads, true, true)
                : Int8Convolutions.Create(shape, w, bias, scale, 128, 0, 0, 255, path, isa, threads, true, true);
            scratch = _conv.ScratchBytes;
            Algorithm = _conv.Algorithm;
        }
        else if (shape.IsDepthwise)
        {
            _depthwise = new Int8Depthwise(shape, w, bias, scale, 128, 0, 0, 255, path);
            scratch = _depthwise.ScratchBytes(threads);
            Algorithm = _depthwise.Algorithm;
        }
        else
        {
            _conv = direct switch
            {
                true => new Int8DirectConv(shape, w, bias, scale, 128, 0, 0, 255, path, isa, threads),
                false => new Int8Conv(shape, w, bias, scale, 128, 0, 0, 255, path, threads),
                null => Int8Convolutions.Create(shape, w, bias, scale, 128, 0, 0, 255, path, isa, threads),
            };
            scratch = _conv.ScratchBytes;
            Algorithm = _conv.Algorithm;
        }

        Macs = shape.Macs;
        _x = Alloc((long)shape.InChannels * shape.InHeight * shape.InWidth, rng);
        _y = Alloc((long)shape.OutChannels * shape.OutHeight * shape.OutWidth, null);
        _scratch = Alloc(scratch, null);
    }

    /// <summary>Multiply-accumulates of one <see cref="Run"/>.</summary>
    public long Macs { get; }

    /// <summary>The kernel's algorithm and integer path.</summary>
    public string Algorithm { get; }

    /// <summary>
    /// An integer convolution of <paramref name="shape"/> on <paramref name="path"/> (the best one of <paramref name="isa"/> when null),
    /// with the kernel <see cref="Int8Convolutions"/> picks, or <see cref="Int8DirectConv"/> (<paramref name="direct"/> true) or <see cref="Int8Conv"/> (false).
    /// </summary>
    public static Int8Harness Conv(in Conv2dShape shape, Isa isa, int threads, Int8Path? path = null, bool? direct = null) => new(shape, path ?? Int8Paths.ForConvolution(shape, isa), isa, threads, direct);

    /// <summary>
    /// The kernel a pixel-major chain (<see cref="QuantizedLayout"/>) runs <paramref name="shape"/> with at
    /// <paramref name="isa"/>, reading and writing [H][W][C] codes: the direct convolution on the layout's dense path, or
    /// the direct depthwise kernel. Null where this machine has no such chain. With <paramref name="sevenBitWeights"/> the
    /// weights are in [-63, 63], as <c>lightnet quantize --reduce-range</c> writes them (on the AVX2 path without AVX-VNNI
    /// the direct convolution then takes its <c>vpmaddubsw</c> form).
    /// </summary>
    public static Int8Harness? PixelMajor(in Conv2dShape shape, Isa isa, int threads, bool sevenBitWeights = false) =>
        QuantizedLayout.DensePath(isa) is Int8Path dense && (!shape.IsDepthwise || Int8DepthwiseDirect.Fits(shape, [127], [], isa))
            ? new(shape, dense, isa, threads, null, pixelMajor: true, sevenBitWeights)
            : null;

    /// <summary>Runs the case once.</summary>
    public void Run()
    {
        if (_conv is not null)
        {
            _conv.Run(_x, _y, _scratch, _pool);
        }
        else
        {
            _depthwise!.Run(_x, _y, _scratch, _pool);
        }
    }

    /// <summary>Frees the buffers and the pool.</summary>
    public void Dispose()
    {
        foreach (nint p in new[] { (nint)_x, (nint)_y, (nint)_scratch })
        {
            NativeMemory.AlignedFree((void*)p);
        }

        _x = _y = _scratch = null;
        _depthwise?.Dispose();
        _pool.Dispose();
    }

    private static byte* Alloc(long bytes, Random? rng)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        var span = new Span<byte>(p, (int)Math.Max(bytes, 64));
        if (rng is null)
        {
            span.Clear();
        }
        else
        {
            rng.NextBytes(span);
        }

        return p;
    }
}
